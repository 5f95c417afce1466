from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditOverride(models.Model):
    """A credit manager's decision to let one sale order through its credit block.

    Kept for audit: who, when, why and the figures at that moment. Never deleted, only cancelled.
    """

    _name = "credit.override"
    _description = "Credit Block Override"
    _order = "date desc, id desc"
    _rec_name = "order_id"

    order_id = fields.Many2one("sale.order", required=True, readonly=True, ondelete="restrict", index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users", string="Approved By", required=True, readonly=True, default=lambda self: self.env.user
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    reason = fields.Text(required=True, readonly=True, groups="credit_control.group_credit_control_user")
    block_message = fields.Text(
        string="Blocked Because", readonly=True, groups="credit_control.group_credit_control_user"
    )
    order_amount = fields.Monetary(readonly=True, help="Order total in company currency when approved.")
    exposure = fields.Monetary(
        readonly=True,
        help="Exposure without this order when approved.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    credit_limit = fields.Monetary(readonly=True, groups="account.group_account_invoice,account.group_account_readonly")
    overdue_amount = fields.Monetary(
        readonly=True, groups="account.group_account_invoice,account.group_account_readonly"
    )
    state = fields.Selection(
        [("active", "Active"), ("cancelled", "Cancelled")], default="active", required=True, readonly=True
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit overrides are kept for the audit trail; cancel them instead."))

    def action_cancel(self):
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise UserError(self.env._("Only a credit manager can cancel a credit override."))
        for override in self.filtered(lambda o: o.state == "active"):
            override.state = "cancelled"
            override.order_id.message_post(
                body=self.env._(
                    "Credit override of %(date)s cancelled by %(user)s.",
                    date=fields.Datetime.to_string(override.date),
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True
