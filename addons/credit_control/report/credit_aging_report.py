from odoo import fields, models
from odoo.tools import SQL

BUCKETS = [
    ("0_not_due", "Not Due"),
    ("1_30", "1-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("91_plus", "Over 90 Days"),
]


class CreditAgingReport(models.Model):
    """Open receivables by age: one row per open receivable journal item, read as a pivot, graph or list.

    Open credits (credit notes, payments not yet allocated) are in the *Not Due* bucket: a customer's total is its
    net balance, and the overdue buckets show the invoices still owed (the CFO report nets them per customer).

    A SQL query (``_table_query``), so that pivots over the whole book are one aggregate query. Days
    overdue count from the database's current date.
    """

    _name = "credit.aging.report"
    _description = "Receivables Aging"
    _auto = False
    _order = "date_maturity, id"
    _rec_name = "move_id"

    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Invoice Currency", readonly=True)
    segment_id = fields.Many2one("credit.segment", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", currency_field="company_currency_id", readonly=True)
    amount_residual_currency = fields.Monetary(
        string="Open in Invoice Currency", currency_field="currency_id", readonly=True, aggregator=None
    )

    @property
    def _table_query(self):
        # a query, not a view created at install: it reads the partner's per-company fields, which
        # this module adds to res_partner and which may not exist yet when this model is initialised
        return SQL(
            """
                    SELECT aml.id,
                           aml.id AS move_line_id,
                           aml.move_id,
                           cp.id AS partner_id,
                           aml.company_id,
                           aml.company_currency_id,
                           aml.currency_id,
                           (cp.credit_segment_id ->> aml.company_id::text)::int AS segment_id,
                           (cp.credit_collector_id ->> aml.company_id::text)::int AS collector_id,
                           aml.date_maturity,
                           CASE WHEN aml.amount_residual < 0 THEN 0
                                ELSE GREATEST(CURRENT_DATE - COALESCE(aml.date_maturity, aml.date), 0)
                           END AS days_overdue,
                           CASE
                               -- open credits (credit notes, unallocated payments) are the customer's to use now:
                               -- they stand in the not-due column, so the overdue columns show what is owed
                               WHEN aml.amount_residual < 0 THEN '0_not_due'
                               WHEN CURRENT_DATE - COALESCE(aml.date_maturity, aml.date) <= 0 THEN '0_not_due'
                               WHEN CURRENT_DATE - COALESCE(aml.date_maturity, aml.date) <= 30 THEN '1_30'
                               WHEN CURRENT_DATE - COALESCE(aml.date_maturity, aml.date) <= 60 THEN '31_60'
                               WHEN CURRENT_DATE - COALESCE(aml.date_maturity, aml.date) <= 90 THEN '61_90'
                               ELSE '91_plus'
                           END AS bucket,
                           aml.amount_residual,
                           aml.amount_residual_currency
                      FROM account_move_line aml
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN res_partner cp ON cp.id = p.commercial_partner_id
                     WHERE aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND NOT aml.reconciled
                       AND aml.amount_residual != 0
            """
        )

    def action_open_invoice(self):
        self.ensure_one()
        return self.move_id._get_records_action()
