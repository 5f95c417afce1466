from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditWriteOffRecovery(models.TransientModel):
    """Money received on a written-off item: booked against the bad-debt account, with the VAT relieved due again
    pro rata (``credit.write.off.entry._credit_register_recovery``)."""

    _name = "credit.write.off.recovery"
    _description = "Register Recovery"

    entry_id = fields.Many2one("credit.write.off.entry", required=True, readonly=True)
    company_id = fields.Many2one(related="entry_id.company_id")
    currency_id = fields.Many2one(related="entry_id.currency_id")
    partner_id = fields.Many2one(related="entry_id.partner_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    payment_line_id = fields.Many2one(
        "account.move.line",
        string="Payment",
        required=True,
        domain="[('company_id', '=', company_id), ('partner_id', 'child_of', partner_id), "
        "('account_type', '=', 'asset_receivable'), ('parent_state', '=', 'posted'), ('reconciled', '=', False), "
        "('amount_residual', '<', 0)]",
        help="The customer's payment or the trustee's dividend, registered and not matched yet: the recovery is "
        "matched with it, so that nothing is left open for follow-up.",
    )
    amount = fields.Monetary(required=True)

    @api.onchange("payment_line_id")
    def _onchange_payment_line_id(self):
        if self.payment_line_id:
            left = self.entry_id.amount - self.entry_id.recovered_amount
            self.amount = min(-self.payment_line_id.amount_residual, left)

    @api.model
    def default_get(self, fields_list):
        self.env["credit.write.off"]._credit_check_manager()
        return super().default_get(fields_list)

    def action_register(self):
        self.ensure_one()
        self.env["credit.write.off"]._credit_check_manager()
        payment = self.payment_line_id
        if payment.company_id != self.entry_id.company_id:
            raise UserError(self.env._("The payment belongs to another company."))
        if payment.company_currency_id.compare_amounts(self.amount, -payment.amount_residual) > 0:
            raise UserError(self.env._("The recovery cannot be more than what is left of the payment."))
        self.entry_id._credit_register_recovery(self.amount, self.date, self.payment_line_id)
        return {"type": "ir.actions.act_window_close"}
