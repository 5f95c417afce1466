from odoo import fields, models
from odoo.tools import SQL


class CreditAgingReport(models.Model):
    """The insured part of the aging: each open item carries its share of the customer's insured receivables,
    so that any grouping (customer, bucket, insurer) sums to min(open receivables, insured limit) × coverage of the
    customers covered today."""

    _inherit = "credit.aging.report"

    insurer_id = fields.Many2one("res.partner", readonly=True)
    insured_amount = fields.Monetary(string="Insured", currency_field="company_currency_id", readonly=True)

    @property
    def _table_query(self):
        # the item's share of its customer's insured part: residual × coverage × min(1, limit / customer's balance);
        # a customer whose balance is a credit has nothing insured
        return SQL(
            """
            SELECT aging.*,
                   ins.insurer_id,
                   CASE WHEN ins.id IS NULL OR aging.customer_balance <= 0 THEN 0
                        ELSE aging.amount_residual * ins.coverage_percent / 100.0
                             * LEAST(1, ins.insured_limit / aging.customer_balance)
                   END AS insured_amount
              FROM (SELECT base.*,
                           SUM(base.amount_residual) OVER (PARTITION BY base.partner_id, base.company_id)
                               AS customer_balance
                      FROM (%(base)s) base) aging
         LEFT JOIN LATERAL (
                    SELECT cover.id, cover.insurer_id, cover.coverage_percent, cover.insured_limit
                      FROM credit_insurance cover
                     WHERE cover.partner_id = aging.partner_id
                       AND cover.company_id = aging.company_id
                       AND cover.state IN ('granted', 'reduced')
                       AND cover.valid_from <= CURRENT_DATE
                       AND (cover.valid_to IS NULL OR cover.valid_to >= CURRENT_DATE)
                  ORDER BY cover.valid_from DESC, cover.id DESC
                     LIMIT 1
                   ) ins ON TRUE
            """,
            base=super()._table_query,
        )
