from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount


class CreditOverrideApprove(models.TransientModel):
    _name = "credit.override.approve"
    _description = "Approve a Credit Block Override"

    order_id = fields.Many2one("sale.order", required=True, readonly=True)
    company_id = fields.Many2one(related="order_id.company_id")
    currency_id = fields.Many2one(related="order_id.company_id.currency_id")
    partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id", string="Customer")
    block_message = fields.Text(string="Blocked Because", compute="_compute_figures")
    order_amount = fields.Monetary(
        string="Approved Amount",
        compute="_compute_order_amount",
        store=True,
        readonly=False,
        help="The order total in company currency that the override covers: the order's total, or more "
        "when a confirmed order may still grow up to it.",
    )
    exposure = fields.Monetary(compute="_compute_figures")
    credit_limit = fields.Monetary(compute="_compute_figures")
    overdue_amount = fields.Monetary(compute="_compute_figures")
    reason = fields.Text(required=True, help="Why the order may go through; kept on the order for the audit trail.")
    confirm_order = fields.Boolean(string="Confirm the Order Now", default=True)

    @api.depends("order_id")
    def _compute_order_amount(self):
        for wizard in self:
            wizard.order_amount = wizard.order_id._credit_amount_company() if wizard.order_id else 0.0

    @api.depends("order_id")
    def _compute_figures(self):
        for wizard in self:
            order = wizard.order_id
            figures = order._credit_figures()
            reasons = order._credit_block_reasons(figures=figures)
            wizard.block_message = "\n".join(reasons)
            wizard.exposure = figures["exposure"]
            wizard.credit_limit = figures["limit"]
            wizard.overdue_amount = figures["overdue"]

    def action_approve(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can override a credit block."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for the override; it is kept on the order."))
        order = self.order_id
        if order.state not in ("draft", "sent", "sale") or order.locked:
            raise UserError(
                self.env._("Only quotations can be released; %(order)s is already processed.", order=order.name)
            )
        currency = order.company_id.currency_id
        figures = order._credit_figures()
        if currency.compare_amounts(self.order_amount, figures["order_amount"]) < 0:
            raise UserError(
                self.env._(
                    "The approved amount must cover the order total of %(amount)s.",
                    amount=format_amount(self.env, figures["order_amount"], currency),
                )
            )
        reasons = order._credit_block_reasons(figures=figures)
        previous = order.sudo().credit_override_ids.filtered(lambda o: o.state == "active")
        previous._credit_cancel(self.env._("replaced by a new override of %(user)s", user=self.env.user.name))
        # created only here (credit managers have no create right on the model): the figures are the check's own
        override = (
            self.env["credit.override"]
            .sudo()
            .create(
                {
                    "order_id": order.id,
                    "partner_id": order.partner_id.commercial_partner_id.id,
                    "company_id": order.company_id.id,
                    "user_id": self.env.user.id,
                    "reason": reason,
                    "block_message": "\n".join(reasons),
                    "order_amount": self.order_amount,
                    "exposure": figures["exposure"],
                    "credit_limit": figures["limit"],
                    "overdue_amount": figures["overdue"],
                }
            )
        )
        order.message_post(
            body=self.env._(
                "Credit block overridden by %(user)s for %(amount)s. Reason: %(reason)s\nBlocked because:\n%(blocks)s",
                user=self.env.user.name,
                amount=format_amount(self.env, override.order_amount, currency),
                reason=reason,
                blocks="\n".join(reasons) or self.env._("(nothing blocked at approval time)"),
            ),
            subtype_xmlid="mail.mt_note",
        )
        if self.confirm_order and order.state in ("draft", "sent"):
            order.action_confirm()
        return {"type": "ir.actions.act_window_close"}
