from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.base.models.ir_qweb import IrQWeb
from odoo.addons.credit_control.models import credit_followup_run

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupRun(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy(
            "Test policy",
            {"name": "Before due", "days": -3},
            {"name": "Reminder 1", "days": 7, "attach_invoices": True},
            {"name": "Call", "days": 21, "action_type": "phone"},
            {"name": "Hold", "days": 35, "action_type": "credit_hold", "auto_execute": True},
        )
        cls.before_due, cls.reminder, cls.call, cls.hold = cls.policy.level_ids.sorted("days")
        cls.invoice_contact = cls.Partner.create(
            {
                "name": "Boekhouding De Vries",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "boekhouding@garagedevries.nl",
            }
        )
        cls.customer.with_user(cls.collector).credit_collector_id = cls.collector
        cls.Action = cls.env["credit.action"]
        cls.Run = cls.env["credit.followup.run"]

    def test_reminder_before_the_due_date_is_sent_once(self):
        invoice = self._invoice(self.customer, 500.0, due_in=2)
        actions = self._run()
        self.assertEqual(len(actions), 1)
        self.assertEqual(actions.level_id, self.before_due)
        self.assertEqual(actions.state, "done")
        self.assertEqual(actions.recipient_id, self.invoice_contact)
        self.assertEqual(invoice.line_ids.filtered("date_maturity").credit_level_id, self.before_due)
        mail = self._mail(actions)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.invoice_contact)
        self.assertIn(invoice.name, mail.body_html)
        self.assertIn("500.00", mail.body_html)
        # the reminder is in the customer's chatter
        self.assertEqual(actions.mail_message_id.model, "res.partner")
        self.assertEqual(actions.mail_message_id.res_id, self.customer.id)
        # same day again: nothing new, nothing sent twice
        self.assertFalse(self._run())
        self.assertEqual(self.Action.search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_overdue_item_skips_the_reminder_before_due_and_gets_one_level_per_run(self):
        invoice = self._invoice(self.customer, 800.0, due_in=-25)
        first = self._run()
        self.assertEqual(first.level_id, self.reminder)  # not "before due", not two levels at once
        self.assertEqual(first.state, "done")
        attachments = first.mail_message_id.attachment_ids
        self.assertEqual(len(attachments), 1, "the invoice PDF is attached")
        self.assertEqual(self._mail(first).attachment_ids, attachments)
        self.assertFalse(self._run(days=13), "the call waits for the gap between the levels (21 - 7 days)")
        second = self._run(days=14)
        self.assertEqual(second.level_id, self.call)  # 39 days late, 14 days after the reminder: the call
        self.assertEqual(second.state, "proposed")
        self.assertEqual(second.user_id, self.collector)
        self.assertEqual(second.line_ids, invoice.line_ids.filtered("date_maturity"))
        self.assertAlmostEqual(second.amount_overdue, 800.0, places=2)

    def test_collector_approves_a_call_and_gets_the_activity(self):
        self._invoice(self.customer, 300.0, due_in=-22)
        self._run()  # reminder 1
        call = self._run(days=14)
        self.assertEqual(call.level_id, self.call)
        with freeze_time(self._days(14)):
            call.with_user(self.collector).action_approve()
        self.assertEqual(call.state, "done")
        self.assertEqual(call.executed_by_id, self.collector)
        activity = self.customer.activity_ids.filtered(lambda a: a.user_id == self.collector)
        self.assertEqual(len(activity), 1)
        self.assertIn("300.00", activity.summary)
        # nothing more until the gap to the next level (35 - 21 days) has passed
        self.assertFalse(self._run(days=15))

    def test_skipping_needs_a_reason_and_moves_the_items_on(self):
        self._invoice(self.customer, 300.0, due_in=-22)
        self._run()
        call = self._run(days=14)
        with self.assertRaisesRegex(UserError, "reason"):
            call.with_user(self.collector)._skip("  ")
        self.env["credit.action.skip"].with_user(self.collector).create(
            {"action_ids": [Command.set(call.ids)], "reason": "Customer paid by phone"}
        ).action_skip()
        self.assertEqual(call.state, "skipped")
        self.assertEqual(call.skip_reason, "Customer paid by phone")
        self.assertEqual(call.line_ids.credit_level_id, self.call)
        self.assertFalse(self._run(days=15))

    def test_postpone_and_reassign_but_nothing_else_by_hand(self):
        self._invoice(self.customer, 300.0, due_in=-22)
        self._run()
        call = self._run(days=14)
        later = call.date + timedelta(days=3)
        call.with_user(self.collector).write({"date": later, "user_id": self.manager.id})
        self.assertEqual(call.user_id, self.manager)
        with self.assertRaises(AccessError):
            call.with_user(self.collector).write({"state": "done"})
        with self.assertRaises(UserError):
            call.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            call.with_user(self.salesman).action_approve()

    def test_credit_hold_level_blocks_sale_orders(self):
        self._invoice(self.customer, 300.0, due_in=-40)
        self._run()  # reminder 1
        self._run(days=14)  # call proposed
        call = self.Action.search([("level_id", "=", self.call.id)])
        with freeze_time(self._days(14)):
            call.with_user(self.collector).action_approve()
        hold = self._run(days=28)
        self.assertEqual(hold.level_id, self.hold)
        self.assertEqual(hold.state, "done")
        self.assertTrue(self.customer.credit_hold)
        self.assertIn("Hold", self.customer.credit_hold_reason)
        order = self._order(self.customer, 10.0, user=self.salesman)
        self.assertIn("on credit hold", order.credit_block_reason)

    def test_excluded_item_is_not_followed_up(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        line = invoice.line_ids.filtered("date_maturity")
        line.with_user(self.collector).write({"credit_excluded": True, "credit_excluded_reason": "Disputed by phone"})
        self.assertFalse(self._run())
        line.credit_excluded = False
        self.assertEqual(self._run().level_id, self.reminder)

    def test_paid_items_and_other_companies_are_left_alone(self):
        paid = self._invoice(self.customer, 300.0, due_in=-10)
        self._pay(paid)
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_2
        company_2.credit_default_policy_id = self.policy
        self._invoice(self.other_customer, 200.0, due_in=-10, company=company_2)
        self.assertFalse(self._run())
        with freeze_time(TODAY):
            other = self.Run._run_followup(company_2)
        self.assertEqual(other.partner_id, self.other_customer)
        self.assertEqual(other.company_id, company_2)

    def test_customer_without_email_fails_visibly(self):
        self.invoice_contact.email = False
        self.customer.email = False
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        self.assertEqual(action.state, "failed")
        self.assertIn("no email address", action.result)
        # failed actions show on the worklist
        worklist = self.env.ref("credit_control.credit_action_worklist_action")
        self.assertIn("failed", worklist.domain)
        self.assertIn(action, self.Action.search([("state", "=", "failed")]))

    def test_bounced_reminder_marks_the_action_failed(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        mail = self._mail(action)
        mail._postprocess_sent_message(
            success_pids=[], failure_reason="550 mailbox unknown", failure_type="mail_bounce"
        )
        self.assertEqual(action.state, "failed")
        self.assertIn("550 mailbox unknown", action.result)

    def test_level_computation_is_one_query(self):
        for index in range(5):
            partner = self.Partner.create({"name": f"Klant {index}", "customer_rank": 1})
            self._invoice(partner, 100.0, due_in=-10)
        self.env.flush_all()
        query = self.Run._candidates_sql(self.company, fields.Date.from_string(TODAY))
        with self.assertQueryCount(1):
            rows = self.env.execute_query(query)
        self.assertEqual(len(rows), 5)

    def test_a_batch_held_by_another_worker_is_skipped_and_picked_up_later(self):
        self.other_customer.email = "info@peeters.be"
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        with patch.object(credit_followup_run, "BATCH_SIZE", 1):
            run = self.Run._plan(self.company, self.today)
        first_batch, second_batch = run.batch_ids.sorted("id")
        self.env.flush_all()
        # a second worker, on its own connection, holds the first batch
        with self.registry.cursor() as other_worker:
            namespace = credit_followup_run.LOCK_NAMESPACES["credit_followup_run_batch"]
            other_worker.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (namespace, first_batch.id))
            self.assertTrue(other_worker.fetchone()[0])
            self.assertEqual(self.Run._work_one_batch(run=run), second_batch)
            other_worker.rollback()  # that worker's transaction ends without doing the batch
        self.assertEqual(self.Run._work_one_batch(run=run), first_batch)
        self.assertFalse(self.Run._work_one_batch(run=run))
        self.assertEqual(run.action_ids.partner_id, self.customer | self.other_customer)
        self.assertEqual(len(run.action_ids), 2, "each customer was processed exactly once")
        self.assertEqual(run.state, "done")

    def test_a_run_in_batches_of_one_handles_every_customer_once(self):
        customers = self.Partner.create([{"name": f"Klant {n}", "email": f"klant{n}@example.com"} for n in range(5)])
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-10)
        with patch.object(credit_followup_run, "BATCH_SIZE", 1):
            actions = self._run()
        self.assertEqual(actions.partner_id, customers, "every customer, in batches of one")
        self.assertEqual(len(actions), 5)
        run = actions.run_id
        self.assertEqual(len(run.batch_ids), 5)
        self.assertEqual((run.customer_done, run.customer_count, run.progress), (5, 5, 100.0))

    def test_letter_level_renders_a_letter_to_print(self):
        letter_level = self.env["credit.policy.level"].create(
            {"policy_id": self.policy.id, "name": "Letter", "days": 50, "action_type": "letter", "auto_execute": True}
        )
        invoice = self._invoice(self.customer, 450.0, due_in=-60)
        invoice.line_ids.filtered("date_maturity").credit_level_id = self.hold  # everything before was done
        action = self._run()
        self.assertEqual(action.level_id, letter_level)
        self.assertEqual(action.state, "done")
        pdf = action.mail_message_id.attachment_ids
        self.assertEqual(len(pdf), 1)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_letter", action.ids
        )[0]
        self.assertIn(invoice.name, html.decode())
        self.assertIn("450.00", html.decode())
        letters = self.env.ref("credit_control.credit_action_letters_action")
        self.assertIn("filter_letters", letters.context)

    def test_customer_statement_shows_items_and_aging(self):
        self._invoice(self.customer, 100.0, due_in=5)
        self._invoice(self.customer, 200.0, due_in=-10)
        self._invoice(self.customer, 400.0, due_in=-95)
        lines = self.customer._credit_statement_lines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(self.customer._credit_aging(lines, self.today), [100.0, 200.0, 0.0, 0.0, 400.0])
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_statement", self.customer.ids)[0]
            .decode()
        )
        self.assertIn("Statement of account", html)
        self.assertIn("700.00", html)

    def test_failed_action_waits_for_the_collector_and_can_be_retried(self):
        self.invoice_contact.email = False
        self.customer.email = False
        self._invoice(self.customer, 300.0, due_in=-10)
        failed = self._run()
        self.assertEqual(failed.state, "failed")
        self.assertFalse(self._run(days=1), "no second reminder while the first one failed")
        self.invoice_contact.email = "nieuw@garagedevries.nl"
        failed.with_user(self.collector).action_approve()
        self.assertEqual(failed.state, "done")
        self.assertEqual(self._mail(failed).recipient_ids, self.invoice_contact)

    def _level(self, **values):
        return self.env["credit.policy.level"].create(
            dict({"policy_id": self.policy.id, "auto_execute": True}, **values)
        )

    def test_sms_level_queues_a_text_with_a_payment_link(self):
        self.policy.level_ids.unlink()
        sms_level = self._level(name="SMS", days=5, action_type="sms")
        self.invoice_contact.mobile = "+31 6 12345678"
        invoice = self._invoice(self.customer, 250.0, due_in=-6)
        action = self._run()
        self.assertEqual(action.level_id, sms_level)
        self.assertEqual(action.state, "done")
        sms = self.env["sms.sms"].search([("mail_message_id", "=", action.mail_message_id.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.partner_id, self.invoice_contact)
        self.assertIn("250.00", sms.body)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token=", sms.body)

    def test_sms_without_a_number_fails_visibly(self):
        self.policy.level_ids.unlink()
        self._level(name="SMS", days=5, action_type="sms")
        self._invoice(self.customer, 250.0, due_in=-6)
        action = self._run()
        self.assertEqual(action.state, "failed")
        self.assertIn("no mobile or phone number", action.result)

    def test_whatsapp_level_prepares_a_click_to_chat_message(self):
        self.policy.level_ids.unlink()
        self._level(name="WhatsApp", days=5, action_type="whatsapp")
        self.invoice_contact.mobile = "+31 6 12345678"
        # the test company's name "company_1_data:" would read as a data: URL to the HTML sanitizer
        self.company.name = "Van Dijk Auto-onderdelen"
        self._invoice(self.customer, 250.0, due_in=-6)
        action = self._run()
        self.assertEqual(action.state, "done")
        activity = self.customer.activity_ids.filtered(lambda a: a.user_id == self.collector)
        self.assertEqual(len(activity), 1)
        self.assertIn("https://wa.me/31612345678?text=", activity.note)
        self.assertIn("250.00", activity.note)

    def _thank_you_messages(self):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id), ("subject", "ilike", "thank you")]
        )

    def test_thank_you_after_paying_in_full_where_the_segment_asks(self):
        segment = self.env["credit.segment"].create({"name": "Consumers", "credit_thank_you": True})
        self.customer.credit_segment_id = segment
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        reminder = self._run()
        self.assertEqual(reminder.state, "done")
        self._run(days=1)
        self.assertFalse(self._thank_you_messages(), "not before the customer has paid")
        self._pay(invoice, days=2)
        self._run(days=3)
        thanks = self._thank_you_messages()
        self.assertEqual(len(thanks), 1)
        self.assertEqual(thanks.partner_ids, self.invoice_contact)
        self.assertTrue(reminder.thanked)
        self._run(days=4)
        self.assertEqual(len(self._thank_you_messages()), 1, "thanked once")

    def test_no_thank_you_without_the_segment_asking(self):
        self.customer.credit_segment_id = self.env["credit.segment"].create({"name": "B2B"})
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        self._run()
        self._pay(invoice, days=1)
        self._run(days=2)
        self.assertFalse(self._thank_you_messages())

    def test_reminder_recipients_are_found_in_one_query(self):
        partners = self.Partner.create([{"name": f"Klant {index}", "customer_rank": 1} for index in range(6)])
        contacts = self.Partner.create(
            [{"name": f"Administratie {p.name}", "type": "invoice", "parent_id": p.id} for p in partners[:4]]
        )
        self.env.flush_all()

        def count(ids):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = self.Run._invoice_contacts(set(ids))
            return result, self.env.cr.sql_log_count - before

        count(partners.ids)  # warm up the access-rule caches
        _two, queries_two = count(partners[:2].ids)
        recipients, queries_six = count(partners.ids)
        self.assertEqual(queries_two, queries_six, "one lookup for the whole batch, not one per customer")
        self.assertEqual({recipients[p.id] for p in partners[:4]}, set(contacts.ids))
        self.assertEqual([recipients[p.id] for p in partners[4:]], partners[4:].ids)

    @contextmanager
    def _template_elements(self, method):
        """The mail-template bodies (elements, not views) that ``ir.qweb``'s ``method`` (``_generate_code`` or
        ``_compile``) is called with, in the block."""
        elements = []
        original = getattr(IrQWeb, method)

        def counting(qweb, template):
            if isinstance(template, etree._Element):
                elements.append(template)
            return original(qweb, template)

        with patch.object(IrQWeb, method, counting):
            yield elements

    def test_reminder_body_is_compiled_once_for_the_whole_run(self):
        customers = self.Partner.create(
            [
                {"name": f"Garage {index}", "customer_rank": 1, "email": f"garage{index}@example.com"}
                for index in range(4)
            ]
        )
        for index, customer in enumerate(customers):
            self._invoice(customer, 100.0 * (index + 1), due_in=-8)
        with self._template_elements("_generate_code") as compiled_elements:
            actions = self._run()
        self.assertEqual(len(actions), 4)
        # Odoo renders the body twice per email (with and without its restricted-code check): compiled once
        # each for the batch, not once per customer
        self.assertLessEqual(len(compiled_elements), 2, "the reminder body is compiled once, not once per customer")
        for index, action in enumerate(actions.sorted(lambda a: a.partner_id.name)):
            body = self._mail(action).body_html
            self.assertIn(action.partner_id.name, body, "each customer gets its own reminder")
            self.assertIn(f"{100.0 * (index + 1):,.2f}", body)

    def test_compiled_bodies_are_kept_from_batch_to_batch_until_the_template_changes(self):
        # each batch of a run is a cron job of its own: the bodies compiled by one are kept (per Odoo process)
        # for the next, keyed by their source, so an edited template is compiled again and shows its new text
        self.customer.email = "info@bakkerij.nl"
        self._invoice(self.customer, 100.0, due_in=-8)
        template = self.policy.level_ids.mail_template_id[:1]
        original = str(template.body_html)
        # a body no earlier test compiled (the compiled bodies live as long as the Odoo process)
        template.body_html = original.replace("<p>", "<p>Beste klant, ", 1)
        # compiled, not only generated: mail's check for restricted code generates the code of each rendering
        # without compiling it
        with self._template_elements("_compile") as compiled_elements:
            actions = self._run()
            action = actions.filtered(lambda a: a.partner_id == self.customer)
            self.assertEqual(action.level_id.mail_template_id, template)
            self.assertTrue(compiled_elements, "the body was compiled for the run")
            self.assertIn("Beste klant, ", self._mail(action).body_html)
            action._render_emails()
            first = len(compiled_elements)
            action._render_emails()
            self.assertEqual(len(compiled_elements), first, "the next batch compiles nothing")
            template.body_html = original.replace("<p>", "<p>Geachte klant, ", 1)
            rendered = action._render_emails()
        self.assertGreater(len(compiled_elements), first, "the edited body is compiled again")
        self.assertIn("Geachte klant, ", str(rendered[action.id]["body_html"]))
        self.assertNotIn("Beste klant, ", str(rendered[action.id]["body_html"]))

    def test_foreign_key_checks_are_planned_per_batch_not_per_row(self):
        # a plan kept from when the table of actions was small would scan it for every row inserted: the kept
        # plans are dropped at the start of each batch; planning every row's check instead (force_custom_plan)
        # cost most of the first run
        self.other_customer.email = "info@peeters.be"
        self._invoice(self.customer, 100.0, due_in=-8)
        self._invoice(self.other_customer, 100.0, due_in=-8)
        seen = []
        create_actions = credit_followup_run.CreditFollowupRun._create_actions
        execute = type(self.env.cr).execute

        def recording(run, company, today, rows):
            seen.append(run.env.execute_query(SQL("SHOW plan_cache_mode"))[0][0])
            return create_actions(run, company, today, rows)

        def recording_execute(cr, query, params=None, log_exceptions=True):
            if str(query).startswith("DISCARD"):
                seen.append(str(query))
            return execute(cr, query, params, log_exceptions)

        with (
            patch.object(credit_followup_run.CreditFollowupRun, "_create_actions", recording),
            patch.object(type(self.env.cr), "execute", recording_execute),
            patch.object(credit_followup_run, "BATCH_SIZE", 1),
        ):
            self.assertEqual(len(self._run()), 2)
        self.assertEqual(seen, ["DISCARD PLANS", "auto", "DISCARD PLANS", "auto"])
