from odoo import fields, models


class CreditActionSkip(models.TransientModel):
    _name = "credit.action.skip"
    _description = "Skip Follow-up Actions"

    action_ids = fields.Many2many("credit.action", string="Actions", required=True)
    reason = fields.Text(required=True, help="Why the step is not taken; kept in the follow-up history.")

    def action_skip(self):
        self.ensure_one()
        self.action_ids._skip(self.reason)
        return {"type": "ir.actions.act_window_close"}
