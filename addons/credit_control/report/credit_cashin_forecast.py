from odoo import fields, models
from odoo.tools import SQL

from ..tools.payment_prediction import DAYS_PER_WEEK

FORECAST_WEEKS = 13


class CreditCashinForecast(models.Model):
    """Cash expected in per week for the next 13 weeks: one row per open receivable item, read as a graph,
    pivot or list.

    An item is expected on its due date plus the days late predicted for its invoice (the nightly payment
    prediction; 0 for entries without one), and never before today: what was expected earlier and is still
    open is expected now, in this week. Weeks start on Monday; what is expected after the 13th week is left
    out. A customer's open credits (credit notes, unallocated payments) are deducted from its items, the first
    expected first: nothing is expected from a customer whose credits cover its invoices. Today is the user's
    today (``fields.Date.context_today``), so the report and its tests agree on it.
    A SQL query (``_table_query``), so that the graph over the whole book is one aggregate query.
    """

    _name = "credit.cashin.forecast"
    _description = "Cash-in Forecast"
    _auto = False
    _order = "date_expected, id"
    _rec_name = "move_id"

    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    segment_id = fields.Many2one("credit.segment", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    expected_days_late = fields.Float(digits=(16, 1), readonly=True, aggregator="avg")
    date_expected = fields.Date(string="Expected Date", readonly=True)
    week = fields.Date(readonly=True, help="The Monday of the week the payment is expected in.")
    amount_residual = fields.Monetary(string="Expected Amount", currency_field="company_currency_id", readonly=True)

    @property
    def _table_query(self):
        # a query, not a view created at install: it reads today and the partner's per-company fields
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT item.id, item.move_line_id, item.move_id, item.partner_id, item.company_id,
                   item.company_currency_id, item.segment_id, item.collector_id, item.date_maturity,
                   item.expected_days_late, item.date_expected,
                   -- the customer's open credits pay its items first expected first: an item is expected
                   -- for what its customer's credits leave of it
                   LEAST(item.amount_residual, item.running_total - COALESCE(credit.amount, 0)) AS amount_residual,
                   date_trunc('week', item.date_expected)::date AS week
              FROM (
                    SELECT expected.*,
                           SUM(expected.amount_residual) OVER (
                               PARTITION BY expected.company_id, expected.partner_id
                               ORDER BY expected.date_expected, expected.id
                           ) AS running_total
                      FROM (
                    SELECT aml.id,
                           aml.id AS move_line_id,
                           aml.move_id,
                           cp.id AS partner_id,
                           aml.company_id,
                           aml.company_currency_id,
                           (cp.credit_segment_id ->> aml.company_id::text)::int AS segment_id,
                           (cp.credit_collector_id ->> aml.company_id::text)::int AS collector_id,
                           aml.date_maturity,
                           COALESCE(m.credit_expected_days_late, 0) AS expected_days_late,
                           GREATEST(
                               COALESCE(aml.date_maturity, aml.date)
                                   + ROUND(COALESCE(m.credit_expected_days_late, 0))::int,
                               %(today)s::date
                           ) AS date_expected,
                           aml.amount_residual
                      FROM account_move_line aml
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN res_partner cp ON cp.id = p.commercial_partner_id
                     WHERE aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND NOT aml.reconciled
                       AND aml.amount_residual > 0
                      ) expected
              ) item
              LEFT JOIN (
                    SELECT credit_line.company_id, cp.id AS partner_id, -SUM(credit_line.amount_residual) AS amount
                      FROM account_move_line credit_line
                      JOIN account_account acc ON acc.id = credit_line.account_id
                      JOIN res_partner p ON p.id = credit_line.partner_id
                      JOIN res_partner cp ON cp.id = p.commercial_partner_id
                     WHERE credit_line.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND NOT credit_line.reconciled
                       AND credit_line.amount_residual < 0
                  GROUP BY credit_line.company_id, cp.id
              ) credit ON credit.company_id = item.company_id AND credit.partner_id = item.partner_id
             WHERE item.date_expected < date_trunc('week', %(today)s::date)::date + %(days)s
               AND item.running_total - COALESCE(credit.amount, 0) > 0
            """,
            today=today,
            days=FORECAST_WEEKS * DAYS_PER_WEEK,
        )

    def action_open_invoice(self):
        self.ensure_one()
        return self.move_id._get_records_action()
