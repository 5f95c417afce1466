from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.account_move import (
    PREDICTION_HALF_LIFE_DAYS,
    PREDICTION_HISTORY_DAYS,
    PREDICTION_PRIOR_MIN_PAYMENTS,
    PREDICTION_PRIOR_WEIGHT,
)
from ..tools import payment_prediction


class _Walk:
    """Payments of one group (a customer, a segment, the company) in order of payment date, with running
    sums, to read what was known on a given day: the payments of the PREDICTION_HISTORY_DAYS before it."""

    def __init__(self):
        self.dates, self.days, self.sums = [], [], [(0, 0.0, 0.0)]

    def add(self, paid_date, days_late):
        count, total, squares = self.sums[-1]
        self.dates.append(paid_date)
        self.days.append(days_late)
        self.sums.append((count + 1, total + days_late, squares + days_late * days_late))

    def window(self, day):
        """Indexes [start, end) of the payments made before ``day`` within the history window."""
        return bisect_left(self.dates, day - timedelta(days=PREDICTION_HISTORY_DAYS)), bisect_left(self.dates, day)

    def history(self, day):
        start, end = self.window(day)
        return list(zip(self.dates[start:end], self.days[start:end], strict=True))

    def prior(self, day):
        start, end = self.window(day)
        first, last = self.sums[start], self.sums[end]
        return payment_prediction.prior_from_sums(*(b - a for a, b in zip(first, last, strict=True)))


class CreditPredictionBacktest(models.TransientModel):
    """How good is the payment prediction? For the invoices paid in a period, predict each one's payment date
    as the nightly run would have on its due date - from the payments made before that day only (walk
    forward) - and compare with the naive forecast "paid on the due date"."""

    _name = "credit.prediction.backtest"
    _description = "Payment Prediction Back-test"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date_from = fields.Date(
        string="Paid From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=365),
    )
    date_to = fields.Date(string="Paid Until", required=True, default=fields.Date.context_today)
    has_result = fields.Boolean(readonly=True)
    invoice_count = fields.Integer(
        string="Invoices", readonly=True, help="Invoice items paid in the period (each installment on its own)."
    )
    mae_prediction = fields.Float(
        string="Error of the Prediction (days)",
        digits=(16, 2),
        readonly=True,
        help="Mean absolute error: on average, how many days the predicted payment date was off.",
    )
    mae_naive = fields.Float(
        string="Error of the Due Date (days)",
        digits=(16, 2),
        readonly=True,
        help="Mean absolute error of the naive forecast that every invoice is paid on its due date.",
    )
    improvement_days = fields.Float(
        string="Improvement (days)",
        digits=(16, 2),
        readonly=True,
        help="How many days closer the prediction is than the due date, on average.",
    )
    improvement_ratio = fields.Float(
        string="Improvement", digits=(16, 4), readonly=True, help="The improvement as a share of the naive error."
    )

    def action_run(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can back-test the payment prediction."))
        if self.company_id not in self.env.companies:
            raise UserError(self.env._("Choose one of the companies you are working in."))
        if self.date_from > self.date_to:
            raise UserError(self.env._("The period starts after it ends: choose a start date before the end date."))
        result = self._backtest(self.company_id, self.date_from, self.date_to)
        self.write(dict(result, has_result=True))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": self.env._("Payment Prediction Back-test"),
        }

    @api.model
    def _backtest(self, company, date_from, date_to):
        """Back-test the payment prediction on ``company``'s invoice items paid from ``date_from`` to
        ``date_to``: one query for the whole payment history, then pure Python.

        Each item is predicted as on its due date, from the payments made before that day (the customer's,
        and its segment's or the company's as the prior), with the nightly run's parameters. Returns the
        wizard's figures: invoice_count, mae_prediction, mae_naive, improvement_days, improvement_ratio.
        """
        history = self.env["account.move"].sudo()._credit_payment_history(company, date.min, date_to)
        customers, segments, whole = defaultdict(_Walk), defaultdict(_Walk), _Walk()
        for partner_id, segment_id, _due, paid_date, days_late, _invoice_date in history:
            customers[partner_id].add(paid_date, days_late)
            if segment_id:
                segments[segment_id].add(paid_date, days_late)
            whole.add(paid_date, days_late)
        ours, naive = [], []
        for partner_id, segment_id, due, paid_date, _days_late, invoice_date in history:
            if paid_date < date_from:
                continue
            segment = segments.get(segment_id)
            prior, _source = payment_prediction.choose_prior(
                segment.prior(due) if segment else None, whole.prior(due), min_count=PREDICTION_PRIOR_MIN_PAYMENTS
            )
            prediction = payment_prediction.expected_days_late(
                customers[partner_id].history(due),
                due,
                half_life_days=PREDICTION_HALF_LIFE_DAYS,
                prior_mean=prior.mean,
                prior_weight=PREDICTION_PRIOR_WEIGHT,
                prior_std=prior.std,
            )
            rounded = prediction._replace(days_late=payment_prediction.round_days(prediction.days_late))
            ours.append((payment_prediction.expected_payment_date(due, rounded, invoice_date), paid_date))
            naive.append((due, paid_date))
        mae_ours = payment_prediction.mean_absolute_error(ours) or 0.0
        mae_naive = payment_prediction.mean_absolute_error(naive) or 0.0
        return {
            "invoice_count": len(ours),
            "mae_prediction": round(mae_ours, 2),
            "mae_naive": round(mae_naive, 2),
            "improvement_days": round(mae_naive - mae_ours, 2),
            "improvement_ratio": round((mae_naive - mae_ours) / mae_naive, 4) if mae_naive else 0.0,
        }
