import os
import re

import polib
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools.misc import file_path

from .common import TODAY, CreditControlCommon

SHIPPED_POLICIES = (
    "credit_policy_b2b",
    "credit_policy_structurally_late",
    "credit_policy_top_accounts",
    "credit_policy_nl_consumer",
    "credit_policy_be_consumer",
)


def _level_template(level):
    return level.letter_template_id if level.action_type == "letter" else level.mail_template_id


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDayOneTexts(CreditControlCommon):
    """One text per level, with a Pay now link in every reminder (email and letter)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls.env.ref("credit_control.mail_template_credit_first")
        cls.final = cls.env.ref("credit_control.mail_template_credit_final")
        cls.policy = cls._policy(
            "Test policy",
            {"name": "Reminder", "days": 7, "mail_template_id": cls.first.id},
            {"name": "Final notice", "days": 30, "action_type": "letter", "auto_execute": True},
        )
        cls.reminder, cls.letter = cls.policy.level_ids.sorted("days")
        cls.letter.letter_template_id = cls.final

    def _pay_url_of(self, text, invoice):
        match = re.search(rf"/my/invoices/{invoice.id}\?access_token=([\w-]+)&amp;payment=True#portal_pay", text)
        self.assertTrue(match, "the reminder carries the invoice's portal payment link")
        return match.group(1)

    def test_each_shipped_level_has_its_own_template(self):
        shared = self.env.ref("credit_control.mail_template_credit_reminder")
        for xmlid in SHIPPED_POLICIES:
            policy = self.env.ref(f"credit_control.{xmlid}")
            levels = policy.level_ids.filtered(lambda lv: lv.action_type in ("email", "letter"))
            templates = [_level_template(level) for level in levels]
            self.assertTrue(all(templates), f"every email and letter level of {policy.name} has its template")
            self.assertNotIn(shared, templates, f"{policy.name} no longer uses the shared reminder")
            self.assertEqual(len(set(templates)), len(templates), f"each level of {policy.name} has its own text")
        before_due = self.env.ref("credit_control.credit_policy_structurally_late_level_1")
        self.assertLess(before_due.days, 0)
        self.assertEqual(before_due.mail_template_id, self.env.ref("credit_control.mail_template_credit_friendly"))
        fourteen = self.env.ref("credit_control.credit_policy_nl_consumer_level_2")
        self.assertEqual(fourteen.letter_template_id, self.env.ref("credit_control.mail_template_credit_fourteen_day"))

    def test_before_due_text_says_when_it_falls_due_not_as_soon_as_possible(self):
        dutch = polib.pofile(file_path(os.path.join("credit_control", "i18n", "nl.po")))
        bodies = {
            name.split(".")[-1]: entry.msgstr
            for entry in dutch
            for name, _line in entry.occurrences
            if name.startswith("model:mail.template,body_html:credit_control.mail_template_credit_")
        }
        for xmlid in ("friendly", "first", "second", "final", "fourteen_day"):
            self.assertTrue(bodies.get(f"mail_template_credit_{xmlid}"), f"the {xmlid} text is in Dutch")
        self.assertIn("vervalt op", bodies["mail_template_credit_friendly"])
        self.assertNotIn("zo spoedig mogelijk", bodies["mail_template_credit_friendly"])
        self.assertIn("ingebrekestelling", bodies["mail_template_credit_final"].lower())
        self.assertIn("14 dagen", bodies["mail_template_credit_fourteen_day"])

        # and in English, rendered for an invoice not yet due
        friendly = self.env.ref("credit_control.mail_template_credit_friendly")
        self.policy.level_ids.unlink()
        self.env["credit.policy.level"].create(
            {
                "policy_id": self.policy.id,
                "name": "Before due",
                "days": -3,
                "auto_execute": True,
                "mail_template_id": friendly.id,
            }
        )
        invoice = self._invoice(self.customer, 250.0, due_in=3)
        action = self._run()
        body = self._mail(action).body_html
        self.assertIn("falls due on 06/18/2026", body)
        self.assertNotIn("as soon as possible", body)
        self.assertEqual(self._pay_url_of(body, invoice), invoice.access_token)

    def test_email_carries_a_working_pay_now_link(self):
        invoice = self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run()
        self.assertEqual(action.level_id, self.reminder)
        self.assertEqual(action.state, "done")
        body = self._mail(action).body_html
        self.assertIn("Pay now", body)
        token = self._pay_url_of(body, invoice)
        # the token is the invoice's own: the portal opens the invoice with it
        self.assertEqual(token, invoice.access_token)
        self.assertTrue(invoice._portal_ensure_token() == token)
        self.assertIn("400.00", body)
        self.assertIn("within 7 days", body)

    def test_each_reminder_of_a_batch_links_its_own_invoice(self):
        self.other_customer.email = "administratie@peeters.example.com"
        invoices = {
            self.customer: self._invoice(self.customer, 400.0, due_in=-8),
            self.other_customer: self._invoice(self.other_customer, 700.0, due_in=-9),
        }
        actions = self._run()
        self.assertEqual(len(actions), 2)
        for action in actions:
            body = self._mail(action).body_html
            own, other = (
                invoices[action.partner_id],
                invoices[(self.customer | self.other_customer) - action.partner_id],
            )
            # the link is shown twice, as the address of the button and as its text
            self.assertEqual(body.count(f"/my/invoices/{own.id}?access_token={own.access_token}"), 2)
            self.assertNotIn(f"/my/invoices/{other.id}?", body)

    def test_the_general_reminder_carries_the_pay_now_link_too(self):
        self.reminder.mail_template_id = self.env.ref("credit_control.mail_template_credit_reminder")
        invoice = self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run()
        self.assertEqual(self._pay_url_of(self._mail(action).body_html, invoice), invoice.access_token)

    def test_letter_carries_the_pay_now_url_and_its_template_text(self):
        self.reminder.unlink()
        invoice = self._invoice(self.customer, 900.0, due_in=-31)
        action = self._run()
        self.assertEqual(action.level_id, self.letter)
        self.assertEqual(action.state, "done")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("notice of default", html)
        self.assertIn("900.00", html)
        self.assertEqual(self._pay_url_of(html, invoice), invoice.access_token)

        # the letter template is edited like an email template: the letter prints the new text
        self.final.body_html = "<p>Our own text for <t t-out='object.partner_id.name'/>.</p>"
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("Our own text for Garage De Vries B.V.", html)
        self.assertNotIn("notice of default", html)

    def test_letter_without_template_keeps_the_standard_text_and_the_pay_now_url(self):
        self.reminder.unlink()
        self.letter.letter_template_id = False
        invoice = self._invoice(self.customer, 900.0, due_in=-31)
        action = self._run()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("According to our records", html)
        self.assertEqual(self._pay_url_of(html, invoice), invoice.access_token)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCancelWithReason(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Test policy", {"name": "Call", "days": 7, "action_type": "phone"})

    def test_cancel_without_a_reason_is_refused_with_one_it_is_logged(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        self.assertEqual(action.state, "proposed")
        with self.assertRaisesRegex(UserError, "reason for cancelling"):
            action.with_user(self.collector).action_cancel()
        with self.assertRaises(UserError):
            action.with_user(self.collector).action_cancel(reason="   ")
        self.assertEqual(action.state, "proposed")

        wizard_action = action.with_user(self.collector).action_cancel_ask_reason()
        wizard = Form(self.env["credit.action.skip"].with_user(self.collector).with_context(**wizard_action["context"]))
        wizard.reason = "Customer paid at the counter"
        wizard.save().action_cancel_actions()
        self.assertEqual(action.state, "cancelled")
        self.assertEqual(action.cancel_reason, "Customer paid at the counter")
        self.assertIn("Customer paid at the counter", self._messages(action)[0].body)

    def test_a_promise_that_cancels_an_action_says_so_in_its_history(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        promise = (
            self.env["credit.promise"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 300.0,
                    "date": self._days(5),
                    "credit_action_id": action.id,
                }
            )
        )
        self.assertEqual(action.state, "cancelled")
        self.assertIn(promise.display_name, action.cancel_reason)
        self.assertIn("was recorded from this action", self._messages(action)[0].body)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSegmentCannotSwallowTheBook(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only this test's segments take part
        cls.env["credit.segment"].search([]).active = False

    def test_an_empty_rule_is_refused(self):
        Segment = self.env["credit.segment"].with_user(self.manager)
        for rule in ("[]", "[(1, '=', 1)]"):
            with self.assertRaisesRegex(ValidationError, "is empty"):
                Segment.create({"name": "Everyone", "partner_domain": rule})
        segment = Segment.create({"name": "New"})
        self.assertFalse(segment.rule_match_count, "by default a new segment matches nobody")
        with self.assertRaises(ValidationError):
            segment.partner_domain = "[]"

    def test_a_new_segment_goes_last(self):
        Segment = self.env["credit.segment"].with_context(active_test=False)
        last = Segment.create({"name": "Late", "sequence": 500, "partner_domain": "[('id', '=', 0)]"})
        new = Segment.create({"name": "New", "partner_domain": "[('id', '=', 0)]"})
        self.assertGreater(new.sequence, last.sequence)
        self.assertEqual(Segment.search([])[-1], new)

    def test_the_form_shows_how_many_customers_match_and_would_move(self):
        third = self.Partner.create({"name": "Bakkerij Jansen", "is_company": True, "customer_rank": 1})
        customers = self.customer | self.other_customer | third
        customers.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": "Test"})
        # one is kept in its segment by hand, one is already caught by an earlier segment
        kept = self.env["credit.segment"].create({"name": "Kept", "partner_domain": "[('id', '=', 0)]"})
        self.other_customer.with_user(self.manager).credit_segment_id = kept
        self.env["credit.segment"].create(
            {"name": "Bakers", "sequence": 1, "partner_domain": f"[('id', '=', {third.id})]"}
        )
        rule = f"[('credit_hold', '=', True), ('id', 'in', {customers.ids})]"
        form = Form(self.env["credit.segment"].with_user(self.manager))
        form.name = "On hold"
        form.partner_domain = rule
        self.assertEqual(form.rule_match_count, 3)
        self.assertEqual(form.rule_move_count, 1, "only the automatic customer no earlier segment takes")
        self.assertIn("This rule matches 3 customers; 1 would move", form.rule_preview)
        segment = form.save()
        self.assertEqual((segment.rule_match_count, segment.rule_move_count), (3, 1))
        self.env["credit.segment"]._assign_segments(self.company)
        segment.invalidate_recordset()
        self.assertEqual((segment.rule_match_count, segment.rule_move_count), (3, 0), "moved: nobody left to move")
        self.assertEqual(self.customer.credit_segment_id, segment, "the preview told the truth")
        self.assertEqual(self.other_customer.credit_segment_id, kept)
        self.assertIn("credit_hold", self._messages(self.customer)[0].body, "the move says which rule matched")

    def test_a_proposal_shows_the_rule_that_matched(self):
        self.customer.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": "Test"})
        rule = f"[('credit_hold', '=', True), ('id', '=', {self.customer.id})]"
        segment = self.env["credit.segment"].create({"name": "On hold", "partner_domain": rule})
        self.customer.write({"credit_segment_mode": "proposed"})
        self.env["credit.segment"]._assign_segments(self.company)
        self.assertEqual(self.customer.credit_proposed_segment_id, segment)
        body = self._messages(self.customer)[0].body
        self.assertIn("proposed", body)
        self.assertIn("credit_hold", body, "the proposal says which rule matched")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRequestRelease(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_user(cls.collector).write({"credit_hold": True, "credit_hold_reason": "Bounced cheque"})
        cls.blocked = cls._order(cls.customer, 500.0, user=cls.salesman)
        cls.free = cls._order(cls.other_customer, 500.0, user=cls.salesman)

    def _release_activities(self, user):
        return self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", self.blocked.id), ("user_id", "=", user.id)]
        )

    def test_request_release_gives_each_credit_manager_one_activity(self):
        order = self.blocked.with_user(self.salesman)
        self.assertTrue(order.credit_block_reason)
        order.action_credit_request_release()
        order.action_credit_request_release()  # asked twice: still one activity each
        activity = self._release_activities(self.manager)
        self.assertEqual(len(activity), 1)
        self.assertIn(self.blocked.name, activity.note)
        self.assertFalse(self._release_activities(self.salesman), "the salesperson is no credit manager")
        with self.assertRaisesRegex(UserError, "not credit blocked"):
            self.free.with_user(self.salesman).action_credit_request_release()

    def test_credit_blocked_filter_finds_the_blocked_quotation(self):
        SaleOrder = self.env["sale.order"].with_user(self.salesman)
        found = SaleOrder.search([("credit_blocked", "=", True), ("id", "in", (self.blocked | self.free).ids)])
        self.assertEqual(found, self.blocked)
        found = SaleOrder.search([("credit_blocked", "=", False), ("id", "in", (self.blocked | self.free).ids)])
        self.assertEqual(found, self.free)


@tagged("post_install", "-at_install")
class TestPayNowLinkOpens(CreditControlCommon, HttpCase):
    """The Pay now link of a reminder opens the invoice on the portal for the customer, without a login."""

    def test_the_pay_now_link_of_an_email_opens_the_invoice(self):
        template = self.env.ref("credit_control.mail_template_credit_first")
        self._policy("Test policy", {"name": "Reminder", "days": 7, "mail_template_id": template.id})
        invoice = self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run()
        body = self._mail(action).body_html
        match = re.search(rf'href="[^"]*(/my/invoices/{invoice.id}\?access_token=[^"]+)"', body)
        self.assertTrue(match, "the reminder links to the invoice's portal page")
        response = self.url_open(match.group(1).replace("&amp;", "&"))
        self.assertEqual(response.status_code, 200)
        self.assertIn(invoice.name, response.text)
        # a wrong token opens nothing
        response = self.url_open(f"/my/invoices/{invoice.id}?access_token=wrong", allow_redirects=False)
        self.assertNotIn(invoice.name, response.text)
