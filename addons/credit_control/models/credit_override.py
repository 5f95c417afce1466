from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime

# What cancelling an override writes; every other field is fixed when the override is approved.
CANCEL_FIELDS = {"state", "cancel_reason", "cancel_date", "cancel_user_id"}


class CreditOverride(models.Model):
    """A credit manager's decision to let one sale order through its credit block.

    Kept for audit: who, when, why and the figures at that moment. It is valid only for the
    commercial partner, company, currency and amount it was approved for. Created only by the
    approval wizard (``credit.override.approve``), never changed afterwards, never deleted: only
    cancelled, with a reason, by ``action_cancel`` or when its order changes customer, company or
    currency or is cancelled.
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
    order_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_order_currency_id",
        store=True,
        precompute=True,
        readonly=True,
        help="The order's currency when approved; the override is void in any other currency.",
    )
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
    cancel_reason = fields.Text(readonly=True)
    cancel_date = fields.Datetime(string="Cancelled On", readonly=True)
    cancel_user_id = fields.Many2one("res.users", string="Cancelled By", readonly=True)

    @api.depends("order_id")
    def _compute_order_currency_id(self):
        # set once, from the order as it is at approval: the order_id never changes afterwards
        for override in self:
            override.order_currency_id = override.order_currency_id or override.order_id.currency_id

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit overrides are kept for the audit trail; cancel them instead."))

    def write(self, vals):
        # Not even a credit manager rewrites an approval: only the cancellation below changes it (under sudo).
        if not self.env.su or set(vals) - CANCEL_FIELDS or vals.get("state", "cancelled") != "cancelled":
            raise AccessError(
                self.env._(
                    "A credit override cannot be changed once approved, only cancelled with a reason. "
                    "Cancel it and approve a new one."
                )
            )
        return super().write(vals)

    def _credit_cancel(self, reason):
        """Cancel the active overrides of ``self`` with ``reason``, logged on their orders."""
        for override in self.sudo().filtered(lambda o: o.state == "active"):
            override.write(
                {
                    "state": "cancelled",
                    "cancel_reason": reason,
                    "cancel_date": fields.Datetime.now(),
                    "cancel_user_id": self.env.user.id,
                }
            )
            override._credit_document().message_post(
                body=self.env._(
                    "Credit override of %(date)s cancelled by %(user)s: %(reason)s.",
                    date=format_datetime(self.env, override.date),
                    user=self.env.user.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _credit_document(self):
        """The record whose chatter logs this override (the order; a bridge module may add others)."""
        return self.order_id

    def action_cancel(self, reason=None):
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise UserError(self.env._("Only a credit manager can cancel a credit override."))
        reason = (reason or "").strip() if isinstance(reason, str) else ""
        return self._credit_cancel(reason or self.env._("cancelled by a credit manager"))
