from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditPaymentPlan(CreditArrangementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.credit_plan_break_level_id = cls.reminder_2
        cls.segment = cls.env["credit.segment"].create(
            {
                "name": "Structurally late",
                "policy_id": cls.policy.id,
                "credit_plan_instead_of_reminders": True,
                "credit_plan_max_installments": 6,
                "credit_plan_max_amount": 5000.0,
                "credit_plan_auto_approve": True,
            }
        )
        cls.customer.credit_segment_id = cls.segment
        cls.Plan = cls.env["credit.payment.plan"]

    def _plan(self, invoices, count=3, user=None, **values):
        plan = self.Plan.with_user(user or self.collector).create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoices.ids)],
                "installment_count": count,
                **values,
            }
        )
        plan.action_compute_schedule()
        return plan

    def test_installments_add_up_to_the_total_to_the_cent(self):
        invoice = self._invoice(self.customer, 100.0, due_in=-10)
        plan = self._plan(invoice)
        self.assertTrue(plan.name.startswith("PLAN/"))
        self.assertEqual(plan.amount_total, 100.0)
        self.assertEqual(plan.installment_ids.mapped("amount"), [33.33, 33.33, 33.34])
        self.assertEqual(plan.installment_ids.mapped("date"), [date(2026, 6, 22), date(2026, 7, 22), date(2026, 8, 22)])
        self.assertEqual(plan.access_url, f"/my/payment_plans/{plan.id}")
        plan.write({"installment_count": 7, "interval_unit": "weeks", "interval_number": 2})
        plan.action_compute_schedule()
        self.assertEqual(len(plan.installment_ids), 7)
        self.assertAlmostEqual(sum(plan.installment_ids.mapped("amount")), 100.0, places=2)
        self.assertEqual(plan.installment_ids[-1].amount, 14.32)
        self.assertEqual(plan.installment_ids[1].date, date(2026, 7, 6))

    def test_installments_in_a_currency_without_decimals(self):
        yen = self.env.ref("base.JPY")
        yen.active = True
        company = self.setup_other_company(name="Van Dijk Japan", currency_id=yen.id)["company"]
        self.env.user.company_ids |= company
        self.assertEqual(company.currency_id.decimal_places, 0)
        invoice = self._invoice(self.customer, 10000.0, due_in=-10, company=company)
        plan = self.Plan.with_company(company).create(
            {
                "partner_id": self.customer.id,
                "company_id": company.id,
                "move_ids": [Command.set(invoice.ids)],
                "installment_count": 3,
            }
        )
        plan.action_compute_schedule()
        self.assertEqual(plan.installment_ids.mapped("amount"), [3333.0, 3333.0, 3334.0])

    def test_only_a_credit_manager_approves_and_the_plan_pauses_followup(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-10)
        plan = self._plan(invoice)
        self.assertEqual(plan.resume_level_id, self.reminder_2, "from the customer's policy")
        self.assertEqual(self._daily().level_id, self.reminder, "a draft plan does not pause follow-up")
        with self.assertRaises(AccessError):
            plan.with_user(self.collector).action_activate()
        plan.with_user(self.manager).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.approved_by_id, self.manager)
        self.assertEqual(invoice.credit_pause_info, plan.display_name)
        self.assertFalse(self._daily(days=12), "the call is due, but the invoice is in an active plan")
        with self.assertRaisesRegex(UserError, "approved payment plan"):
            plan.installment_ids[0].with_user(self.collector).amount = 1.0

    def test_payments_fill_the_installments_oldest_first(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-10)
        plan = self._plan(invoice)
        plan.with_user(self.manager).action_activate()
        self._pay(invoice, amount=450.0)
        first, second, third = plan.installment_ids
        self.assertEqual((first.amount_paid, first.state), (300.0, "paid"))
        self.assertEqual((second.amount_paid, second.state), (150.0, "pending"))
        self.assertEqual((third.amount_paid, third.state), (0.0, "pending"))
        self.assertEqual(plan.amount_paid, 450.0)

    def test_plan_paid_on_time_is_done(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-40)
        plan = self._plan(invoice)  # 22 June, 22 July, 22 August
        plan.with_user(self.manager).action_activate()
        self.assertFalse(self._daily())
        # a reminder 3 days before each installment, once
        self._daily(days=3)
        self._daily(days=4)
        reminders = self._messages(plan).filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(reminders), 1)
        self.assertIn("300.00", reminders.subject)
        self.assertEqual(reminders.partner_ids, self.customer)
        self.assertTrue(plan.installment_ids[0].reminder_sent)
        self._pay(invoice, amount=300.0, days=6)
        self.assertFalse(self._daily(days=20))
        self._pay(invoice, amount=300.0, days=36)
        self.assertFalse(self._daily(days=45))
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "paid", "pending"])
        self._pay(invoice, amount=300.0, days=66)
        self.assertFalse(self._daily(days=67))
        self.assertEqual(plan.state, "done")
        self.assertEqual(plan.date_closed, self._days(67))
        self.assertEqual(plan.installment_ids.mapped("amount_paid"), [300.0, 300.0, 300.0])
        self.assertEqual(invoice.payment_state, "paid")

    def test_late_installment_breaks_the_plan_and_followup_resumes_at_the_named_level(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-10)
        self.assertEqual(self._daily().level_id, self.reminder)
        # the collector agrees another schedule than the segment's proposal: one draft plan per invoice
        self.Plan.search([("move_ids", "in", invoice.ids)]).with_user(self.collector).action_cancel()
        plan = self._plan(invoice)  # 22 June, 22 July, 22 August
        plan.with_user(self.manager).action_activate()
        self._pay(invoice, amount=300.0, days=6)
        self.assertFalse(self._daily(days=40))
        self.assertEqual(plan.installment_ids[1].state, "late")
        self.assertFalse(self._daily(days=42), "22 July + 5 grace days: not broken yet")
        self.assertEqual(plan.state, "active")
        actions = self._daily(days=43)
        self.assertEqual(plan.state, "broken")
        self.assertEqual(actions.level_id, self.reminder_2, "resumes at the policy's level, not at the call")
        self.assertEqual(actions.state, "done")
        self.assertAlmostEqual(actions.amount, 600.0, places=2)
        activity = plan.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("300.00", activity.note)
        note = self._messages(plan).filtered(lambda m: m.body.startswith("<p>Payment plan broken"))
        self.assertEqual(len(note), 1, "the broken plan is noted in its chatter")
        self.assertFalse(self._daily(days=44), "nothing twice")

    def test_bad_plans_are_refused(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-10)
        other = self._invoice(self.other_customer, 200.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "not a posted invoice of"), self.env.cr.savepoint():
            self._plan(invoice | other)
        plan = self._plan(invoice)
        plan.installment_ids[0].amount = 100.0
        with self.assertRaisesRegex(UserError, "add up to"):
            plan.with_user(self.manager).action_activate()
        with self.assertRaises(UserError):
            plan.with_user(self.manager).unlink()

    def test_portal_request_within_the_segment_limits_is_approved_at_once(self):
        invoice = self._invoice(self.customer, 1200.0, due_in=-10)
        plan = self.Plan.sudo()._portal_request(self.customer_contact, invoice, 4)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.source, "portal")
        self.assertFalse(plan.approved_by_id)
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0] * 4)
        self.assertFalse(self._daily(days=1))

    def test_portal_request_outside_the_limits_is_refused(self):
        invoice = self._invoice(self.customer, 1200.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "at most 6 installments"):
            self.Plan.sudo()._portal_request(self.customer_contact, invoice, 12)
        self.segment.credit_plan_max_amount = 1000.0
        with self.assertRaisesRegex(UserError, "cannot be arranged online"):
            self.Plan.sudo()._portal_request(self.customer_contact, invoice, 3)
        self.segment.write({"credit_plan_max_amount": 0.0, "credit_plan_auto_approve": False})
        plan = self.Plan.sudo()._portal_request(self.customer_contact, invoice, 3)
        self.assertEqual(plan.state, "draft", "waits for a credit manager")
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        self.segment.credit_plan_max_installments = 0
        with self.assertRaisesRegex(UserError, "cannot be arranged online"):
            self.Plan.sudo()._portal_request(self.customer_contact, invoice, 2)

    def test_agreement_is_sent_for_signature_with_the_amount_in_words(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-10)
        plan = self._plan(invoice, count=4)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_payment_plan", plan.ids)[0]
            .decode()
        )
        self.assertIn("Payment plan agreement", html)
        self.assertIn("250.00", html)
        self.assertIn(plan.currency_id.amount_to_text(1000.0), html)
        action = plan.with_user(self.collector).action_send_for_signature()
        composer = Form(self.env["mail.compose.message"].with_user(self.collector).with_context(**action["context"]))
        composer.save().action_send_mail()
        message = self._messages(plan).filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn(self.customer, message.partner_ids)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertIn("Payment Plan", message.attachment_ids.name)

    def test_a_dutch_customers_agreement_has_the_total_in_dutch_words_and_dutch_country_names(self):
        """The recipient reads the whole agreement in their language, also when a user of another language prints
        it: "Duizend Euro's" (num2words and the currency's unit in Dutch), "België", Dutch dates."""
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["base", "credit_control"], ["nl_NL"], overwrite=True)
        self.customer.write({"lang": "nl_NL", "country_id": self.env.ref("base.be").id, "city": "Antwerpen"})
        invoice = self._invoice(self.customer, 1000.0, due_in=-10)
        plan = self._plan(invoice, count=4)
        unit = plan.currency_id.with_context(lang="nl_NL").currency_unit_label  # "Euro's" for EUR
        words = f"Duizend {unit}"
        self.assertEqual(plan._amount_in_words(), words)
        html = (
            self.env["ir.actions.report"]
            .with_context(lang="en_US")
            ._render_qweb_html("credit_control.action_report_credit_payment_plan", plan.ids)[0]
            .decode()
        )
        self.assertIn(words, html.replace("&#39;", "'"))
        self.assertNotIn("Thousand", html)
        self.assertIn("België", html)
        self.assertNotIn("Belgium", html)
        self.assertIn(plan.installment_ids[:1].date.strftime("%d-%m-%Y"), html)
        # an English customer's agreement stays English
        self.customer.lang = "en_US"
        self.assertEqual(plan._amount_in_words(), f"One Thousand {plan.currency_id.currency_unit_label}")

    def test_structurally_late_customer_gets_a_plan_proposal_instead_of_a_reminder(self):
        invoice = self._invoice(self.customer, 900.0, due_in=-10)
        other_invoice = self._invoice(self.other_customer, 200.0, due_in=-10)
        self.other_customer.email = "info@autobedrijfpeeters.be"
        actions = self._daily()
        action = actions.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual((action.level_id, action.state), (self.reminder, "done"))
        self.assertFalse(action.mail_message_id, "no reminder is sent")
        plan = self.Plan.search([("move_ids", "in", invoice.ids)])
        self.assertEqual((plan.state, plan.source, plan.installment_count), ("draft", "collector", 6))
        self.assertAlmostEqual(sum(plan.installment_ids.mapped("amount")), 900.0, places=2)
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        self.assertIn(plan.name, action.result)
        # a customer of another segment still gets the reminder
        other = actions.filtered(lambda a: a.partner_id == self.other_customer)
        self.assertTrue(other.mail_message_id)
        self.assertFalse(self.Plan.search([("move_ids", "in", other_invoice.ids)]))
        self.assertFalse(self._daily(), "nothing twice")
        self.assertEqual(self.Plan.search_count([("partner_id", "=", self.customer.id)]), 1)
