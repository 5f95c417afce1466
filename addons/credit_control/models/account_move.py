from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_action_count = fields.Integer(string="Follow-up Actions", compute="_compute_credit_action_count")

    def _compute_credit_action_count(self):
        for move in self:
            move.credit_action_count = len(move.line_ids.credit_action_ids)

    def action_credit_view_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_action_history_action")
        action["domain"] = [("id", "in", self.line_ids.credit_action_ids.ids)]
        return action

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.line_ids._credit_refresh_partner_statistics()
        return posted

    def button_draft(self):
        lines = self.line_ids
        result = super().button_draft()
        lines.exists()._credit_refresh_partner_statistics()
        return result
