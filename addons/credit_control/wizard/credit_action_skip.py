from odoo import fields, models


class CreditActionSkip(models.TransientModel):
    """Skip or cancel follow-up actions: either way with a reason, kept in the follow-up history."""

    _name = "credit.action.skip"
    _description = "Skip or Cancel Follow-up Actions"

    action_ids = fields.Many2many("credit.action", string="Actions", required=True)
    mode = fields.Selection([("skip", "Skip"), ("cancel", "Cancel")], default="skip", required=True)
    reason = fields.Text(required=True, help="Why the step is not taken; kept in the follow-up history.")

    def action_skip(self):
        self.ensure_one()
        self.action_ids._skip(self.reason)
        return {"type": "ir.actions.act_window_close"}

    def action_cancel_actions(self):
        self.ensure_one()
        self.action_ids.action_cancel(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
