from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.credit_control.tools.credit_provision import net_debts, provision_amount, provision_lines

from .common import TODAY, CreditControlCommon

MAY_END = date(2026, 5, 31)
JUNE_FIRST = date(2026, 6, 1)


@tagged("post_install", "-at_install")
class TestProvisionRules(BaseCase):
    """The pure rules of ``tools.credit_provision``: set-off of credits, rounding, lines."""

    def test_credits_are_set_off_against_the_oldest_debts_first(self):
        self.assertEqual(net_debts({"1_30": 100, "91_plus": 40}, -50), {"1_30": 90})
        self.assertEqual(net_debts({"0_not_due": 10, "61_90": 40}, 0), {"0_not_due": 10, "61_90": 40})
        # credits above the debts: nothing doubtful, the rest is no provision matter
        self.assertEqual(net_debts({"31_60": 40}, -70), {})

    def test_provision_is_rounded_half_up_per_line(self):
        self.assertEqual(str(provision_amount(777.77, 50)), "388.89")  # 388.885
        self.assertEqual(str(provision_amount(1234.56, 10)), "123.46")  # 123.456
        self.assertEqual(str(provision_amount("0.05", 10)), "0.01")  # 0.005

    def test_segment_rate_makes_its_own_line_and_insolvency_one_line(self):
        rates = {("1_30", None): 10, ("1_30", 7): 20}

        def rate_for(bucket, segment):
            if (bucket, segment) in rates:
                return segment, rates[bucket, segment]
            return None, rates.get((bucket, None), 0)

        lines = provision_lines(
            [
                (None, False, {"1_30": 100.0}, 0),
                (7, False, {"1_30": 50.0}, 0),
                (8, False, {"1_30": 30.0}, 0),  # its segment has no rate of its own: the general one
                (None, True, {"1_30": 20.0, "91_plus": 5.0}, 0),
            ],
            rate_for,
            100,
        )
        self.assertEqual(
            [(line["bucket"], line["rate_key"], str(line["base"]), str(line["amount"])) for line in lines],
            [("1_30", None, "130.00", "13.00"), ("1_30", 7, "50.00", "10.00"), (None, None, "25.00", "25.00")],
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestProvision(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Account = cls.env["account.account"]
        cls.expense_account = Account.create(
            {"name": "Dotatie voorziening dubieuze debiteuren", "code": "495901", "account_type": "expense"}
        )
        cls.provision_account = Account.create(
            {"name": "Voorziening dubieuze debiteuren", "code": "130901", "account_type": "asset_current"}
        )
        cls.company.write(
            {
                "credit_provision_expense_account_id": cls.expense_account.id,
                "credit_provision_account_id": cls.provision_account.id,
                "credit_provision_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        Rate = cls.env["credit.provision.rate"]
        Rate.create(
            [
                {"bucket": "0_not_due", "percent": 0.0},
                {"bucket": "1_30", "percent": 10.0},
                {"bucket": "31_60", "percent": 50.0},
            ]
        )
        # aged at 31 May: not due (due 10 June), 15 days (due 16 May), 40 days (due 21 April)
        cls.not_due = cls._invoice(cls.customer, 1000.00, due_in=-5)
        cls.young = cls._invoice(cls.customer, 1234.56, due_in=-30)
        cls.older = cls._invoice(cls.other_customer, 777.77, due_in=-55)
        # dated after the month end: not in May's aging
        cls._invoice(cls.customer, 300.00, due_in=10, invoice_days=-10)
        # a bankrupt customer since 20 May, owing 500.10 of 1 March (over 90 days, no rate): 100 %
        cls.bankrupt = cls.Partner.create({"name": "Bouwbedrijf Van Wijk B.V.", "is_company": True})
        cls.bankrupt_invoice = cls._invoice(cls.bankrupt, 500.10, due_in=-106)
        cls.case = cls.env["credit.insolvency"].create(
            {
                "partner_id": cls.bankrupt.id,
                "kind": "nl_bankruptcy",
                "judgment_date": date(2026, 5, 20),
                "court": "Rechtbank Midden-Nederland",
            }
        )

    def _wizard(self, user=None, day=MAY_END):
        return self.env["credit.provision"].with_user(user or self.manager).create({"date": day})

    def _lines(self, wizard):
        return [(line.name, line.base_amount, line.percent, line.amount) for line in wizard.line_ids]

    def test_preview_per_bucket_to_the_cent(self):
        wizard = self._wizard()
        self.assertEqual(wizard.date, MAY_END)  # the default too: last month's end
        self.assertEqual(self.env["credit.provision"].with_user(self.manager).new({}).date, MAY_END)
        self.assertEqual(
            self._lines(wizard),
            [
                ("Not Due at 0.00 %", 1000.00, 0.0, 0.0),
                ("1-30 Days at 10.00 %", 1234.56, 10.0, 123.46),
                ("31-60 Days at 50.00 %", 777.77, 50.0, 388.89),
                ("customers in an insolvency case at 100.00 %", 500.10, 100.0, 500.10),
            ],
        )
        self.assertAlmostEqual(wizard.amount_total, 1012.45, places=2)
        self.assertAlmostEqual(wizard.base_total, 3512.43, places=2)
        self.assertEqual(wizard.account_balance, 0.0)
        self.assertAlmostEqual(wizard.difference, 1012.45, places=2)

    def test_post_books_each_bucket_and_reverses_on_the_first(self):
        action = self._wizard().action_post()
        move = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.date, MAY_END)
        self.assertEqual(move.credit_provision_date, MAY_END)
        self.assertEqual(move.journal_id, self.company_data["default_journal_misc"])
        lines = {
            (line.account_id, line.name): (line.debit, line.credit)
            for line in move.line_ids.sorted(lambda line: (line.name, line.debit))
        }
        expected = {
            "Provision for doubtful debts May 2026: 1-30 Days at 10.00 %": 123.46,
            "Provision for doubtful debts May 2026: 31-60 Days at 50.00 %": 388.89,
            "Provision for doubtful debts May 2026: customers in an insolvency case at 100.00 %": 500.10,
        }
        self.assertEqual(len(move.line_ids), 6)  # no line for the bucket at 0 %
        for label, amount in expected.items():
            self.assertEqual(lines[self.expense_account, label], (amount, 0.0))
            self.assertEqual(lines[self.provision_account, label], (0.0, amount))
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), 1012.45, places=2)
        self.assertAlmostEqual(sum(move.line_ids.mapped("credit")), 1012.45, places=2)
        reversal = self.env["account.move"].search([("reversed_entry_id", "=", move.id)])
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(reversal.date, JUNE_FIRST)
        self.assertFalse(reversal.credit_provision_date)
        self.assertEqual(
            {(line.account_id, line.debit, line.credit) for line in reversal.line_ids if line.debit or line.credit},
            {(line.account_id, line.credit, line.debit) for line in move.line_ids},
        )
        # the provision account holds May's provision at 31 May, nothing from 1 June
        balance = self.env["account.move.line"]._read_group(
            [("account_id", "=", self.provision_account.id), ("parent_state", "=", "posted")], [], ["balance:sum"]
        )[0][0]
        self.assertAlmostEqual(balance, 0.0, places=2)
        self.assertAlmostEqual(self._wizard(day=MAY_END).account_balance, 1012.45, places=2)

    def test_payment_after_month_end_does_not_change_the_month_end_aging(self):
        self._pay(self.older, days=-10)  # paid on 5 June
        self._pay(self.young, amount=234.56, days=-20)  # partly paid on 26 May: 1,000.00 left at 31 May
        self.assertTrue(self.older.payment_state in ("paid", "in_payment"))
        lines = {line.bucket: (line.base_amount, line.amount) for line in self._wizard().line_ids}
        self.assertEqual(lines["31_60"], (777.77, 388.89))
        self.assertEqual(lines["1_30"], (1000.00, 100.00))

    def test_open_credits_are_set_off_against_the_customer_oldest_items(self):
        credit_note = self._invoice(self.other_customer, 100.00, due_in=-20, move_type="out_refund")
        self.assertEqual(credit_note.state, "posted")
        lines = {line.bucket: (line.base_amount, line.amount) for line in self._wizard().line_ids}
        self.assertEqual(lines["31_60"], (677.77, 338.89))  # 338.885

    def test_segment_rate_applies_to_its_customers(self):
        segment = self.env["credit.segment"].create({"name": "Garages", "partner_domain": "[('id', '=', 0)]"})
        self.customer.credit_segment_id = segment
        self.env["credit.provision.rate"].create({"bucket": "1_30", "segment_id": segment.id, "percent": 20.0})
        lines = [(line.bucket, line.segment_id, line.amount) for line in self._wizard().line_ids]
        self.assertIn(("1_30", segment, 246.91), lines)  # 246.912
        self.assertNotIn("1_30", [bucket for bucket, segment_id, _amount in lines if not segment_id])
        with self.assertRaises(ValidationError):
            self.env["credit.provision.rate"].create({"bucket": "1_30", "segment_id": segment.id, "percent": 5.0})

    def test_a_month_is_provided_once(self):
        move = self.env["account.move"].browse(self._wizard().action_post()["res_id"])
        wizard = self._wizard()
        self.assertEqual(wizard.existing_move_id, move)
        with self.assertRaisesRegex(UserError, "posted already"):
            wizard.action_post()
        # and the database refuses a second entry of the month, whatever writes it
        other = move.copy({"date": MAY_END})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            other.sudo().write({"credit_provision_date": MAY_END})
            other.flush_recordset()
        other.button_cancel()
        # the entry and its reversal cancelled: the month can be posted again
        reversal = move.reversal_move_ids
        (move | reversal).button_draft()
        (move | reversal).button_cancel()
        again = self.env["account.move"].browse(self._wizard().action_post()["res_id"])
        self.assertEqual(again.credit_provision_date, MAY_END)
        self.assertNotEqual(again, move)

    def test_only_ended_month_ends(self):
        with self.assertRaisesRegex(UserError, "month end"):
            self._wizard(day=date(2026, 5, 30)).action_post()
        with self.assertRaisesRegex(UserError, "month that has ended"):
            self._wizard(day=date(2026, 6, 30)).action_post()

    def test_other_company_items_are_not_counted(self):
        other = self.setup_other_company(name="Van Dijk België")["company"]
        self._invoice(self.customer, 9999.99, due_in=-30, company=other)
        self.env["credit.provision.rate"].create({"company_id": other.id, "bucket": "1_30", "percent": 10.0})
        lines = {line.bucket: line.base_amount for line in self._wizard().line_ids}
        self.assertEqual(lines["1_30"], 1234.56)
        # and the other company's provision counts only its own
        self.env.user.company_ids |= other
        wizard = self.env["credit.provision"].with_company(other).create({"company_id": other.id, "date": MAY_END})
        self.assertEqual([(line.bucket, line.base_amount) for line in wizard.line_ids], [("1_30", 9999.99)])
        self.assertTrue(wizard.config_warning)  # no accounts set for it
        with self.assertRaises(UserError):
            wizard.action_post()

    def test_collector_cannot_post_or_set_rates(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.collector)
        wizard = self._wizard()
        with self.assertRaises(AccessError):
            wizard.with_user(self.collector).action_post()
        with self.assertRaises(AccessError):
            self.env["credit.provision.rate"].with_user(self.collector).create({"bucket": "61_90", "percent": 75.0})
        rate = self.env["credit.provision.rate"].search([("bucket", "=", "1_30")])
        with self.assertRaises(AccessError):
            rate.with_user(self.collector).write({"percent": 0.0})
        with self.assertRaises(AccessError):
            rate.with_user(self.collector).unlink()
        self.assertFalse(self.env["account.move"].search([("credit_provision_date", "!=", False)]))

    def test_no_user_marks_an_entry_as_a_provision_by_hand(self):
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "date": MAY_END,
                "line_ids": [
                    Command.create({"account_id": self.expense_account.id, "debit": 10.0}),
                    Command.create({"account_id": self.provision_account.id, "credit": 10.0}),
                ],
            }
        )
        for user in (self.manager, self.env.user):
            with self.assertRaises(AccessError):
                entry.with_user(user).write({"credit_provision_date": MAY_END})
            with self.assertRaises(AccessError):
                entry.with_user(user).copy().write({"credit_provision_date": MAY_END})
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.manager).create(
                {"move_type": "entry", "date": MAY_END, "credit_provision_date": MAY_END}
            )
        # so the month is still free to provide
        self.assertFalse(self._wizard().existing_move_id)

    def test_provision_account_is_no_receivable(self):
        with self.assertRaises(ValidationError):
            self.company.credit_provision_account_id = self.company_data["default_account_receivable"]

    def test_monthly_cron_posts_for_companies_that_ask_it(self):
        cron = self.env.ref("credit_control.ir_cron_credit_provision")
        with freeze_time("2026-06-01 04:00:00"):
            cron.method_direct_trigger()
            self.assertFalse(self.env["account.move"].search([("credit_provision_date", "!=", False)]))
            self.company.credit_provision_auto_post = True
            cron.method_direct_trigger()
            cron.method_direct_trigger()  # a rerun posts nothing twice
        moves = self.env["account.move"].search([("credit_provision_date", "!=", False)])
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.credit_provision_date, MAY_END)
        self.assertAlmostEqual(moves.amount_total, 1012.45, places=2)
        self.assertEqual(moves.reversal_move_ids.state, "posted")

    def test_cfo_report_shows_the_last_provision(self):
        Report = self.env["report.credit_control.report_credit_cfo"]
        self.assertIsNone(Report._cfo_provision(self.company, self.today)["provision"])
        self._wizard().action_post()
        values = Report._cfo_provision(self.company, self.today)
        self.assertAlmostEqual(values["provision"], 1012.45, places=2)
        self.assertEqual(values["provision_date"], MAY_END)
        self.assertEqual(values["provision_percent"], 28.8)  # 1,012.45 of 3,512.43 at 31 May
        self.assertIsNone(Report._cfo_provision(self.company, date(2026, 5, 30))["provision"])
        snapshot = self.env["credit.kpi.snapshot"]._compute_month(self.company, MAY_END)
        snapshot = snapshot.filtered(lambda s: s.scope == "company")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "credit_control.action_report_credit_cfo", snapshot.ids, data={"date": "2026-05-31", "lang": "en_US"}
            )[0]
            .decode()
        )
        self.assertIn("Provision for doubtful debts at 05/31/2026", html)
        self.assertIn("1,012.45", html)
        self.assertIn("28.8", html)

    def test_the_rate_list_and_the_wizard_are_in_the_menu(self):
        menu = self.env.ref("credit_control.credit_provision_menu")
        self.assertEqual(menu.action, self.env.ref("credit_control.credit_provision_action"))
        self.assertIn(self.env.ref("credit_control.group_credit_control_manager"), menu.groups_id)
        self.assertTrue(self.env.ref("credit_control.credit_provision_rate_menu").action)
        move = self.env["account.move"].browse(self._wizard().action_post()["res_id"])
        entries = self.env.ref("credit_control.credit_provision_move_action")
        self.assertEqual(self.env["account.move"].search(safe_eval(entries.domain)), move | move.reversal_move_ids)
        # no tax, no customer on the provision: it is no customer's debt
        self.assertFalse(move.line_ids.tax_ids)
        self.assertFalse(move.line_ids.partner_id)
