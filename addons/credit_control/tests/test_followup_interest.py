from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.credit_control.models import credit_followup_run

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupInterest(CreditControlCommon):
    """Statutory interest on reminders and fee invoices, foreign currencies, the 14-day letter, a crash."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_fee_product_id = cls._create_product(
            name="Incassokosten", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        cls.company.credit_interest_product_id = cls._create_product(
            name="Wettelijke rente", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        cls.Action = cls.env["credit.action"]

    def test_shipped_rate_tables_are_dated_data_from_2020(self):
        Rate = self.env["credit.interest.rate"]
        for rate_type in ("nl_consumer", "nl_commercial", "be_late_payment", "be_legal"):
            table = Rate._rate_table(rate_type)
            starts = [start for start, _rate in table]
            self.assertEqual(starts[0], date(2020, 1, 1))
            self.assertTrue(all((start.month, start.day) in ((1, 1), (7, 1)) for start in starts))
        self.assertEqual(dict(Rate._rate_table("nl_commercial"))[date(2024, 1, 1)], 12.5)

    def test_a_rate_added_by_the_credit_manager_applies_from_its_date(self):
        Rate = self.env["credit.interest.rate"]
        before = Rate._interest("nl_commercial", 1000.0, date(2027, 7, 1), date(2027, 7, 10))
        Rate.with_user(self.manager).create({"rate_type": "nl_commercial", "date_from": "2027-07-01", "rate": 36.5})
        # 10 days at 36.5% on 1,000 = 10.00
        self.assertAlmostEqual(Rate._interest("nl_commercial", 1000.0, date(2027, 7, 1), date(2027, 7, 10)), 10.0)
        self.assertNotAlmostEqual(before, 10.0)

    def test_reminder_shows_the_interest_accrued_per_item(self):
        self._policy("Interest", {"name": "Aanmaning", "days": 30, "interest_type": "nl_commercial"})
        invoice = self._invoice(self.customer, 1000.0, due_in=-30)
        action = self._run()
        # 17 May to 15 June 2026: 30 days at 10.15% on 1,000 = 8.342 -> 8.34
        self.assertAlmostEqual(action.interest_amount, 8.34, places=2)
        body = self._mail(action).body_html
        self.assertIn(invoice.name, body)
        self.assertIn("8.34", body)
        self.assertIn("Statutory interest", body)
        self.assertFalse(action.fee_move_id, "interest shown, not invoiced")

    def test_interest_is_invoiced_once_per_day(self):
        self._policy(
            "Interest",
            {"name": "Aanmaning", "days": 10, "interest_type": "nl_commercial", "invoice_interest": True},
            {"name": "Laatste aanmaning", "days": 40, "interest_type": "nl_commercial", "invoice_interest": True},
        )
        invoice = self._invoice(self.customer, 1000.0, due_in=-10)
        first = self._run()
        # 6 to 15 June: 10 days at 10.15% on 1,000 = 2.78
        self.assertAlmostEqual(first.fee_move_id.amount_total, 2.78, places=2)
        self.assertEqual(first.fee_move_id.invoice_line_ids.product_id, self.company.credit_interest_product_id)
        receivable = invoice.line_ids.filtered("date_maturity")
        self.assertEqual(receivable.credit_interest_to, self.today)
        self.assertFalse(self._run(), "nothing new the same day")
        # the interest invoice is a claim too and gets its own reminder: look at the invoice's
        second = self._run(days=30).filtered(lambda action: invoice in action.invoice_ids)
        # 16 June to 15 July: 30 more days = 8.34, the first ten days are not charged again
        self.assertAlmostEqual(second.interest_amount, 8.34, places=2)
        self.assertAlmostEqual(second.fee_move_id.amount_total, 8.34, places=2)
        self.assertEqual(receivable.credit_interest_to, self._days(30))

    def test_fee_and_interest_go_on_one_invoice(self):
        self._policy(
            "Interest",
            {
                "name": "Aanmaning met kosten",
                "days": 10,
                "fee_type": "fixed",
                "fee_amount": 25.0,
                "interest_type": "nl_commercial",
                "invoice_interest": True,
            },
        )
        self._invoice(self.customer, 1000.0, due_in=-10)
        action = self._run()
        self.assertEqual(len(action.fee_move_id.invoice_line_ids), 2)
        self.assertAlmostEqual(action.fee_move_id.amount_total, 27.78, places=2)

    def test_reminder_for_a_foreign_currency_invoice(self):
        foreign = self.setup_other_currency("CHF", rates=[("2016-01-01", 2.0)])
        self._policy("Interest", {"name": "Herinnering", "days": 7})
        invoice = self._invoice(self.customer, 1000.0, due_in=-8, currency=foreign)
        action = self._run()
        self.assertEqual(action.state, "done")
        # the action counts in company currency, the reminder shows what the invoice says
        self.assertAlmostEqual(action.amount, 500.0, places=2)
        self.assertEqual(action._credit_totals_by_currency(), [(foreign, 1000.0)])
        body = self._mail(action).body_html
        self.assertIn(invoice.name, body)
        self.assertIn("1,000.00", body)
        self.assertNotIn("500.00", body)

    def test_fourteen_day_letter_announces_the_collection_costs(self):
        self._policy(
            "Interest",
            {
                "name": "14-dagenbrief",
                "days": 14,
                "action_type": "letter",
                "auto_execute": True,
                "is_fourteen_day_letter": True,
            },
        )
        self._invoice(self.customer, 1000.0, due_in=-14)
        action = self._run()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("art. 6:96 BW", html)
        self.assertIn("150.00", html)  # BIK: 15% of 1,000

    def test_shipped_consumer_policies_respect_the_dutch_and_belgian_rules(self):
        nl = self.env.ref("credit_control.credit_policy_nl_consumer").level_ids.sorted("days")
        letter = nl.filtered("is_fourteen_day_letter")
        bik = nl.filtered(lambda level: level.fee_type == "nl_bik")
        self.assertEqual(len(letter), 1)
        self.assertTrue(bik and bik.days > letter.days + 14, "collection costs only after the 14 days")
        self.assertTrue(all(level.fee_type == "none" for level in nl if level.days <= letter.days))
        be = self.env.ref("credit_control.credit_policy_be_consumer").level_ids.sorted("days")
        self.assertEqual(be[0].fee_type, "be_consumer", "the first reminder is counted, and free")
        self.assertGreaterEqual(be[1].days - be[0].days, 14, "14 days to pay after the free reminder")

    def test_a_crash_keeps_the_committed_batches_and_the_rerun_resumes(self):
        self._policy("Interest", {"name": "Herinnering", "days": 7})
        customers = self.Partner.create(
            [{"name": f"Klant {index}", "email": f"klant{index}@example.com"} for index in range(3)]
        )
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-8)
        cr = self.env.cr
        commits = []

        def commit():
            # what a real commit makes durable survives the crash: mark it with a savepoint
            self.env.flush_all()
            cr.execute("SAVEPOINT credit_crash_test")
            commits.append(True)

        process_batch = credit_followup_run.CreditFollowupRun._process_batch

        def crashing_process_batch(run, batch):
            if len(commits) == 2:
                raise MemoryError("worker killed")
            return process_batch(run, batch)

        crashed = False
        with (
            patch.object(credit_followup_run, "BATCH_SIZE", 1),
            patch.object(cr, "commit", commit),
            patch.object(credit_followup_run.CreditFollowupRun, "_process_batch", crashing_process_batch),
        ):
            try:  # not assertRaises: its own savepoint would roll back the "commits"
                self.env["credit.followup.run"]._run_followup(self.company, auto_commit=True)
            except MemoryError:
                crashed = True
        self.assertTrue(crashed)
        cr.execute("ROLLBACK TO SAVEPOINT credit_crash_test")  # the crash loses the batch in progress
        self.env.invalidate_all()
        done = self.Action.search([("partner_id", "in", customers.ids)])
        self.assertEqual(done.partner_id, customers[:2])
        self.assertEqual(len(self.env["mail.mail"].search([("mail_message_id", "in", done.mail_message_id.ids)])), 2)
        resumed = self._run()
        self.assertEqual(resumed.partner_id, customers[2], "the rerun does only what the crash left")
        self.assertFalse(self._run(), "and a third run nothing")

    def test_a_half_year_without_rate_is_warned_on_the_rates_the_policy_the_run_and_the_action(self):
        """The shipped tables end on 1 January 2026. In June the table is current; from 1 July interest runs at the
        January rate until the July rate is added: the rate list, the policy and its level, the run and the
        action's result say so, and adding the rate clears the warning."""
        policy = self._policy("Interest", {"name": "Aanmaning", "days": 30, "interest_type": "nl_commercial"})
        Rate = self.env["credit.interest.rate"]
        january = Rate.search([("rate_type", "=", "nl_commercial"), ("date_from", "=", date(2026, 1, 1))])
        self.assertEqual(Rate._missing_rate_warnings({"nl_commercial", "nl_consumer", "be_legal"}), {})
        self.assertFalse(policy.interest_rate_warning)
        self.assertFalse(january.missing_rate_warning)
        self._invoice(self.customer, 1000.0, due_in=-30)
        with freeze_time("2026-07-02"):
            Rate.invalidate_model(["missing_rate_warning"])
            policy.invalidate_recordset(["interest_rate_warning"])
            policy.level_ids.invalidate_recordset(["interest_rate_warning"])
            warnings = Rate._missing_rate_warnings({"nl_commercial", "nl_consumer", "be_legal", "none"})
            # the Belgian legal rate is yearly: its 2026 rate is current
            self.assertEqual(set(warnings), {"nl_commercial", "nl_consumer"})
            self.assertIn("no rate from 07/01/2026", warnings["nl_commercial"])
            self.assertIn("the rate of 01/01/2026 (10.15 %)", warnings["nl_commercial"])
            self.assertEqual(january.missing_rate_warning, warnings["nl_commercial"])
            older = Rate.search([("rate_type", "=", "nl_commercial"), ("date_from", "=", date(2025, 7, 1))])
            self.assertFalse(older.missing_rate_warning, "only the latest rate of a kind carries the warning")
            self.assertEqual(policy.level_ids.interest_rate_warning, warnings["nl_commercial"])
            self.assertEqual(policy.interest_rate_warning, warnings["nl_commercial"])
        action = self._run(days=17)  # 2 July
        self.assertIn(warnings["nl_commercial"], action.result)
        run = self.env["credit.followup.run"].search([("company_id", "=", self.company.id)], order="id desc", limit=1)
        self.assertTrue(any(warnings["nl_commercial"] in message.body for message in self._messages(run)))
        Rate.create({"rate_type": "nl_commercial", "date_from": "2026-07-01", "rate": 10.0})
        with freeze_time("2026-07-02"):
            self.assertNotIn("nl_commercial", Rate._missing_rate_warnings({"nl_commercial"}))
        self.assertEqual(Rate._missing_rate_warnings({"nl_commercial"}, date(2027, 1, 1)).keys(), {"nl_commercial"})

    def test_a_group_of_rates_has_no_sum(self):
        groups = self.env["credit.interest.rate"].read_group([], ["rate_type", "rate"], ["rate_type"])
        self.assertTrue(groups)
        self.assertTrue(all("rate" not in group or not group["rate"] for group in groups))
