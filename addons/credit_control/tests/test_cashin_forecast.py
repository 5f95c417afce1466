from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.credit_control.tools import payment_prediction

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCashinForecast(CreditControlCommon):
    """Today is Monday 15 June 2026. The customer paid 5 invoices exactly 10 days late (the company's
    behaviour too): every open item is expected 10 days after its due date, and the new customer's as well.

    week of 15 June: 100 due 20 days ago (expected 10 days ago: now) + 150 left of 250 due 40 days ago, less the
                     customer's open credit note of 60 (its open credits pay its first expected items) = 190.00
    week of 22 June: 200 due 3 days ago (22 June) + 300 due tomorrow (26 June) + 75.25 of the new customer due
                     in 2 days (27 June) = 575.25
    week of 29 June: the first half (500) of an invoice in two installments due in 10 days (5 July)
    week of 20 July: 400 due in 30 days (25 July)
    week of 3 August: the second half (500) due in 40 days (4 August)
    week of 7 September: 450 due in 80 days (13 September, the last day of the 13th week)
    left out: 500 due in 81 days (14 September: week 14)
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pay(cls.env["account.move"].union(*(cls._invoice(cls.customer, 100.0, due_in=-10) for _n in range(5))))
        term = cls.env["account.payment.term"].create(
            {
                "name": "50% in 10 days, 50% in 40 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 10}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 40}),
                ],
            }
        )
        cls._invoice(cls.customer, 100.0, due_in=-20)
        cls._pay(cls._invoice(cls.customer, 250.0, due_in=-40), amount=100.0)
        cls._invoice(cls.customer, 200.0, due_in=-3)
        cls._invoice(cls.customer, 300.0, due_in=1)
        cls._invoice(cls.other_customer, 75.25, due_in=2)
        cls._invoice(cls.customer, 1000.0, invoice_days=0, payment_term=term)
        cls._invoice(cls.customer, 400.0, due_in=30)
        cls._invoice(cls.customer, 450.0, due_in=80)
        cls._invoice(cls.customer, 500.0, due_in=81)
        cls._invoice(cls.customer, 60.0, due_in=0, move_type="out_refund")
        cls.env["account.move"]._credit_compute_predictions(cls.company, cls.today)
        cls.Forecast = cls.env["credit.cashin.forecast"]

    def _weeks(self, forecast):
        groups = forecast._read_group([("company_id", "=", self.company.id)], ["week:day"], ["amount_residual:sum"])
        return {week: round(amount, 2) for week, amount in groups}

    def test_forecast_buckets_per_week_to_the_cent(self):
        self.assertEqual(
            self._weeks(self.Forecast),
            {
                date(2026, 6, 15): 190.0,
                date(2026, 6, 22): 575.25,
                date(2026, 6, 29): 500.0,
                date(2026, 7, 20): 400.0,
                date(2026, 8, 3): 500.0,
                date(2026, 9, 7): 450.0,
            },
        )

    def test_forecast_matches_the_pure_weekly_forecast(self):
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", ">", 0),
            ]
        )
        items = [
            (
                payment_prediction.expected_payment_date(
                    line.date_maturity, payment_prediction.Prediction(line.move_id.credit_expected_days_late, 0, 0)
                ),
                line.amount_residual,
            )
            for line in lines
        ]
        expected = {
            bucket.start: float(bucket.amount)
            for bucket in payment_prediction.weekly_forecast(items, self.today)
            if bucket.amount
        }
        # the customer's credit note of 60 pays its first expected items (this week's)
        expected[self.today] -= 60.0
        self.assertEqual(self._weeks(self.Forecast), expected)

    def test_rows_show_the_expected_date_and_segment(self):
        row = self.Forecast.search([("partner_id", "=", self.other_customer.id)])
        self.assertEqual(row.date_expected, self._days(12))
        self.assertEqual(row.week, date(2026, 6, 22))
        self.assertAlmostEqual(row.expected_days_late, 10.0, places=1)
        overdue = self.Forecast.search([("partner_id", "=", self.customer.id), ("date_maturity", "=", self._days(-20))])
        self.assertEqual(overdue.date_expected, self.today, "what was expected before today is expected now")

    def test_collectors_read_it_salespeople_do_not(self):
        self.assertEqual(self._weeks(self.Forecast.with_user(self.collector))[date(2026, 6, 22)], 575.25)
        with self.assertRaises(AccessError):
            self.Forecast.with_user(self.salesman).search([])

    def test_other_companies_items_are_hidden(self):
        other_company = self.setup_other_company()["company"]
        self._invoice(self.customer, 700.0, due_in=5, company=other_company)
        rows = self.Forecast.with_user(self.collector).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(rows.company_id, self.company)
        self.assertIn(other_company, self.Forecast.sudo().search([("partner_id", "=", self.customer.id)]).company_id)
