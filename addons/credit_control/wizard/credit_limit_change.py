from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CreditLimitChange(models.TransientModel):
    """A credit manager changes a customer's credit limit in the current company, with the reason
    that goes into the limit history and the customer's chatter."""

    _name = "credit.limit.change"
    _description = "Change a Credit Limit"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    current_limit = fields.Monetary(compute="_compute_current_limit")
    new_limit = fields.Monetary(required=True)
    reason = fields.Text(required=True)

    @api.depends("partner_id", "company_id")
    def _compute_current_limit(self):
        for wizard in self:
            wizard.current_limit = wizard.partner_id.with_company(wizard.company_id).sudo().credit_limit

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can change a credit limit."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for the new limit; it is kept in the limit history."))
        if self.new_limit < 0:
            raise UserError(self.env._("A credit limit cannot be negative."))
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
        partner.with_context(credit_limit_reason=reason).write(
            {"credit_limit": self.new_limit, "use_partner_credit_limit": True}
        )
        return {"type": "ir.actions.act_window_close"}
