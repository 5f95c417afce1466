from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPartnerStatistics(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = cls.setup_other_currency("EUR")  # rate 2.0 today

    def test_open_and_overdue_with_partial_payment_and_credit_note(self):
        late = self._invoice(self.customer, 1000.0, due_in=-40)
        self._invoice(self.customer, 500.0, due_in=10)
        self._pay(late, amount=300.0, days=-5)
        self.assertEqual(late.payment_state, "partial")
        self.assertAlmostEqual(self.customer.credit_open_amount, 1200.0, places=2)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 700.0, places=2)

        # an unreconciled credit note nets out against what is owed and overdue
        self._invoice(self.customer, 200.0, due_in=-1, move_type="out_refund")
        self.assertAlmostEqual(self.customer.credit_open_amount, 1000.0, places=2)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 500.0, places=2)

    def test_a_credit_not_yet_due_still_covers_overdue_invoices(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.customer, 500.0, due_in=10, move_type="out_refund")
        self.assertAlmostEqual(self.customer.credit_open_amount, -200.0, places=2)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 0.0, places=2)
        self.assertEqual(self.customer._credit_overdue_by_partner(self.company)[self.customer.id], 0.0)

    def test_foreign_currency_invoice_counts_in_company_currency(self):
        # rate 2.0: 300.00 in the other currency is 150.00 in company currency
        self._invoice(self.customer, 300.0, due_in=-10, currency=self.other_currency)
        self.assertAlmostEqual(self.customer.credit_open_amount, 150.0, places=2)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 150.0, places=2)
        self.assertAlmostEqual(self.customer.credit_exposure, 150.0, places=2)

    def test_behaviour_days_late_and_late_ratio(self):
        paid_late = self._invoice(self.customer, 100.0, due_in=-60)
        self._pay(paid_late, days=-50)  # 10 days late
        on_time = self._invoice(self.customer, 100.0, due_in=-30)
        self._pay(on_time, days=-35)  # 5 days early: counts as 0
        self._invoice(self.customer, 100.0, due_in=-40)  # still open: 40 days late so far
        self._invoice(self.customer, 100.0, due_in=5)  # not due: not measured
        self._invoice(self.customer, 100.0, due_in=-400)  # open, but outside the 12-month window
        self._refresh()
        self.assertAlmostEqual(self.customer.credit_avg_days_late, 16.7, places=1)  # (10 + 0 + 40) / 3
        self.assertAlmostEqual(self.customer.credit_late_ratio, 0.6667, places=4)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 200.0, places=2)

    def test_contact_invoices_count_on_the_commercial_partner(self):
        self._invoice(self.customer_contact, 250.0, due_in=-3)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 250.0, places=2)
        self.assertEqual(self.customer.credit_status, "overdue")

    def test_statistics_are_per_company(self):
        company_2 = self.setup_other_company(name="Belgian Branch")["company"]
        self._invoice(self.customer, 400.0, due_in=-20)
        self.env.user.company_ids |= company_2
        self._invoice(self.customer, 900.0, due_in=-20, company=company_2)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 400.0, places=2)
        self.assertAlmostEqual(self.customer.with_company(company_2).credit_overdue_amount, 900.0, places=2)

    def test_fully_paid_customer_goes_back_to_zero(self):
        invoice = self._invoice(self.customer, 100.0, due_in=-10)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 100.0, places=2)
        self._pay(invoice)
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 0.0, places=2)
        self.assertAlmostEqual(self.customer.credit_open_amount, 0.0, places=2)

    def test_filters_on_stored_statistics(self):
        self._invoice(self.customer, 100.0, due_in=-10)
        overdue = self.Partner.search([("credit_overdue_amount", ">", 0)])
        self.assertIn(self.customer, overdue)
        self.assertNotIn(self.other_customer, overdue)
        self.customer.credit_limit = 50.0
        self.assertIn(self.customer, self.Partner.search([("credit_over_limit", "=", True)]))
        self.assertNotIn(self.customer, self.Partner.search([("credit_over_limit", "=", False)]))

    def _count_queries(self, partners):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.Partner._credit_compute_statistics(self.company)
        return self.env.cr.sql_log_count - before

    def test_statistics_query_count_does_not_grow_with_partners(self):
        small = self.Partner.create([{"name": f"Small {i}", "customer_rank": 1} for i in range(2)])
        for partner in small:
            self._invoice(partner, 100.0, due_in=-5)
        queries_small = self._count_queries(small)
        large = self.Partner.create([{"name": f"Large {i}", "customer_rank": 1} for i in range(20)])
        for partner in large:
            self._invoice(partner, 100.0, due_in=-5)
        queries_large = self._count_queries(large)
        self.assertEqual(queries_small, queries_large)
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # the user's time zone (for today), then one UPDATE for every partner
            self.Partner._credit_compute_statistics(self.company)
