from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

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
