from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReminderPreview(CreditControlCommon):
    """The collector reads the reminder as it will go out, in the customer's language, and may edit it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        cls.customer.lang = "nl_NL"
        cls.policy = cls._policy(
            "Preview", {"name": "Herinnering", "days": 7, "auto_execute": False, "attach_invoices": True}
        )
        cls.invoice = cls._invoice(cls.customer, 1250.0, due_in=-10)

    def _proposal(self):
        action = self._run().filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(action.state, "proposed")
        return action

    def _preview(self, action, user=None):
        Preview = self.env["credit.action.preview"].with_user(user or self.collector)
        return Preview.with_context(default_action_id=action.id).create({})

    def test_preview_is_rendered_in_the_customers_language_with_the_invoice(self):
        action = self._proposal()
        preview = self._preview(action)
        template = self.env.ref("credit_control.mail_template_credit_reminder")
        dutch = template.with_context(lang="nl_NL")._render_field("subject", action.ids)[action.id]
        english = template.with_context(lang="en_US")._render_field("subject", action.ids)[action.id]
        self.assertNotEqual(dutch, english)
        self.assertEqual(preview.subject, dutch)
        self.assertIn(self.invoice.name, preview.body_html)
        self.assertEqual(len(preview.attachment_ids), 1)
        self.assertEqual(preview.attachment_ids.mimetype, "application/pdf")
        self.assertEqual(action.state, "proposed", "a preview sends nothing")
        self.assertFalse(action.mail_message_id)

    def test_edited_subject_and_body_are_what_is_queued_and_posted(self):
        action = self._proposal()
        preview = self._preview(action)
        preview.write(
            {
                "subject": "Uw factuur van mei",
                "body_html": "<p>Beste Jan, zoals besproken aan de telefoon: graag voor vrijdag betalen.</p>",
            }
        )
        result = preview.action_send()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(action.state, "done")
        self.assertEqual(action.executed_by_id, self.collector)
        mail = self._mail(action)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "Uw factuur van mei")
        self.assertIn("graag voor vrijdag betalen", mail.body_html)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(action.mail_message_id.subject, "Uw factuur van mei")
        self.assertIn("graag voor vrijdag betalen", str(action.mail_message_id.body))
        self.assertEqual(action.mail_message_id.model, "res.partner")
        self.assertEqual(len(action.mail_message_id.attachment_ids), 1)

    def test_a_removed_attachment_is_not_sent(self):
        action = self._proposal()
        preview = self._preview(action)
        preview.attachment_ids = [Command.clear()]
        preview.action_send()
        self.assertEqual(action.state, "done")
        self.assertFalse(action.mail_message_id.attachment_ids)
        self.assertIn("0 attachment(s)", action.result)

    def test_an_attachment_the_collector_cannot_read_is_not_sent(self):
        action = self._proposal()
        secret = self.env["ir.attachment"].create(
            {
                "name": "salarissen.pdf",
                "raw": b"%PDF-1.4 secret",
                "res_model": "ir.cron",
                "res_id": self.env.ref("credit_control.ir_cron_credit_followup").id,
            }
        )
        preview = self._preview(action)
        preview.attachment_ids = [Command.link(secret.id)]
        with self.assertRaises(AccessError):
            preview.action_send()
        self.assertEqual(action.state, "proposed")

    def test_a_reminder_whose_items_were_paused_meanwhile_is_withdrawn_not_sent(self):
        action = self._proposal()
        preview = self._preview(action)
        action.line_ids.with_user(self.collector).write(
            {"credit_excluded": True, "credit_excluded_reason": "Klant betwist de levering"}
        )
        self.env.flush_all()  # excluded in another request in real life; the withdrawal's query reads the table
        result = preview.action_send()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertEqual(action.state, "cancelled")
        self.assertFalse(action.mail_message_id)

    def test_bulk_approval_still_sends_the_template_text(self):
        action = self._proposal()
        action.with_user(self.collector).action_approve()
        self.assertEqual(action.state, "done")
        self.assertEqual(len(action.mail_message_id.attachment_ids), 1)

    def test_a_letter_is_previewed_before_it_is_made(self):
        self._policy("Letters", {"name": "Brief", "days": 7, "action_type": "letter", "auto_execute": False})
        action = self._proposal()
        preview = self._preview(action)
        self.assertEqual(preview.channel, "letter")
        self.assertIn(self.invoice.name, preview.letter_html)
        self.assertEqual(action.state, "proposed")
        preview.action_send()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.mail_message_id.attachment_ids.mimetype, "application/pdf")

    def test_a_salesperson_cannot_preview(self):
        action = self._proposal()
        with self.assertRaises(AccessError):
            self._preview(action, user=self.salesman)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCallOutcome(CreditControlCommon):
    """A call is done only when it is logged with its outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+31 20 123 4567"
        cls.customer.credit_collector_id = cls.collector
        cls._policy(
            "Calls",
            {"name": "Bellen", "days": 7, "action_type": "phone", "call_script": "<p>Vraag naar de betaaldatum.</p>"},
        )
        cls.invoice = cls._invoice(cls.customer, 800.0, due_in=-10)

    def _call(self):
        action = self._run().filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual((action.channel, action.state), ("phone", "proposed"))
        return action

    def _log(self, action, outcome, **values):
        Call = self.env["credit.action.call"].with_user(self.collector)
        wizard = Call.with_context(default_action_id=action.id).create({"outcome": outcome, **values})
        return wizard.action_log()

    def test_the_call_activity_carries_the_number_the_script_and_the_items(self):
        action = self._call()
        action.with_user(self.collector).action_approve()
        activity = action.call_activity_id
        self.assertTrue(activity)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.credit_action_id, action)
        self.assertIn('href="tel:+31201234567"', str(activity.note))
        self.assertIn("Vraag naar de betaaldatum.", str(activity.note))
        self.assertIn(self.invoice.name, str(activity.note))

    def test_a_call_activity_cannot_be_done_without_an_outcome(self):
        action = self._call()
        action.with_user(self.collector).action_approve()
        with self.assertRaises(UserError):
            action.call_activity_id.with_user(self.collector).action_feedback(feedback="gebeld")
        self.assertTrue(action.call_activity_id.exists())
        self.assertFalse(action.call_outcome)

    def test_logging_an_approved_call_stores_the_outcome_and_closes_the_activity(self):
        action = self._call()
        action.with_user(self.collector).action_approve()
        activity = action.call_activity_id
        self._log(action, "not_reached", note="Voicemail ingesproken")
        self.assertEqual(action.call_outcome, "not_reached")
        self.assertEqual(action.call_note, "Voicemail ingesproken")
        self.assertFalse(activity.exists(), "the activity is done")
        self.assertIn("Voicemail ingesproken", str(self._messages(action)[0].body))

    def test_logging_a_proposed_call_takes_the_step(self):
        action = self._call()
        self._log(action, "reached", note="Betaalt morgen")
        self.assertEqual(action.state, "done")
        self.assertEqual(action.call_outcome, "reached")
        self.assertEqual(action.executed_by_id, self.collector)
        self.assertFalse(action.call_activity_id, "the call's activity is done at once")
        self.assertFalse(self.customer.activity_ids)

    def test_promise_and_dispute_open_their_flow_from_the_action(self):
        action = self._call()
        result = self._log(action, "promise")
        self.assertEqual(action.call_outcome, "promise")
        self.assertEqual(result["res_model"], "credit.promise")
        self.assertEqual(result["context"]["default_credit_action_id"], action.id)
        promise = self.env["credit.promise"].with_user(self.collector).with_context(**result["context"]).create({})
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.credit_action_id, action)

        other = self._invoice(self.other_customer, 300.0, due_in=-10)
        self.other_customer.phone = "0201234567"
        call = self._run().filtered(lambda a: a.partner_id == self.other_customer)
        result = self._log(call, "dispute", note="Levering was incompleet")
        self.assertEqual(call.call_outcome, "dispute")
        self.assertEqual(result["res_model"], "credit.dispute")
        self.assertTrue(other)

    def test_call_back_moves_the_date(self):
        action = self._call()
        self._log(action, "callback", date_callback=self._days(3), note="Terugbellen na het weekend")
        self.assertEqual(action.state, "proposed")
        self.assertEqual(action.date, self._days(3))
        self.assertEqual(action.call_outcome, "callback")

    def test_call_back_on_an_approved_call_reschedules_its_activity(self):
        action = self._call()
        action.with_user(self.collector).action_approve()
        self._log(action, "callback", date_callback=self._days(2))
        self.assertEqual(action.call_activity_id.date_deadline, self._days(2))
        with self.assertRaises(UserError):
            action.call_activity_id.action_feedback()
        self._log(action, "reached")
        self.assertEqual(action.call_outcome, "reached")

    def _today(self):
        """The actions on the collector's *Today* (its domain and default filter)."""
        worklist = self.env.ref("credit_control.credit_action_worklist_action")
        domain = safe_eval(worklist.domain, {"context_today": fields.Date.today})
        return (
            self.env["credit.action"].with_user(self.collector).search(domain + [("user_id", "=", self.collector.id)])
        )

    def test_an_approved_call_stays_on_today_until_it_is_logged(self):
        action = self._call()
        action.with_user(self.collector).action_approve()
        self.assertIn(action, self._today())
        self._log(action, "callback", date_callback=self._days(2))
        self.assertNotIn(action, self._today(), "called back later: not on today's list")
        with freeze_time(self._days(2)):
            self.assertIn(action, self._today())
        self._log(action, "reached")
        self.assertNotIn(action, self._today())

    def test_a_logged_call_cannot_be_logged_twice(self):
        action = self._call()
        self._log(action, "reached")
        with self.assertRaises(UserError):
            self._log(action, "not_reached")
        self.assertEqual(action.call_outcome, "reached")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWorklistIsMyDay(CreditControlCommon):
    def test_today_opens_on_my_actions_with_groups_expanded(self):
        action = self.env.ref("credit_control.credit_action_worklist_action")
        self.assertIn("'search_default_filter_my': 1", action.context)
        search = self.env.ref("credit_control.credit_action_view_search")
        self.assertIn("""name="filter_my" string="My Actions" domain="[('user_id', '=', uid)]""", search.arch_db)
        list_view = self.env["credit.action"].get_view(view_type="list")
        self.assertIn('expand="1"', list_view["arch"])

    def test_approving_says_so(self):
        self._policy("Mail", {"name": "Herinnering", "days": 7, "auto_execute": False})
        self._invoice(self.customer, 100.0, due_in=-10)
        with freeze_time(self.today):
            action = self.env["credit.followup.run"]._run_followup(self.company)
        result = action.with_user(self.collector).action_approve()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "success")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCustomerDossier(CreditControlCommon):
    def test_the_dossier_lists_each_event_of_the_customer_in_date_order(self):
        self._policy("Mail", {"name": "Herinnering", "days": 7})
        invoice = self._invoice(self.customer, 500.0, due_in=-10)
        self._invoice(self.other_customer, 70.0, due_in=-10)
        with freeze_time(self._days(-2)):
            actions = self.env["credit.followup.run"]._run_followup(self.company)
        action = actions.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(action.state, "done")
        with freeze_time(self._days(-1)):
            promise = self.env["credit.promise"].create(
                {"partner_id": self.customer.id, "move_ids": [Command.set(invoice.ids)], "date": self._days(5)}
            )
        self.customer.message_post(
            body="Klant belde: betaalt na de verbouwing.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self._pay(invoice, amount=200.0)
        rows = self.env["credit.dossier"].with_user(self.collector).search([("partner_id", "=", self.customer.id)])
        kinds = [row.kind for row in rows]
        self.assertEqual(sorted(kinds), sorted(["payment", "note", "promise", "email"]), kinds)
        self.assertEqual(rows.mapped("date"), sorted(rows.mapped("date"), reverse=True))
        by_kind = {row.kind: row for row in rows}
        self.assertEqual(by_kind["email"].res_model, "credit.action")
        self.assertEqual(by_kind["email"].res_id, action.id)
        self.assertEqual(by_kind["email"].date, self._days(-2))
        self.assertEqual(by_kind["email"].action_state, "done")
        self.assertEqual(by_kind["promise"].res_id, promise.id)
        self.assertAlmostEqual(by_kind["payment"].amount, 200.0, places=2)
        self.assertIn("verbouwing", by_kind["note"].description)
        self.assertFalse(
            self.env["credit.dossier"].search(
                [("partner_id", "=", self.customer.id), ("partner_id", "=", self.other_customer.id)]
            )
        )
        opened = self.customer.with_user(self.collector).action_credit_view_dossier()
        self.assertEqual(opened["res_model"], "credit.dossier")
        self.assertEqual(opened["domain"], [("partner_id", "=", self.customer.id)])


@tagged("post_install", "-at_install")
class TestCollectorMorningTour(HttpCase):
    """The collector's morning in the browser: open Today, preview and edit a reminder, send it, log a call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.collector = new_test_user(
            cls.env,
            login="morning_collector",
            password="morning_collector",
            name="Morning Collector",
            groups="credit_control.group_credit_control_user",
        )
        cls.other = new_test_user(cls.env, login="other_collector", groups="credit_control.group_credit_control_user")
        company = cls.env.company
        template = cls.env.ref("credit_control.mail_template_credit_reminder")
        policy = cls.env["credit.policy"].create(
            {
                "name": "Morning",
                "level_ids": [
                    Command.create(
                        {"name": "Morning Reminder", "days": 1, "action_type": "email", "mail_template_id": template.id}
                    ),
                    Command.create({"name": "Morning Call", "days": 20, "action_type": "phone"}),
                ],
            }
        )
        product = cls.env["product.product"].create({"name": "Koppeling", "list_price": 90.0, "taxes_id": False})
        cls.mail_customer = cls.env["res.partner"].create(
            {"name": "Garage Ochtendmail", "is_company": True, "email": "info@ochtendmail.nl"}
        )
        cls.call_customer = cls.env["res.partner"].create(
            {"name": "Garage Ochtendbel", "is_company": True, "phone": "+31 30 765 4321"}
        )
        cls.elsewhere = cls.env["res.partner"].create(
            {"name": "Garage Anderman", "is_company": True, "email": "x@anderman.nl"}
        )
        # yesterday: due on the browser's today whatever its time zone (the server's today may be tomorrow there)
        today = fields.Date.subtract(fields.Date.context_today(cls.env.user), days=1)
        email_level, call_level = policy.level_ids.sorted("days")

        def invoice(partner):
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.subtract(today, days=40),
                    "invoice_date_due": fields.Date.subtract(today, days=10),
                    "invoice_line_ids": [Command.create({"product_id": product.id, "price_unit": 90.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            return invoice

        def proposal(partner, level, channel, user):
            lines = invoice(partner).line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            return cls.env["credit.action"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "level_id": level.id,
                    "channel": channel,
                    "date": today,
                    "user_id": user.id,
                    "line_ids": [Command.set(lines.ids)],
                    "amount": 90.0,
                    "amount_overdue": 90.0,
                }
            )

        cls.mail_action = proposal(cls.mail_customer, email_level, "email", cls.collector)
        cls.call_action = proposal(cls.call_customer, call_level, "phone", cls.collector)
        cls.elsewhere_action = proposal(cls.elsewhere, email_level, "email", cls.other)
        # a promise due today: a payment check on the same list, made by the daily run's part
        cls.promise_customer = cls.env["res.partner"].create({"name": "Autobedrijf Belofte", "is_company": True})
        promised = invoice(cls.promise_customer)
        with freeze_time(fields.Date.subtract(today, days=1)):
            cls.promise = cls.env["credit.promise"].create(
                {
                    "partner_id": cls.promise_customer.id,
                    "move_ids": [Command.set(promised.ids)],
                    "amount": 90.0,
                    "date": today,
                    "user_id": cls.collector.id,
                }
            )
        cls.promise_check = cls.env["credit.action"]._credit_propose_arrangement_checks(company, today)

    def test_the_collectors_morning(self):
        self.assertEqual((self.mail_action.state, self.call_action.state), ("proposed", "proposed"))
        self.assertEqual((self.promise_check.arrangement_check, self.promise_check.state), ("promise_due", "proposed"))
        self.assertEqual(self.call_action.channel, "phone")
        self.start_tour(
            "/odoo/action-credit_control.credit_action_worklist_action",
            "credit_control_collector_morning",
            login="morning_collector",
        )
        self.assertEqual(self.mail_action.state, "done")
        message = self.mail_action.mail_message_id
        self.assertEqual(message.subject, "Afgesproken: betaling deze week")
        self.assertIn("zoals telefonisch afgesproken", str(message.body))
        self.assertEqual(self.call_action.state, "done")
        self.assertEqual(self.call_action.call_outcome, "reached")
        self.assertEqual(self.call_action.call_note, "Betaalt vrijdag")
        self.assertEqual(self.elsewhere_action.state, "proposed", "another collector's action was not on my day")
        self.assertEqual(self.promise_check.promise_id, self.promise)
        self.assertEqual(self.promise_check.state, "done", "the promise's payment was checked on the same list")
        self.assertEqual(self.promise_check.executed_by_id, self.collector)
