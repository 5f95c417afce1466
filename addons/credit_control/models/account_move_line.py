from odoo import fields, models
from odoo.tools import SQL


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    credit_level_id = fields.Many2one(
        "credit.policy.level",
        string="Follow-up Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The last follow-up level executed (or skipped) for this open item.",
    )
    credit_excluded = fields.Boolean(
        string="No Follow-up", copy=False, help="This item is left out of the follow-up, for the reason given."
    )
    credit_excluded_reason = fields.Char(string="Reason for No Follow-up", copy=False)
    credit_agency_id = fields.Many2one(
        "res.partner", string="Collection Agency", readonly=True, copy=False, index="btree_not_null"
    )
    credit_agency_date = fields.Date(string="Handed Over On", readonly=True, copy=False)
    credit_action_ids = fields.Many2many(
        "credit.action",
        "credit_action_account_move_line_rel",
        "line_id",
        "action_id",
        string="Follow-up Actions",
        readonly=True,
        copy=False,
    )

    def _credit_exclusion_sql(self, alias):
        """SQL condition an open item (table alias ``alias``) must meet to be followed up.

        The one place that says what pauses follow-up: extend it (AND another condition) for
        disputes, promises, payment plans or a collection agency.
        """
        return SQL(
            "NOT COALESCE(%s.credit_excluded, FALSE) AND %s.credit_agency_id IS NULL",
            SQL.identifier(alias),
            SQL.identifier(alias),
        )

    def _credit_refresh_partner_statistics(self):
        """Bring the stored credit statistics of these lines' customers up to date.

        Called when receivables are posted, reset or (un)reconciled, so that overdue amounts
        shown and filtered on partners do not wait for the nightly run. One SQL statement per
        company, whatever the number of lines.
        """
        receivable = self.filtered(lambda line: line.account_type == "asset_receivable" and line.partner_id)
        Partner = self.env["res.partner"].sudo()
        for company, lines in receivable.grouped("company_id").items():
            Partner.with_company(company)._credit_compute_statistics(
                company, partner_ids=lines.partner_id.commercial_partner_id.ids
            )
