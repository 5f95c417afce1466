from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount


class StockPicking(models.Model):
    """Outgoing deliveries to a customer on credit hold — and, per company setting, over its credit limit
    or overdue beyond the tolerance — cannot be validated, unless a credit manager released that delivery
    (a ``credit.override`` with ``picking_id``). Returns and receipts are never blocked."""

    _inherit = "stock.picking"

    credit_release_ids = fields.One2many(
        "credit.override",
        "picking_id",
        string="Credit Releases",
        readonly=True,
        groups="credit_control.group_credit_control_user",
    )
    credit_delivery_blocked = fields.Boolean(
        string="Delivery Blocked",
        compute="_compute_credit_delivery_block",
        help="The customer may not receive this delivery now; a credit manager can release it.",
    )
    credit_delivery_block_reason = fields.Text(
        string="Delivery Blocked Because", compute="_compute_credit_delivery_block"
    )

    @api.depends("partner_id", "state", "location_dest_id", "picking_type_id")
    @api.depends_context("uid")
    def _compute_credit_delivery_block(self):
        reasons = self._credit_delivery_block_reasons()
        for picking in self:
            lines = reasons.get(picking.id, [])
            released = lines and picking._credit_valid_release()
            picking.credit_delivery_blocked = bool(lines) and not released
            picking.credit_delivery_block_reason = "\n".join(lines) if lines and not released else False

    def _credit_is_customer_delivery(self):
        self.ensure_one()
        return (
            self.picking_type_code == "outgoing"
            and self.location_dest_id.usage == "customer"
            and self.state not in ("done", "cancel")
            and bool(self.partner_id)
        )

    def _credit_delivery_block_reasons(self):
        """``{picking id: [reason, …]}`` for the pickings of ``self`` that are blocked (set-based: two queries
        per company whatever the number of pickings; sudo: stock users may not read receivables or limits,
        yet must see why a delivery is blocked)."""
        deliveries = self.filtered(lambda p: p.id and p._credit_is_customer_delivery())
        if not deliveries:
            return {}
        staff = self.env.user.has_group("credit_control.group_credit_control_user")
        result = {}
        for company in deliveries.company_id:
            pickings = deliveries.filtered(lambda p, c=company: p.company_id == c)
            partners = pickings.partner_id.commercial_partner_id.with_company(company).sudo()
            currency = company.currency_id
            exposure = partners._credit_exposure_by_partner(company) if company.credit_delivery_block_limit else {}
            # the credit groups' limits and the other companies' exposure, as the order check counts them
            groups = (
                self.env["sale.order"]._credit_group_figures(partners, company)
                if company.credit_delivery_block_limit
                else {}
            )
            overdue = (
                partners._credit_overdue_by_partner(company, days=company.credit_overdue_block_days)
                if company.credit_delivery_block_overdue
                else {}
            )
            for picking in pickings:
                partner = picking.partner_id.commercial_partner_id.with_company(company).sudo()
                reasons = []
                if partner.credit_hold:
                    if staff:
                        reasons.append(
                            self.env._(
                                "%(customer)s is on credit hold: %(reason)s.",
                                customer=partner.name,
                                reason=partner.credit_hold_reason or self.env._("no reason given"),
                            )
                        )
                    else:
                        reasons.append(self.env._("%(customer)s is on credit hold.", customer=partner.name))
                group_figures = groups.get(partner.id) or {"others": 0.0, "group": False, "group_exposure": 0.0}
                used = exposure.get(partner.id, 0.0) + group_figures["others"]
                if groups and partner.credit_limit > 0 and currency.compare_amounts(used, partner.credit_limit) > 0:
                    reasons.append(
                        self.env._(
                            "The exposure of %(customer)s, %(exposure)s, is above its credit limit of %(limit)s.",
                            customer=partner.name,
                            exposure=format_amount(self.env, used, currency),
                            limit=format_amount(self.env, partner.credit_limit, currency),
                        )
                    )
                group = group_figures["group"]
                if (
                    group
                    and group.credit_limit > 0
                    and currency.compare_amounts(group_figures["group_exposure"], group.credit_limit) > 0
                ):
                    reasons.append(
                        self.env._(
                            "The exposure of credit group %(group)s, %(exposure)s, is above its limit of %(limit)s.",
                            group=group.name,
                            exposure=format_amount(self.env, group_figures["group_exposure"], currency),
                            limit=format_amount(self.env, group.credit_limit, currency),
                        )
                    )
                late = overdue.get(partner.id, 0.0)
                if overdue and currency.compare_amounts(late, company.credit_overdue_block_tolerance) > 0:
                    reasons.append(
                        self.env._(
                            "%(amount)s is overdue by more than %(days)s days (tolerance %(tolerance)s).",
                            amount=format_amount(self.env, late, currency),
                            days=company.credit_overdue_block_days,
                            tolerance=format_amount(self.env, company.credit_overdue_block_tolerance, currency),
                        )
                    )
                if reasons:
                    result[picking.id] = reasons
        return result

    def _credit_valid_release(self):
        """The active release of this delivery, if it still holds: for the same commercial partner and company."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id._origin
        return self.sudo().credit_release_ids.filtered(
            lambda o: o.state == "active" and o.partner_id == partner and o.company_id == self.company_id
        )[:1]

    def _credit_check_delivery(self):
        """Refuse to validate the blocked deliveries of ``self`` (server side, whoever calls)."""
        reasons = self._credit_delivery_block_reasons()
        blocked = self.filtered(lambda p: p.id in reasons and not p._credit_valid_release())
        if blocked:
            raise UserError(
                "\n\n".join(
                    self.env._("%(delivery)s cannot be delivered:", delivery=picking.name)
                    + "\n"
                    + "\n".join(f"- {reason}" for reason in reasons[picking.id])
                    for picking in blocked
                )
                + "\n\n"
                + self.env._("Ask a credit manager to release the delivery.")
            )

    def button_validate(self):
        # before Odoo's wizards (immediate transfer, backorder): say it at once
        self._credit_check_delivery()
        return super().button_validate()

    def write(self, vals):
        if "partner_id" in vals:
            new = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id
            moved = self.filtered(lambda p: p.partner_id.commercial_partner_id != new)
            releases = moved.sudo().credit_release_ids.filtered(lambda o: o.state == "active")
            if releases:
                releases._credit_cancel(self.env._("the delivery's customer changed"))
        return super().write(vals)

    def action_credit_release(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Release Delivery"),
            "res_model": "credit.delivery.release",
            "view_mode": "form",
            "target": "new",
            "context": {"default_picking_id": self.id},
        }
