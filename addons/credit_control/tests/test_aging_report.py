from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestAgingReport(CreditControlCommon):
    """The aging report counts days from the database's date, so this book is built around the real today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.segment = cls.env["credit.segment"].create({"name": "Garages", "partner_domain": "[('id', '=', 0)]"})
        cls.customer.write({"credit_segment_id": cls.segment.id, "credit_collector_id": cls.collector.id})
        cls._invoice(cls.customer, 100.0, due_in=5)  # not due
        cls._invoice(cls.customer, 200.0, due_in=-30)  # 30 days: 1-30
        cls._invoice(cls.customer, 300.0, due_in=-31)  # 31-60
        partly = cls._invoice(cls.customer, 400.0, due_in=-75)  # 61-90, 150 paid
        cls._pay(partly, amount=150.0)
        cls._invoice(cls.other_customer, 500.0, due_in=-91)  # over 90
        cls._pay(cls._invoice(cls.other_customer, 999.0, due_in=-40))  # paid: not in the report
        cls.Aging = cls.env["credit.aging.report"]

    def test_buckets_per_customer_to_the_cent(self):
        groups = self.Aging._read_group(
            [("partner_id", "in", (self.customer | self.other_customer).ids)],
            ["partner_id", "bucket"],
            ["amount_residual:sum"],
        )
        result = {(partner.name, bucket): amount for partner, bucket, amount in groups}
        self.assertEqual(
            result,
            {
                (self.customer.name, "0_not_due"): 100.0,
                (self.customer.name, "1_30"): 200.0,
                (self.customer.name, "31_60"): 300.0,
                (self.customer.name, "61_90"): 250.0,
                (self.other_customer.name, "91_plus"): 500.0,
            },
        )

    def test_segment_and_collector_come_from_the_customer_in_that_company(self):
        rows = self.Aging.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(rows.segment_id, self.segment)
        self.assertEqual(rows.collector_id, self.collector)
        self.assertEqual(max(rows.mapped("days_overdue")), 75)
        overdue = self.Aging.search([("partner_id", "=", self.customer.id), ("bucket", "!=", "0_not_due")])
        self.assertEqual(len(overdue), 3)

    def test_collectors_read_it_salespeople_do_not(self):
        self.assertTrue(self.Aging.with_user(self.collector).search_count([("partner_id", "=", self.customer.id)]))
        with self.assertRaises(AccessError):
            self.Aging.with_user(self.salesman).search([])

    def test_other_companies_items_are_hidden(self):
        other_company = self.setup_other_company()["company"]
        self._invoice(self.customer, 700.0, due_in=-10, company=other_company)
        rows = self.Aging.with_user(self.collector).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(rows.company_id, self.company)
        self.assertIn(other_company, self.Aging.sudo().search([("partner_id", "=", self.customer.id)]).company_id)
