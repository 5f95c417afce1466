from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        lines = partials.debit_move_id | partials.credit_move_id
        lines._credit_refresh_partner_statistics()
        self.env["credit.payment.plan"]._refresh_payments(lines.move_id)
        return partials

    def unlink(self):
        lines = self.debit_move_id | self.credit_move_id
        result = super().unlink()
        lines = lines.exists()
        lines._credit_refresh_partner_statistics()
        self.env["credit.payment.plan"]._refresh_payments(lines.move_id)
        return result
