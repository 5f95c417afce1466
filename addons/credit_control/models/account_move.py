from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.line_ids._credit_refresh_partner_statistics()
        return posted

    def button_draft(self):
        lines = self.line_ids
        result = super().button_draft()
        lines.exists()._credit_refresh_partner_statistics()
        return result
