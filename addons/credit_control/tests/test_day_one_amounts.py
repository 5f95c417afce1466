from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDayOneAmounts(CreditControlCommon):
    """Open credit notes and unallocated payments are netted per customer in dunning and the reports."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy(
            "Test policy",
            {"name": "Reminder 1", "days": 7},
            {"name": "Call", "days": 21, "action_type": "phone"},
        )
        cls.reminder, cls.call = cls.policy.level_ids.sorted("days")
        cls.covered = cls.Partner.create(
            {"name": "Covered Motors", "is_company": True, "customer_rank": 1, "email": "covered@example.com"}
        )
        cls.partly = cls.Partner.create(
            {"name": "Partly Parts", "is_company": True, "customer_rank": 1, "email": "partly@example.com"}
        )

    def _actions_of(self, actions, partner):
        return actions.filtered(lambda a: a.partner_id == partner)

    def test_customer_whose_credits_cover_everything_owes_nothing(self):
        invoice = self._invoice(self.covered, 31750.0, due_in=-10)
        self._invoice(self.covered, 92750.0, due_in=-5, move_type="out_refund")
        self.assertFalse(self._actions_of(self._run(), self.covered), "no reminder: the credits cover the invoice")
        item = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertFalse(
            self.env["credit.followup.step"].search([("line_id", "=", item.id)]), "the item's day stays free"
        )
        self.assertFalse(item.credit_level_id)
        # the CFO report's top overdue customers
        top = self.env["report.credit_control.report_credit_cfo"]._top_overdue(self.company)
        self.assertNotIn(self.covered, [row[0] for row in top])
        # the aging: the credits stand in the not-due column, the customer's total is net
        Aging = self.env["credit.aging.report"]
        buckets = dict(Aging._read_group([("partner_id", "=", self.covered.id)], ["bucket"], ["amount_residual:sum"]))
        self.assertEqual(buckets.pop("0_not_due"), -92750.0)
        self.assertEqual(sum(buckets.values()), 31750.0, "the invoice, in its overdue bucket")
        total = Aging._read_group([("partner_id", "=", self.covered.id)], [], ["amount_residual:sum"])[0][0]
        self.assertAlmostEqual(total, -61000.0, places=2)
        # the cash-in forecast expects nothing from it
        self.assertFalse(self.env["credit.cashin.forecast"].search([("partner_id", "=", self.covered.id)]))

    def test_partly_covered_customer_is_reminded_for_the_net_amount(self):
        self._invoice(self.partly, 1200.0, due_in=-10)
        self._invoice(self.partly, 800.0, due_in=-9)
        refund = self._invoice(self.partly, 500.25, due_in=-5, move_type="out_refund")
        action = self._actions_of(self._run(), self.partly)
        self.assertEqual(action.level_id, self.reminder)
        self.assertEqual(action.state, "done")
        self.assertAlmostEqual(action.amount, 1499.75, places=2)
        self.assertAlmostEqual(action.amount_credit, 500.25, places=2)
        self.assertAlmostEqual(action.amount_overdue, 1499.75, places=2)
        self.assertEqual(action.credit_line_ids.move_id, refund)
        mail = self._mail(action)
        self.assertIn("1,499.75", mail.subject)
        self.assertIn("1,200.00", mail.body_html, "the items")
        self.assertIn("800.00", mail.body_html)
        self.assertIn(refund.name, mail.body_html, "the credit note")
        body = mail.body_html.replace("&nbsp;", " ").replace("\N{ZERO WIDTH NO-BREAK SPACE}", "")
        self.assertIn("-500.25", body, "the credit note's open amount, deducted")
        self.assertIn("Amount to pay", mail.body_html)
        # the reports net the same way
        top = {row[0]: row[1] for row in self.env["report.credit_control.report_credit_cfo"]._top_overdue(self.company)}
        self.assertAlmostEqual(top[self.partly], 1499.75, places=2)
        forecast = self.env["credit.cashin.forecast"]._read_group(
            [("partner_id", "=", self.partly.id)], [], ["amount_residual:sum"]
        )
        self.assertAlmostEqual(forecast[0][0], 1499.75, places=2)

    def test_credits_net_the_most_advanced_level_first(self):
        old = self._invoice(self.partly, 600.0, due_in=-25)
        old.line_ids.filtered("date_maturity")._credit_write_followup(
            {"credit_level_id": self.reminder.id, "credit_level_date": self._days(-20)}
        )
        self._invoice(self.partly, 400.0, due_in=-10)
        self._invoice(self.partly, 700.0, due_in=-5, move_type="out_refund")
        actions = self._actions_of(self._run(), self.partly)
        # the old invoice is due its call, the new one its reminder: the credit covers the call's 600 first
        # (no call), then 100 of the reminder's 400
        self.assertEqual(actions.level_id, self.reminder)
        self.assertNotIn(old, actions.invoice_ids)
        self.assertAlmostEqual(actions.amount, 300.0, places=2)
        self.assertAlmostEqual(actions.amount_credit, 100.0, places=2)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPausedProposalWithdrawn(CreditControlCommon):
    """A proposal whose items become paused (or paid) after it was proposed is withdrawn, never executed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy(
            "Test policy",
            {"name": "Reminder 1", "days": 7},
            {"name": "Call", "days": 21, "action_type": "phone"},
        )
        cls.reminder, cls.call = cls.policy.level_ids.sorted("days")
        cls.customer.with_user(cls.collector).credit_collector_id = cls.collector

    def _proposed_call(self, *invoices):
        self._run()  # reminder 1
        call = self._run(days=14)
        self.assertEqual(call.level_id, self.call)
        self.assertEqual(call.state, "proposed")
        return call

    def test_approving_a_call_about_a_disputed_invoice_withdraws_it(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-22)
        call = self._proposed_call(invoice)
        with freeze_time(self._days(14)):
            dispute = (
                self.env["credit.dispute"]
                .with_user(self.collector)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "reason_id": self.env.ref("credit_control.credit_dispute_reason_quality").id,
                        "description": "Two brake discs arrived broken.",
                    }
                )
            )
            call.with_user(self.collector).action_approve()
        self.assertEqual(call.state, "cancelled")
        self.assertIn(invoice.name, call.result)
        self.assertIn(dispute.display_name, call.result)
        self.assertFalse(self.customer.activity_ids, "no call is scheduled about a disputed invoice")
        self.assertIn("Withdrawn", self._messages(call)[0].body)
        self.assertEqual(invoice.line_ids.filtered("date_maturity").credit_level_id, self.reminder, "not at the call")

    def test_the_next_run_withdraws_a_proposal_whose_invoice_is_paid(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-22)
        call = self._proposed_call(invoice)
        self._pay(invoice, days=14)
        self.assertFalse(self._run(days=15))
        self.assertEqual(call.state, "cancelled")
        self.assertIn(f"{invoice.name} is paid.", call.result)
        self.assertFalse(self.customer.activity_ids)

    def test_the_items_still_to_follow_up_are_proposed_again(self):
        paid = self._invoice(self.customer, 300.0, due_in=-22)
        open_invoice = self._invoice(self.customer, 200.0, due_in=-22)
        call = self._proposed_call(paid, open_invoice)
        self.assertEqual(call.invoice_ids, paid | open_invoice)
        self._pay(paid, days=14)
        again = self._run(days=14)
        self.assertEqual(call.state, "cancelled")
        self.assertEqual(again.level_id, self.call)
        self.assertEqual(again.invoice_ids, open_invoice)
        self.assertAlmostEqual(again.amount, 200.0, places=2)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestUnmeasuredKpi(CreditControlCommon):
    """A KPI that cannot be measured is shown as —, not 0.0."""

    def test_promises_kept_is_not_measured_without_decided_promises(self):
        snapshots = self.env["credit.kpi.snapshot"]._compute_month(self.company, date(2026, 5, 31))
        snapshot = snapshots.filtered(lambda s: s.scope == "company")
        self.assertFalse(snapshot.promise_kept_rate_measured)
        self.assertEqual(snapshot.promise_kept_rate, 0.0, "the ORM reads the NULL as 0.0: the view shows —")
        self.assertTrue(snapshot.working_days)
        self.assertTrue(snapshot.actions_per_day_measured, "what can be measured is (0 actions on working days)")
        form = self.env["credit.kpi.snapshot"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("promise_kept_rate_measured", form)
        self.assertIn("—", form)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_cfo", snapshot.ids
        )
        row = html.decode().split("Promises Kept (%)")[1].split("</tr>")[0]
        self.assertIn("—", row, "the CFO report shows the unmeasured KPI as —")
        self.assertNotIn("0.0", row)

    def test_customer_who_never_promised_has_no_kept_rate(self):
        self.assertFalse(self.customer.with_user(self.collector).credit_promise_decided)
        form = self.env["res.partner"].with_user(self.collector).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('invisible="not credit_promise_decided"', form)
