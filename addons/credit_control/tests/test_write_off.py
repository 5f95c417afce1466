from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, Form, tagged

from ..tools import bad_debt_vat
from .common import TODAY, CreditControlCommon


@tagged("post_install", "-at_install")
class TestWriteOffRules(BaseCase):
    """The dated VAT relief rules and the pro-rata split, without a database."""

    def test_dutch_one_year_limit_and_bankruptcy_judgment(self):
        self.assertEqual(bad_debt_vat.relief_date("NL", date(2025, 3, 31)), (date(2026, 3, 31), "nl_one_year"))
        self.assertEqual(bad_debt_vat.relief_date("NL", date(2024, 2, 29)), (date(2025, 2, 28), "nl_one_year"))
        # a bankruptcy before the year is over makes the VAT reclaimable from the judgment
        self.assertEqual(
            bad_debt_vat.relief_date("NL", date(2026, 1, 31), "nl_bankruptcy", date(2026, 5, 4)),
            (date(2026, 5, 4), "nl_insolvency"),
        )
        # a judgment after the year changes nothing; a suspension of payments never does
        self.assertEqual(
            bad_debt_vat.relief_date("NL", date(2025, 1, 31), "nl_bankruptcy", date(2026, 5, 4)),
            (date(2026, 1, 31), "nl_one_year"),
        )
        self.assertEqual(
            bad_debt_vat.relief_date("NL", date(2026, 1, 31), "nl_suspension", date(2026, 5, 4)),
            (date(2027, 1, 31), "nl_one_year"),
        )
        self.assertTrue(bad_debt_vat.is_reclaimable("NL", date(2025, 6, 15), date(2026, 6, 15)))
        self.assertFalse(bad_debt_vat.is_reclaimable("NL", date(2025, 6, 16), date(2026, 6, 15)))

    def test_belgian_rules_and_no_rule_elsewhere(self):
        self.assertEqual(
            bad_debt_vat.relief_date("BE", date(2026, 1, 31), "be_bankruptcy", date(2026, 3, 2)),
            (date(2026, 3, 2), "be_insolvency"),
        )
        self.assertEqual(bad_debt_vat.relief_date("BE", date(2026, 1, 31)), (date(2027, 1, 31), "be_one_year"))
        # a Dutch case does not count for a Belgian return
        self.assertEqual(
            bad_debt_vat.relief_date("BE", date(2026, 1, 31), "nl_bankruptcy", date(2026, 3, 2)),
            (date(2027, 1, 31), "be_one_year"),
        )
        self.assertIn("unverified", bad_debt_vat.legal_basis("be_one_year"))
        self.assertEqual(bad_debt_vat.relief_date("FR", date(2026, 1, 31)), (None, None))

    def test_split_is_pro_rata_and_sums_to_the_cent(self):
        parts = [("b21", 100), ("b9", 100), ("t21", 21), ("t9", 9)]
        shares = bad_debt_vat.split_amount(130, parts)
        self.assertEqual(
            {k: str(v) for k, v in shares.items()}, {"b21": "56.52", "b9": "56.52", "t21": "11.87", "t9": "5.09"}
        )
        # three equal thirds of 100: one part takes the cent
        thirds = bad_debt_vat.split_amount(100, [("a", 1), ("b", 1), ("c", 1)])
        self.assertEqual(sum(thirds.values()), 100)
        self.assertEqual(sorted(str(v) for v in thirds.values()), ["33.33", "33.33", "33.34"])


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWriteOff(CreditControlCommon):
    """Writing off bad debts: the entry to the cent, the VAT relief through the refund repartition with its tags,
    the dated rule, a later recovery, access and companies, and the VAT Relief report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nl = cls.env.ref("base.nl")
        cls.company.write({"country_id": cls.nl.id, "account_fiscal_country_id": cls.nl.id})
        Tag = cls.env["account.account.tag"]

        def tag(name, negate):
            return Tag.create({"name": name, "applicability": "taxes", "country_id": cls.nl.id, "tax_negate": negate})

        cls.tags = {
            name: tag(name, name.startswith("-"))
            for name in ("+1a omzet", "+1a btw", "-1a omzet", "-1a btw", "+1b omzet", "+1b btw", "-1b omzet", "-1b btw")
        }
        cls.vat_account = cls.company_data["default_account_tax_sale"]
        cls.tax21 = cls._nl_tax("21% BTW", 21.0, "1a")
        cls.tax9 = cls._nl_tax("9% BTW", 9.0, "1b")
        cls.bad_debt = cls.env["account.account"].create(
            {"code": "480100", "name": "Afgeboekte debiteuren", "account_type": "expense"}
        )
        cls.company.write(
            {
                "credit_bad_debt_account_id": cls.bad_debt.id,
                "credit_write_off_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        cls.Wizard = cls.env["credit.write.off"]

    @classmethod
    def _nl_tax(cls, name, amount, rubric, country=None):
        """A sale tax with the rubric's tags on its repartition (a Dutch one), or without tags for ``country``."""
        country = country or cls.nl
        group = cls.env["account.tax.group"].create({"name": f"BTW {country.code}", "country_id": country.id})
        tax = cls.env["account.tax"].create(
            {
                "name": name,
                "amount": amount,
                "type_tax_use": "sale",
                "country_id": country.id,
                "tax_group_id": group.id,
            }
        )
        for line in tax.invoice_repartition_line_ids | tax.refund_repartition_line_ids:
            if line.repartition_type == "tax":
                line.account_id = cls.vat_account
            if country == cls.nl:
                sign = "+" if line.document_type == "invoice" else "-"
                kind = "omzet" if line.repartition_type == "base" else "btw"
                line.tag_ids = cls.tags[f"{sign}{rubric} {kind}"]
        return tax

    def _vat_invoice(self, lines, due_in, partner=None, currency=None):
        """A posted invoice with ``lines`` [(price, tax)], due ``due_in`` days from today."""
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": self._days(due_in - 30),
                "date": self._days(due_in - 30),
                "invoice_date_due": self._days(due_in),
                "currency_id": (currency or self.currency).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for price, tax in lines
                ],
            }
        )
        move.action_post()
        return move

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def _wizard(self, model, records, user=None):
        return (
            self.Wizard.with_user(user or self.manager)
            .with_context(active_model=model, active_ids=records.ids, active_id=records[:1].id)
            .create({})
        )

    def _write_off(self, invoice):
        wizard = self._wizard("account.move.line", self._receivable(invoice))
        action = wizard.action_write_off()
        return self.env["credit.write.off.entry"].search(action["domain"])

    def _bad_debt_balance(self, move):
        return sum(move.line_ids.filtered(lambda line: line.account_id == self.bad_debt).mapped("balance"))

    def _tag_total(self, tag_names):
        """What the VAT return shows for these tags: balance, inverted for invoices, negated for '-' tags."""
        tags = self.env["account.account.tag"].browse([self.tags[name].id for name in tag_names])
        lines = self.env["account.move.line"].search([("tax_tag_ids", "in", tags.ids), ("parent_state", "=", "posted")])
        total = 0.0
        for line in lines:
            for tag in line.tax_tag_ids & tags:
                value = line.balance * (-1 if line.tax_tag_invert else 1)
                total += -value if tag.tax_negate else value
        return round(total, 2)

    # ------------------------------------------------------------------
    # The entry
    # ------------------------------------------------------------------
    def test_121_invoice_written_off_relieves_21_through_the_refund_repartition(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-400)
        # through the form, as the web client saves it
        receivable = self._receivable(invoice)
        context = {"active_model": "account.move.line", "active_ids": receivable.ids, "active_id": receivable.id}
        wizard = Form(self.Wizard.with_user(self.manager).with_context(**context)).save()
        line = wizard.line_ids
        self.assertEqual(line.item_id, receivable)
        self.assertEqual(line.amount, 121.0)
        self.assertEqual(line.vat_amount, 21.0)
        self.assertTrue(line.reclaimable)
        self.assertEqual(line.relief_date, self._days(-400 + 365))
        self.assertIn("art. 29 Wet OB", line.legal_basis)
        self.assertEqual((wizard.amount_total, wizard.vat_relieved_total, wizard.expense_total), (121.0, 21.0, 100.0))
        entry = self.env["credit.write.off.entry"].search(wizard.action_write_off()["domain"])
        move = entry.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.company_data["default_journal_misc"])
        self.assertEqual(sum(move.line_ids.mapped("debit")), 121.0)
        self.assertEqual(sum(move.line_ids.mapped("credit")), 121.0)
        tax_line = move.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual(tax_line.debit, 21.0)
        self.assertEqual(tax_line.account_id, self.vat_account)
        self.assertEqual(
            tax_line.tax_repartition_line_id,
            self.tax21.refund_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax"),
        )
        self.assertEqual(tax_line.tax_tag_ids, self.tags["-1a btw"])
        base_line = move.line_ids.filtered("tax_ids")
        self.assertEqual((base_line.account_id, base_line.debit), (self.bad_debt, 100.0))
        self.assertEqual(base_line.tax_tag_ids, self.tags["-1a omzet"])
        self.assertEqual(self._bad_debt_balance(move), 100.0)
        # the invoice is paid by the write-off; the VAT return nets the invoice and its relief to zero
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._tag_total(["+1a btw", "-1a btw"]), 0.0)
        self.assertEqual(self._tag_total(["-1a btw"]), -21.0)
        self.assertEqual(self._tag_total(["-1a omzet"]), -100.0)
        self.assertEqual((entry.vat_state, entry.vat_relieved, entry.amount), ("relieved", 21.0, 121.0))
        self.assertEqual(entry.relief_rule, "nl_one_year")

    def test_mixed_rates_partially_paid_relieve_the_vat_of_the_unpaid_part_per_rate(self):
        invoice = self._vat_invoice([(100.0, self.tax21), (100.0, self.tax9)], due_in=-400)
        self.assertEqual(invoice.amount_total, 230.0)
        self._pay(invoice, amount=100.0)
        entry = self._write_off(invoice)
        move = entry.move_id
        self.assertEqual(entry.amount, 130.0)
        self.assertEqual(entry.vat_amount, 16.96)
        by_tax = {line.tax_line_id: line.debit for line in move.line_ids.filtered("tax_repartition_line_id")}
        self.assertEqual(by_tax, {self.tax21: 11.87, self.tax9: 5.09})
        bases = {line.tax_ids: line.debit for line in move.line_ids.filtered("tax_ids")}
        self.assertEqual(bases, {self.tax21: 56.52, self.tax9: 56.52})
        self.assertEqual(sum(move.line_ids.mapped("debit")), 130.0)
        self.assertEqual(sum(move.line_ids.mapped("credit")), 130.0)
        self.assertEqual(self._tag_total(["-1b btw"]), -5.09)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_foreign_currency_invoice_written_off_in_both_currencies(self):
        eur = self.setup_other_currency("EUR")  # 2.00 EUR for 1.00 of the company's currency
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-400, currency=eur)
        entry = self._write_off(invoice)
        move = entry.move_id
        self.assertEqual(entry.amount, 60.5)
        self.assertEqual(entry.vat_amount, 10.5)
        tax_line = move.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual((tax_line.debit, tax_line.amount_currency, tax_line.currency_id), (10.5, 21.0, eur))
        receivable = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertEqual((receivable.credit, receivable.amount_currency), (60.5, -121.0))
        self.assertEqual(sum(move.line_ids.mapped("amount_currency")), 0.0)
        self.assertTrue(eur.is_zero(invoice.amount_residual))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_vat_not_yet_reclaimable_stays_on_the_bad_debt_account_until_the_rule_date(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-30)
        entry = self._write_off(invoice)
        self.assertEqual(entry.vat_state, "pending")
        self.assertEqual(entry.relief_date, self._days(335))
        move = entry.move_id
        self.assertFalse(move.line_ids.filtered("tax_repartition_line_id"))
        self.assertEqual(move.line_ids.filtered(lambda line: line.account_id == self.bad_debt).debit, 121.0)
        with self.assertRaises(UserError):
            entry.with_user(self.manager).action_relieve_vat()
        # the VAT Relief report lists it in the month of its rule's date, not this month
        Relief = self.env["credit.vat.relief"]
        row = Relief.search([("invoice_id", "=", invoice.id)])
        self.assertEqual((row.relief_date, row.vat_amount, row.written_off), (self._days(335), 21.0, True))
        self.assertIn("art. 29", row.legal_basis)
        self.assertFalse(
            Relief.search(
                [
                    ("invoice_id", "=", invoice.id),
                    ("relief_date", ">=", "2026-06-01"),
                    ("relief_date", "<=", "2026-06-30"),
                ]
            )
        )
        self.assertEqual(Relief.search([("relief_date", ">=", "2027-05-01"), ("relief_date", "<=", "2027-05-31")]), row)
        with freeze_time(self._days(335)):
            entry.with_user(self.manager).action_relieve_vat()
        relief = entry.relief_move_id
        self.assertEqual(relief.date, self._days(335))
        tax_line = relief.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual((tax_line.debit, tax_line.tax_tag_ids), (21.0, self.tags["-1a btw"]))
        self.assertEqual(self._bad_debt_balance(relief), -21.0)
        self.assertEqual(self._tag_total(["-1a omzet"]), -100.0)
        self.assertEqual((entry.vat_state, entry.vat_relieved), ("relieved", 21.0))

    def test_open_invoice_listed_in_the_vat_relief_report_on_its_one_year_date(self):
        invoice = self._vat_invoice([(100.0, self.tax21), (100.0, self.tax9)], due_in=-365)
        self._pay(invoice, amount=115.0)
        row = self.env["credit.vat.relief"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual(
            (row.relief_date, row.vat_amount, row.written_off, row.vat_state), (self.today, 15.0, False, "open")
        )
        self.assertEqual(row.relief_rule, "nl_one_year")

    def test_bankruptcy_case_makes_the_vat_reclaimable_from_the_judgment(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-60)
        case = self.env["credit.insolvency"].create(
            {"partner_id": self.customer.id, "kind": "nl_bankruptcy", "judgment_date": self._days(-10)}
        )
        wizard = self._wizard("credit.insolvency", case)
        self.assertEqual(wizard.insolvency_id, case)
        self.assertEqual(wizard.line_ids.item_id, self._receivable(invoice))
        self.assertEqual(wizard.line_ids.relief_date, self._days(-10))
        self.assertEqual(wizard.line_ids.relief_rule, "nl_insolvency")
        self.assertTrue(wizard.line_ids.reclaimable)
        entry = self.env["credit.write.off.entry"].search(wizard.action_write_off()["domain"])
        self.assertEqual((entry.insolvency_id, entry.vat_state), (case, "relieved"))
        self.assertIn(case.name, entry.move_id.ref)
        # the trustee's dividend on written-off invoices is a recovery, not a payment of the invoice
        case._credit_set_state("claim_filed")
        with self.assertRaisesRegex(UserError, "Register Recovery"):
            case.with_user(self.manager).action_register_dividend()
        row = self.env["credit.vat.relief"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual(row.relief_date, self._days(-10))

    def test_suspension_case_keeps_the_one_year_rule(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-60)
        self.env["credit.insolvency"].create(
            {"partner_id": self.customer.id, "kind": "nl_suspension", "judgment_date": self._days(-10)}
        )
        line = self._wizard("res.partner", self.customer).line_ids
        self.assertEqual(line.item_id, self._receivable(invoice))
        self.assertEqual((line.relief_date, line.reclaimable), (self._days(305), False))

    def test_belgian_company_bankruptcy(self):
        be = self.env.ref("base.be")
        self.company.write({"account_fiscal_country_id": be.id})
        tax = self._nl_tax("21% BTW (BE)", 21.0, "1a", country=be)
        invoice = self._vat_invoice([(100.0, tax)], due_in=-60)
        self.env["credit.insolvency"].create(
            {"partner_id": self.customer.id, "kind": "be_bankruptcy", "judgment_date": self._days(-5)}
        )
        line = self._wizard("account.move", invoice).line_ids
        self.assertEqual(
            (line.relief_date, line.relief_rule, line.reclaimable), (self._days(-5), "be_insolvency", True)
        )
        self.assertIn("art. 77", line.legal_basis)

    # ------------------------------------------------------------------
    # Recovery
    # ------------------------------------------------------------------
    def _customer_payment(self, amount):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "journal_id": self.company_data["default_journal_bank"].id,
                "date": self.today,
            }
        )
        payment.action_post()
        return payment.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def test_payment_after_write_off_makes_the_vat_due_again_pro_rata(self):
        invoice = self._vat_invoice([(100.0, self.tax21), (100.0, self.tax9)], due_in=-400)
        entry = self._write_off(invoice)
        self.assertEqual((entry.vat_relieved, entry.relief_base), (30.0, 230.0))
        payment_line = self._customer_payment(46.0)
        Recovery = self.env["credit.write.off.recovery"].with_user(self.manager)
        action = entry.with_user(self.manager).action_register_recovery()
        # through the form: choosing the payment proposes its amount (at most what is written off)
        form = Form(Recovery.with_context(**action["context"]))
        form.payment_line_id = payment_line
        self.assertEqual(form.amount, 46.0)
        form.save().action_register()
        move = entry.recovery_move_ids
        self.assertEqual(len(move), 1)
        # 46 of 230: 20% — 4.20 of the 21% VAT and 1.80 of the 9% VAT are due again, 40 is income
        by_tax = {line.tax_line_id: line.credit for line in move.line_ids.filtered("tax_repartition_line_id")}
        self.assertEqual(by_tax, {self.tax21: 4.2, self.tax9: 1.8})
        invoice_tax = self.tax21.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax")
        self.assertIn(invoice_tax, move.line_ids.tax_repartition_line_id)
        self.assertEqual(self._bad_debt_balance(move), -40.0)
        self.assertTrue(payment_line.reconciled)
        self.assertEqual((entry.recovered_amount, entry.vat_due_again), (46.0, 6.0))
        self.assertEqual(self._tag_total(["+1a btw", "-1a btw"]), 4.2)
        # the rest comes in later (the trustee's dividend): all the relief is due again, to the cent
        rest = self._customer_payment(184.0)
        Recovery.create({"entry_id": entry.id, "payment_line_id": rest.id, "amount": 184.0}).action_register()
        self.assertEqual((entry.recovered_amount, entry.vat_due_again), (230.0, 30.0))
        self.assertEqual(self._tag_total(["+1a btw", "-1a btw"]), 21.0)
        self.assertEqual(self._tag_total(["+1b btw", "-1b btw"]), 9.0)
        self.assertEqual(
            sum(self.env["account.move.line"].search([("account_id", "=", self.bad_debt.id)]).mapped("balance")), 0.0
        )
        more = self._customer_payment(1.0)
        with self.assertRaises(UserError):
            Recovery.create({"entry_id": entry.id, "payment_line_id": more.id, "amount": 1.0}).action_register()

    def test_cash_basis_invoices_are_refused(self):
        self.company.tax_exigibility = True
        tax = self._nl_tax("21% BTW kasstelsel", 21.0, "1a")
        tax.write(
            {
                "tax_exigibility": "on_payment",
                "cash_basis_transition_account_id": self.copy_account(self.vat_account).id,
            }
        )
        invoice = self._vat_invoice([(100.0, tax)], due_in=-400)
        with self.assertRaisesRegex(UserError, "cash-basis"):
            self._wizard("account.move", invoice)

    def test_recovery_before_the_relief_keeps_its_vat_and_the_relief_covers_the_rest(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-30)
        entry = self._write_off(invoice)
        Recovery = self.env["credit.write.off.recovery"].with_user(self.manager)
        # half comes in before the VAT may be reclaimed: nothing was relieved, nothing is due again
        first = self._customer_payment(60.5)
        Recovery.create({"entry_id": entry.id, "payment_line_id": first.id, "amount": 60.5}).action_register()
        self.assertFalse(entry.recovery_move_ids.line_ids.filtered("tax_repartition_line_id"))
        self.assertEqual((entry.recovered_amount, entry.vat_due_again), (60.5, 0.0))
        # a year after the due date the VAT of the other half is relieved
        with freeze_time(self._days(335)):
            entry.with_user(self.manager).action_relieve_vat()
        self.assertEqual((entry.vat_relieved, entry.relief_base), (10.5, 60.5))
        # and the rest comes in after all: exactly that relief is due again
        rest = self._customer_payment(60.5)
        Recovery.create({"entry_id": entry.id, "payment_line_id": rest.id, "amount": 60.5}).action_register()
        self.assertEqual((entry.recovered_amount, entry.vat_due_again), (121.0, 10.5))
        self.assertEqual(self._tag_total(["+1a btw", "-1a btw"]), 21.0)
        self.assertEqual(self._bad_debt_balance(entry.move_id | entry.relief_move_id | entry.recovery_move_ids), 0.0)

    # ------------------------------------------------------------------
    # Access and companies
    # ------------------------------------------------------------------
    def test_entry_points_are_shown_to_credit_managers_only(self):
        action = self.env.ref("credit_control.credit_write_off_action")
        for model in ("credit.insolvency", "res.partner"):
            manager_arch = self.env[model].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
            collector_arch = (
                self.env[model].with_user(self.collector).get_views([(False, "form")])["views"]["form"]["arch"]
            )
            self.assertIn(f'name="{action.id}"', manager_arch, model)
            self.assertNotIn(f'name="{action.id}"', collector_arch, model)
        binding = self.env.ref("credit_control.credit_write_off_action_move_line").id
        Actions = self.env["ir.actions.actions"]
        collector_bindings = Actions.with_user(self.collector).get_bindings("account.move.line").get("action", [])
        manager_bindings = Actions.with_user(self.manager).get_bindings("account.move.line").get("action", [])
        self.assertNotIn(binding, [item["id"] for item in collector_bindings])
        self.assertIn(binding, [item["id"] for item in manager_bindings])
        self.assertEqual(
            self.env.ref("credit_control.credit_vat_relief_menu").action,
            self.env.ref("credit_control.credit_vat_relief_action"),
        )

    def test_only_credit_managers_write_off(self):
        invoice = self._vat_invoice([(100.0, self.tax21)], due_in=-400)
        with self.assertRaises(AccessError):
            self._wizard("account.move.line", self._receivable(invoice), user=self.collector)
        wizard = self._wizard("account.move.line", self._receivable(invoice))
        with self.assertRaises(AccessError):
            wizard.with_user(self.collector).action_write_off()
        entry = self._write_off(invoice)
        # collectors read write-offs, change nothing; nobody deletes one
        self.assertEqual(entry.with_user(self.collector).amount, 121.0)
        values = {
            "name": "x",
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "item_id": entry.item_id.id,
            "invoice_id": invoice.id,
            "date": self.today,
            "vat_state": "none",
        }
        for user in (self.collector, self.manager):
            with self.assertRaises(AccessError):
                entry.with_user(user).write({"amount": 1.0})
            with self.assertRaises(AccessError):
                entry.with_user(user).unlink()
            with self.assertRaises(AccessError):
                entry.with_user(user).copy()
            # records are made by the wizard only
            with self.assertRaises(AccessError):
                self.env["credit.write.off.entry"].with_user(user).create(values)
        with self.assertRaises(AccessError):
            entry.with_user(self.collector).action_register_recovery()
        with self.assertRaises(UserError):
            entry.sudo().unlink()

    def test_items_of_another_company_cannot_be_selected(self):
        other = self.setup_other_company(name="Van Dijk België")["company"]
        other_invoice = self._invoice(self.customer, 500.0, due_in=-400, company=other)
        mine = self._vat_invoice([(100.0, self.tax21)], due_in=-400)
        # the manager works in this company only: the other company's item is out of reach
        with self.assertRaises(UserError):
            self._wizard("account.move.line", self._receivable(other_invoice)).action_write_off()
        # with both companies, a mixed selection is refused
        self.manager.company_ids = [Command.link(other.id)]
        with self.assertRaises(UserError):
            self.Wizard.with_user(self.manager).with_context(
                active_model="account.move.line",
                active_ids=(self._receivable(mine) | self._receivable(other_invoice)).ids,
                allowed_company_ids=[self.company.id, other.id],
            ).create({})
        # nor does another company's user read this company's write-offs
        entry = self._write_off(self._vat_invoice([(50.0, self.tax21)], due_in=-400))
        other_user = self.env["res.users"].create(
            {
                "name": "Boekhouder België",
                "login": "other_manager",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "groups_id": [Command.set(self.env.ref("credit_control.group_credit_control_manager").ids)],
            }
        )
        self.assertFalse(self.env["credit.write.off.entry"].with_user(other_user).search([("id", "=", entry.id)]))
        self.assertFalse(self.env["credit.vat.relief"].with_user(other_user).search([]))
        # and a paid item is not a bad debt
        self._pay(mine)
        with self.assertRaises(UserError):
            self._wizard("account.move.line", self._receivable(mine))
