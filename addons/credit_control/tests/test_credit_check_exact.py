from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditCheckExact(CreditControlCommon):
    """The credit check's one statement (exposure and overdue balance from the index of the open items)
    gives to the cent what a plain ORM sum over the same book gives."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"credit_overdue_block_days": 30, "credit_overdue_block_tolerance": 50.0})
        cls.eur = cls.setup_other_currency("EUR")  # rate 2.0 today
        cls.company_2 = cls.setup_other_company(name="Belgian Branch")["company"]
        cls.env.user.company_ids |= cls.company_2
        cls.draft_only = cls.Partner.create({"name": "Only A Draft", "is_company": True, "customer_rank": 1})
        cls.prepaid = cls.Partner.create({"name": "Paid In Advance", "is_company": True, "customer_rank": 1})
        cls.idle = cls.Partner.create({"name": "Nothing Open", "is_company": True, "customer_rank": 1})
        cls.customers = cls.customer | cls.other_customer | cls.draft_only | cls.prepaid | cls.idle

        # confirmed orders (first: the overdue items below would block them): not invoiced, in the other
        # currency, invoiced as a draft, invoiced and posted, in the other company
        cls._order(cls.customer, 200.0).action_confirm()
        pricelist = cls.env["product.pricelist"].create({"name": "EUR", "currency_id": cls.eur.id})
        cls.foreign_order = cls._order(cls.customer_contact, 400.0)
        cls.foreign_order.pricelist_id = pricelist
        cls.foreign_order.order_line.price_unit = 400.0
        cls.foreign_order.action_confirm()
        drafted = cls._order(cls.other_customer, 310.0)
        drafted.action_confirm()
        drafted._create_invoices()
        posted = cls._order(cls.other_customer, 260.0)
        posted.action_confirm()
        posted._create_invoices().action_post()
        cls._order(cls.customer, 130.0, company=cls.company_2).action_confirm()
        # open items: partial payments, credit notes, a contact's invoice, foreign currency
        late = cls._invoice(cls.customer, 1000.0, due_in=-40)
        cls._pay(late, amount=300.0, days=-5)
        cls._invoice(cls.customer, 500.0, due_in=10)
        cls._invoice(cls.customer_contact, 250.0, due_in=-35)
        cls._invoice(cls.customer, 120.0, due_in=-50, move_type="out_refund")
        cls._invoice(cls.customer, 300.0, due_in=-45, currency=cls.eur)  # 150.00 in company currency
        paid = cls._invoice(cls.customer, 80.0, due_in=-60)
        cls._pay(paid)  # reconciled: counts nowhere
        foreign = cls._invoice(cls.other_customer, 999.99, due_in=-31, currency=cls.eur)
        cls._pay(foreign, amount=333.33, days=-2, currency=cls.eur)
        cls._invoice(cls.other_customer, 0.01, due_in=-100)
        # unallocated payments, one of them in the other currency
        for partner, amount, currency in ((cls.prepaid, 640.0, cls.currency), (cls.customer, 45.5, cls.eur)):
            payment = cls.env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "currency_id": currency.id,
                    "date": cls._days(-3),
                    "journal_id": cls.company_data["default_journal_bank"].id,
                }
            )
            payment.action_post()
        # draft invoices and credit notes (one in the other currency)
        cls._invoice(cls.customer, 70.0, due_in=5, post=False)
        cls._invoice(cls.customer, 20.0, due_in=5, post=False, move_type="out_refund")
        cls._invoice(cls.draft_only, 90.0, due_in=5, post=False, currency=cls.eur)
        # quotations count nowhere
        cls.quotation = cls._order(cls.customer, 5000.0)
        cls._order(cls.draft_only, 75.0).action_quotation_sent()
        # the other company's book
        cls._invoice(cls.customer, 900.0, due_in=-40, company=cls.company_2)
        cls._invoice(cls.prepaid, 55.0, due_in=-40, company=cls.company_2, post=False)

    # ------------------------------------------------------------------
    # The slow path: the definitions, summed by the ORM
    # ------------------------------------------------------------------

    def _slow_figures(self, partner, company, days, exclude_orders=None):
        """(exposure, overdue) of ``partner`` in ``company`` by the definitions, record by record."""
        round_amount = company.currency_id.round
        lines = (
            self.env["account.move.line"]
            .with_company(company)
            .search(
                [
                    ("company_id", "=", company.id),
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("reconciled", "=", False),
                    ("partner_id.commercial_partner_id", "=", partner.id),
                ]
            )
        )
        receivable = sum(lines.mapped("amount_residual"))
        limit = self.today - timedelta(days=days)
        due = sum(line.amount_residual for line in lines if line.date_maturity and line.date_maturity < limit)
        overdue = max(round_amount(min(due, receivable)), 0.0)
        drafts = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "draft"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("commercial_partner_id", "=", partner.id),
            ]
        )
        draft = sum(
            line.price_total * (move.amount_total_signed / move.amount_total if move.amount_total else 0.0)
            for move in drafts
            for line in move.invoice_line_ids
            if line.display_type == "product" and not line.sale_line_ids
        )
        orders = self.env["sale.order"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "sale"),
                ("partner_id.commercial_partner_id", "=", partner.id),
            ]
        ) - (exclude_orders or self.env["sale.order"])
        uninvoiced = sum(order._credit_uninvoiced_amount() for order in orders)
        return round_amount(receivable + draft + uninvoiced), overdue

    def _assert_same_as_slow_path(self, company, days, exclude_orders=None):
        exposures, overdues = self.customers.with_company(company)._credit_exposure_and_overdue(
            company, exclude_orders=exclude_orders, days=days
        )
        for partner in self.customers:
            exposure, overdue = self._slow_figures(partner, company, days, exclude_orders)
            self.assertAlmostEqual(exposures.get(partner.id, 0.0), exposure, places=2, msg=partner.name)
            self.assertAlmostEqual(overdues.get(partner.id, 0.0), overdue, places=2, msg=partner.name)
        # the separate figures agree with the statement the check uses
        self.assertEqual(self.customers._credit_exposure_by_partner(company, exclude_orders=exclude_orders), exposures)
        separate = self.customers._credit_overdue_by_partner(company, days=days)
        for partner in self.customers:
            self.assertAlmostEqual(separate.get(partner.id, 0.0), overdues.get(partner.id, 0.0), places=2)
        return exposures, overdues

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_fast_path_matches_the_orm_sum_to_the_cent(self):
        exposures, overdues = self._assert_same_as_slow_path(self.company, days=30)
        # by hand: open 700 + 500 + 250 - 120 + 150 - 22.75 (45.50 at rate 2) = 1,457.25; drafts 70 - 20;
        # orders 200 + 200 (400 at rate 2)
        self.assertAlmostEqual(exposures[self.customer.id], 1907.25, places=2)
        # overdue by more than 30 days: 700 + 250 - 120 + 150 (the payment is not due: it does not net out)
        self.assertAlmostEqual(overdues[self.customer.id], 980.0, places=2)
        self.assertAlmostEqual(exposures[self.draft_only.id], 45.0, places=2)
        self.assertAlmostEqual(exposures[self.prepaid.id], -640.0, places=2)
        self.assertEqual(overdues.get(self.prepaid.id, 0.0), 0.0)
        self.assertNotIn(self.idle.id, exposures)

    def test_fast_path_matches_for_other_periods_companies_and_excluded_orders(self):
        for days in (0, 7, 45, 365):
            self._assert_same_as_slow_path(self.company, days=days)
        exposures, _overdues = self._assert_same_as_slow_path(self.company_2, days=30)
        self.assertAlmostEqual(exposures[self.customer.id], 1030.0, places=2)  # 900 open + 130 ordered
        self.assertAlmostEqual(exposures[self.prepaid.id], 55.0, places=2)
        exposures, _overdues = self._assert_same_as_slow_path(self.company, 30, exclude_orders=self.foreign_order)
        self.assertAlmostEqual(exposures[self.customer.id], 1707.25, places=2)

    def test_fast_path_follows_payments_and_reversals(self):
        open_invoice = self._invoice(self.customer, 410.0, due_in=-33)
        self._assert_same_as_slow_path(self.company, days=30)
        self._pay(open_invoice, amount=10.0)
        self._assert_same_as_slow_path(self.company, days=30)
        self._pay(open_invoice)
        exposures, _overdues = self._assert_same_as_slow_path(self.company, days=30)
        self.assertAlmostEqual(exposures[self.customer.id], 1907.25, places=2)

    def test_the_check_reads_the_figures_in_one_statement(self):
        self.customer.credit_limit = 2000.0
        order = self.quotation
        self.env.invalidate_all()
        figures = order._credit_figures()
        exposure, overdue = self._slow_figures(self.customer, self.company, 30)
        self.assertAlmostEqual(figures["exposure"], exposure, places=2)
        self.assertAlmostEqual(figures["overdue"], overdue, places=2)
        self.env.invalidate_all()
        # the order, its customer, the company, the user's time zone (and partner), the one statement (and the
        # check that the connection has it prepared), the currency, the customer's credit fields, the company
        # partner's language for the amounts
        with self.assertQueryCount(10):
            reasons = order._credit_block_reasons()
        self.assertEqual(len(reasons), 2)  # over the limit and overdue
        self.assertIn("6,907.25", reasons[0])
        self.assertIn("980.00", reasons[1])

    def test_the_check_in_a_request_reads_the_order_customer_company_statement_and_currency(self):
        """In a web request's context (its language and time zone) the check reads nothing of the user: the
        order, its customer's credit fields, the company, the one statement (and the check that the connection
        has it prepared) and the currency - six queries, however many open items the customer has."""
        self.customer.credit_limit = 2000.0
        order = self.quotation.with_context(lang="en_US", tz="Europe/Brussels")
        for _invoice in range(3):
            self._invoice(self.customer, 10.0, due_in=-40)
        self.env.invalidate_all()
        order._credit_block_reasons()  # the access rules' caches, warm in a running server
        self.env.invalidate_all()
        with self.assertQueryCount(6):
            reasons = order._credit_block_reasons()
        self.assertEqual(len(reasons), 2)
        self.assertIn("6,937.25", reasons[0])
        self.assertIn("1,010.00", reasons[1])

    def _prepared(self):
        self.env.cr.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'credit_control_exposure%'")
        return [name for (name,) in self.env.cr.fetchall()]

    def test_the_checks_prepared_statement_gives_the_planned_ones_figures_on_any_connection(self):
        """The check of a few customers runs its statement prepared: the same figures as the statement planned
        for the call (which a check over many customers runs), prepared again on a connection without it (a
        new one, another one behind a pooler), never run as another statement's text."""
        statistics = "odoo.addons.credit_control.models.res_partner_statistics"
        with patch(f"{statistics}.PREPARED_MAX_PARTNERS", 0):
            planned = self.customers._credit_exposure_and_overdue(self.company, days=30)
            planned_excluding = self.customers._credit_exposure_and_overdue(
                self.company, exclude_orders=self.foreign_order, days=30
            )
        self.env.cr.execute("DEALLOCATE ALL")
        self.assertEqual(self.customers._credit_exposure_and_overdue(self.company, days=30), planned)
        self.assertEqual(len(self._prepared()), 1)
        # once prepared, it is run, not prepared again
        self.assertEqual(
            self.customers._credit_exposure_and_overdue(self.company, exclude_orders=self.foreign_order, days=30),
            planned_excluding,
        )
        self.assertEqual(len(self._prepared()), 1)
        self.assertNotEqual(planned, planned_excluding)
        # another server connection (a pooler's) does not have it: prepared there too
        self.env.cr.execute("DEALLOCATE ALL")
        self.assertEqual(self.customers._credit_exposure_and_overdue(self.company, days=30), planned)
        # another statement's text is another prepared statement
        Partner = type(self.env["res.partner"])
        build = Partner._credit_exposure_sql

        def changed(records, **params):
            return SQL("SELECT * FROM (%s) AS changed", build(records, **params))

        with patch.object(Partner, "_credit_exposure_sql", changed):
            self.assertEqual(self.customers._credit_exposure_and_overdue(self.company, days=30), planned)
        self.assertEqual(len(self._prepared()), 2)

    def _blocked_queries(self):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        orders = self.env["sale.order"].with_context(allowed_company_ids=(self.company | self.company_2).ids)
        blocked = orders.search([("credit_blocked", "=", True)])
        return blocked, self.env.cr.sql_log_count - before

    def test_blocked_quotations_are_searched_at_once_and_as_each_check_says(self):
        self.customer.credit_limit = 2000.0
        quotations = (
            self.quotation
            | self._order(self.other_customer, 10.0)  # 333.33 overdue (in the other currency)
            | self._order(self.draft_only, 10.0)
            | self._order(self.prepaid, 10.0)
            | self._order(self.customer, 10.0, company=self.company_2)  # 900.00 overdue there
            | self._order(self.idle, 10.0)
        )
        quotations = quotations.with_context(allowed_company_ids=(self.company | self.company_2).ids)
        self.env.invalidate_all()
        one_by_one = quotations.browse([order.id for order in quotations if order._credit_confirmation_reasons()])
        blocked, queries = self._blocked_queries()
        self.assertEqual(blocked & quotations, one_by_one)
        self.assertEqual(one_by_one, quotations[0] | quotations[1] | quotations[4])
        self.assertEqual(
            self.env["sale.order"]
            .with_context(allowed_company_ids=(self.company | self.company_2).ids)
            .search([("credit_blocked", "=", False), ("id", "in", quotations.ids)]),
            quotations - one_by_one,
        )
        # the figures of every customer come from one statement per company: more quotations, same queries
        more = self.Partner.create([{"name": f"New {i}", "customer_rank": 1} for i in range(4)])
        for partner in more:
            self._order(partner, 10.0)
        self._order(self.other_customer, 20.0)
        blocked_after, queries_after = self._blocked_queries()
        self.assertEqual(len(blocked_after), len(blocked) + 1)
        self.assertEqual(queries_after, queries)

    def test_the_open_item_index_exists_with_the_checks_condition(self):
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'account_move_line_credit_open_partner_idx'"
        )
        definition = self.env.cr.fetchone()[0]
        self.assertIn("(partner_id, account_id, company_id, date_maturity, amount_residual)", definition)
        self.assertIn("amount_residual <> ", definition)
        self.assertIn("NOT reconciled", definition)
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'account_move_credit_draft_invoice_idx'")
        self.assertIn("(commercial_partner_id, company_id)", self.env.cr.fetchone()[0])
