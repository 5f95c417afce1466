from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from .res_partner import CREDIT_STATUS_GROUPS


class SaleOrder(models.Model):
    _inherit = "sale.order"

    credit_block_reason = fields.Text(
        string="Credit Block",
        compute="_compute_credit_block_reason",
        help="Why this quotation cannot be confirmed without a credit manager's override.",
        groups=CREDIT_STATUS_GROUPS,
    )
    credit_override_ids = fields.One2many("credit.override", "order_id", readonly=True, groups=CREDIT_STATUS_GROUPS)
    credit_override_id = fields.Many2one(
        "credit.override",
        string="Active Override",
        compute="_compute_credit_block_reason",
        help="The active override that lets this order through its credit block.",
        groups=CREDIT_STATUS_GROUPS,
    )

    # Odoo's own warning names the limit and the amount due: not for portal users either
    partner_credit_warning = fields.Text(groups=CREDIT_STATUS_GROUPS)

    @api.depends("partner_id", "amount_total", "state", "company_id", "credit_override_ids.state")
    @api.depends_context("uid")  # the reason of a hold is shown to credit staff only
    def _compute_credit_block_reason(self):
        for order in self:
            order.credit_block_reason = False
            order.credit_override_id = False
            # also while the quotation is being edited, so the salesperson sees it before saving
            if order.state not in ("draft", "sent") or not order.partner_id._origin:
                continue
            override = order._credit_valid_override()
            if override:
                order.credit_override_id = override
                continue
            if order._credit_paid_online():
                continue
            reasons = order._credit_block_reasons()
            order.credit_block_reason = order._credit_block_message(reasons) if reasons else False

    # ------------------------------------------------------------------
    # The check
    # ------------------------------------------------------------------

    def _credit_amount_company(self):
        """Order total in company currency (as Odoo's own credit warning does)."""
        self.ensure_one()
        return self.company_id.currency_id.round(self.amount_total / (self.currency_rate or 1.0))

    def _credit_figures(self, pending=0.0):
        """Figures of the check for this order's customer, in company currency (sudo: salespeople
        may not read receivables or limits, yet must see why they are blocked)."""
        self.ensure_one()
        company = self.company_id
        partner = self.partner_id.commercial_partner_id._origin.with_company(company).sudo()
        exposure = partner._credit_exposure_by_partner(company).get(partner.id, 0.0) + pending
        overdue = partner._credit_overdue_by_partner(company, days=company.credit_overdue_block_days).get(
            partner.id, 0.0
        )
        return {
            "partner": partner,
            "hold": partner.credit_hold,
            "hold_reason": partner.credit_hold_reason,
            "limit": partner.credit_limit,
            "exposure": exposure,
            "order_amount": self._credit_amount_company(),
            "overdue": overdue,
            "overdue_days": company.credit_overdue_block_days,
            "tolerance": company.credit_overdue_block_tolerance,
        }

    def _credit_block_reasons(self, pending=0.0, figures=None):
        """List of human-readable reasons why this order is blocked (empty: not blocked)."""
        self.ensure_one()
        figures = figures or self._credit_figures(pending)
        company = self.company_id
        currency = company.currency_id

        def amount(value):
            return format_amount(self.env, value, currency)

        reasons = []
        if figures["hold"] and self.env.user.has_group("credit_control.group_credit_control_user"):
            reasons.append(
                self.env._(
                    "%(customer)s is on credit hold: %(reason)s.",
                    customer=figures["partner"].name,
                    reason=figures["hold_reason"] or self.env._("no reason given"),
                )
            )
        elif figures["hold"]:
            # the reason of a hold is credit staff's (it may be "suspected fraud"): others learn only that it is held
            reasons.append(self.env._("%(customer)s is on credit hold.", customer=figures["partner"].name))
        limit = figures["limit"]
        total = figures["exposure"] + figures["order_amount"]
        if limit > 0 and currency.compare_amounts(total, limit) > 0:
            reasons.append(
                self.env._(
                    "Credit limit exceeded: exposure %(exposure)s + this order %(order)s = %(total)s, "
                    "above the credit limit of %(limit)s.",
                    exposure=amount(figures["exposure"]),
                    order=amount(figures["order_amount"]),
                    total=amount(total),
                    limit=amount(limit),
                )
            )
        if currency.compare_amounts(figures["overdue"], figures["tolerance"]) > 0:
            reasons.append(
                self.env._(
                    "%(amount)s is overdue by more than %(days)s days (tolerance %(tolerance)s).",
                    amount=amount(figures["overdue"]),
                    days=figures["overdue_days"],
                    tolerance=amount(figures["tolerance"]),
                )
            )
        return reasons

    def _credit_block_message(self, reasons):
        return "\n".join(
            [self.env._("This order cannot be confirmed:")]
            + [f"- {reason}" for reason in reasons]
            + [self.env._("Ask a credit manager to override the credit block.")]
        )

    def _credit_valid_override(self):
        """The active override whose approved amount still covers this order, if any."""
        self.ensure_one()
        currency = self.company_id.currency_id
        amount = self._credit_amount_company()
        return self.sudo().credit_override_ids.filtered(
            lambda o: o.state == "active" and currency.compare_amounts(o.order_amount, amount) >= 0
        )[:1]

    def _credit_paid_online(self):
        """An order confirmed by a completed (or authorized) online payment is never blocked."""
        self.ensure_one()
        return self.amount_paid > 0 and self._is_confirmation_amount_reached()

    def _credit_is_exempt(self):
        self.ensure_one()
        return bool(self._credit_valid_override()) or self._credit_paid_online()

    def _credit_check_confirmation(self):
        """Raise a UserError when an order of ``self`` may not be confirmed.

        Orders confirmed together for one customer add up: the second one sees the first.
        """
        pending = defaultdict(float)
        for order in self:
            if order._credit_is_exempt():
                continue
            partner = order.partner_id.commercial_partner_id
            key = (order.company_id.id, partner.id)
            reasons = order._credit_block_reasons(pending=pending[key])
            if reasons:
                raise UserError(
                    self.env._("%(order)s: %(message)s", order=order.name, message=order._credit_block_message(reasons))
                )
            pending[key] += order._credit_amount_company()

    # ------------------------------------------------------------------
    # Hooks into Odoo's confirmation flow (server side: no RPC gets past them)
    # ------------------------------------------------------------------

    def write(self, vals):
        if vals.get("state") == "sale":
            self.filtered(lambda o: o.state in ("draft", "sent"))._credit_check_confirmation()
        return super().write(vals)

    def _validate_order(self):
        """A quotation signed (or checked out) on the portal that is blocked stays a quotation,
        and the salesperson is told why instead of the customer getting an error."""
        blocked = self.browse()
        for order in self:
            if order._credit_is_exempt():
                continue
            reasons = order._credit_block_reasons()
            if reasons:
                blocked |= order
                order._credit_notify_blocked(order._credit_block_message(reasons))
        if self - blocked:
            return super(SaleOrder, self - blocked)._validate_order()
        return None

    def _credit_notify_blocked(self, message):
        self.ensure_one()
        user = self.user_id or self.company_id.partner_id.user_id or self.env.ref("base.user_admin")
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Credit block: signed quotation not confirmed"),
            note=message,
            user_id=user.id,
        )
        self.message_post(
            body=self.env._(
                "The customer accepted this quotation, but it was not confirmed.\n%(message)s", message=message
            ),
            subtype_xmlid="mail.mt_note",
        )

    def action_credit_override(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can override a credit block."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Credit Block"),
            "res_model": "credit.override.approve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _action_cancel(self):
        result = super()._action_cancel()
        self.sudo().credit_override_ids.filtered(lambda o: o.state == "active").write({"state": "cancelled"})
        return result
