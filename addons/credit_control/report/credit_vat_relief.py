from odoo import fields, models
from odoo.tools import SQL

from ..models.credit_write_off_entry import RELIEF_RULE_SELECTION
from ..tools import bad_debt_vat


class CreditVatRelief(models.Model):
    """*Reporting › VAT Relief*: the customer items whose VAT became (or becomes) reclaimable, on the date of the
    rule (``tools.bad_debt_vat``), with the VAT share of the open or written-off amount and the legal basis.

    Two kinds of rows, one per receivable item: written-off items (the write-off's own relief date, VAT share and
    state), and open invoice items of companies whose VAT return has a rule (NL, BE) with VAT in them — these
    are not written off yet; their VAT share is the invoice's VAT pro rata of the open amount, and their date the
    one-year limit or, earlier, the judgment of an insolvency case that makes the claim uncollectable. Filter on
    the relief date for a period (the list opens on the current month).
    """

    _name = "credit.vat.relief"
    _description = "VAT Relief"
    _auto = False
    _order = "relief_date desc, id"
    _rec_name = "invoice_id"

    item_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    relief_date = fields.Date(string="Reclaimable From", readonly=True)
    relief_rule = fields.Selection(RELIEF_RULE_SELECTION, readonly=True)
    legal_basis = fields.Char(compute="_compute_legal_basis")
    amount = fields.Monetary(string="Open or Written off", readonly=True)
    vat_amount = fields.Monetary(string="VAT Share", readonly=True)
    written_off = fields.Boolean(readonly=True)
    write_off_id = fields.Many2one("credit.write.off.entry", string="Write-off", readonly=True)
    vat_state = fields.Selection(
        [
            ("open", "Not Written off"),
            ("none", "No VAT"),
            ("no_rule", "No Relief Rule"),
            ("pending", "VAT Relief Pending"),
            ("relieved", "VAT Relieved"),
        ],
        string="VAT",
        readonly=True,
    )

    def _compute_legal_basis(self):
        for row in self:
            row.legal_basis = bad_debt_vat.legal_basis(row.relief_rule)

    @property
    def _table_query(self):
        year_rules = SQL(
            "(VALUES %s) AS yr(country, rule)",
            SQL(", ").join(SQL("(%s, %s)", country, rule) for country, rule in bad_debt_vat.ONE_YEAR_RULES.items()),
        )
        case_rules = SQL(
            "(VALUES %s) AS kr(kind, rule, country)",
            SQL(", ").join(
                SQL("(%s, %s, %s)", kind, rule, bad_debt_vat.RELIEF_RULES[rule][0])
                for kind, rule in bad_debt_vat.INSOLVENCY_RULES.items()
            ),
        )
        return SQL(
            """
            SELECT e.item_id AS id, e.item_id, e.invoice_id, e.partner_id, e.company_id,
                   c.currency_id, aml.date_maturity, e.relief_date, e.relief_rule, e.amount, e.vat_amount,
                   TRUE AS written_off, e.id AS write_off_id, e.vat_state
              FROM credit_write_off_entry e
              JOIN account_move_line aml ON aml.id = e.item_id
              JOIN res_company c ON c.id = e.company_id
             WHERE e.vat_amount != 0
            UNION ALL
            SELECT aml.id, aml.id, m.id, m.commercial_partner_id, aml.company_id, aml.company_currency_id,
                   aml.date_maturity, rel.relief_date, rel.rule, aml.amount_residual,
                   ROUND(m.amount_tax_signed * aml.amount_residual / NULLIF(m.amount_total_signed, 0), 2),
                   FALSE, NULL, 'open'
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_company c ON c.id = aml.company_id
              JOIN res_country country ON country.id = c.account_fiscal_country_id
              JOIN %(year_rules)s ON yr.country = country.code
              LEFT JOIN LATERAL (
                    SELECT ins.judgment_date, kr.rule
                      FROM credit_insolvency ins
                      JOIN %(case_rules)s ON kr.kind = ins.kind AND kr.country = country.code
                     WHERE ins.partner_id = m.commercial_partner_id AND ins.company_id = aml.company_id
                       AND ins.state != 'cancelled'
                     ORDER BY ins.judgment_date
                     LIMIT 1
              ) cs ON TRUE
              CROSS JOIN LATERAL (
                    SELECT CASE WHEN cs.judgment_date < (aml.date_maturity + INTERVAL '1 year')::date
                                THEN cs.judgment_date ELSE (aml.date_maturity + INTERVAL '1 year')::date END
                           AS relief_date,
                           CASE WHEN cs.judgment_date < (aml.date_maturity + INTERVAL '1 year')::date
                                THEN cs.rule ELSE yr.rule END AS rule
              ) rel
             WHERE aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND m.move_type = 'out_invoice'
               AND NOT aml.reconciled
               AND aml.amount_residual > 0
               AND m.amount_tax_signed != 0
               AND aml.date_maturity IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM credit_write_off_entry e WHERE e.item_id = aml.id)
            """,
            year_rules=year_rules,
            case_rules=case_rules,
        )
