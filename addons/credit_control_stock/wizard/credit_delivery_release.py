from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CreditDeliveryRelease(models.TransientModel):
    """A credit manager lets one blocked delivery go, with a reason: a ``credit.override`` on the picking,
    kept for the audit trail next to the order overrides."""

    _name = "credit.delivery.release"
    _description = "Release a Blocked Delivery"

    picking_id = fields.Many2one("stock.picking", string="Delivery", required=True, readonly=True)
    partner_id = fields.Many2one(related="picking_id.partner_id.commercial_partner_id", string="Customer")
    company_id = fields.Many2one(related="picking_id.company_id")
    currency_id = fields.Many2one(related="picking_id.company_id.currency_id")
    block_message = fields.Text(string="Blocked Because", compute="_compute_figures")
    exposure = fields.Monetary(compute="_compute_figures")
    credit_limit = fields.Monetary(compute="_compute_figures")
    overdue_amount = fields.Monetary(compute="_compute_figures")
    reason = fields.Text(required=True, help="Why the delivery may go; kept on the delivery for the audit trail.")

    @api.depends("picking_id")
    def _compute_figures(self):
        for wizard in self:
            picking = wizard.picking_id
            figures = wizard._figures()
            wizard.block_message = "\n".join(picking._credit_delivery_block_reasons().get(picking.id, []))
            wizard.exposure = figures["exposure"]
            wizard.credit_limit = figures["limit"]
            wizard.overdue_amount = figures["overdue"]

    def _figures(self):
        picking = self.picking_id
        company = picking.company_id
        partner = picking.partner_id.commercial_partner_id.with_company(company).sudo()
        if not partner:
            return {"exposure": 0.0, "limit": 0.0, "overdue": 0.0}
        return {
            "exposure": partner._credit_exposure_by_partner(company).get(partner.id, 0.0),
            "limit": partner.credit_limit,
            "overdue": partner._credit_overdue_by_partner(company, days=company.credit_overdue_block_days).get(
                partner.id, 0.0
            ),
        }

    def action_release(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can release a blocked delivery."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for the release; it is kept on the delivery."))
        picking = self.picking_id
        if picking.state in ("done", "cancel"):
            raise UserError(self.env._("%(delivery)s is already done or cancelled.", delivery=picking.name))
        reasons = picking._credit_delivery_block_reasons().get(picking.id, [])
        if not reasons:
            raise UserError(
                self.env._("%(delivery)s is not blocked: there is nothing to release.", delivery=picking.name)
            )
        picking.sudo().credit_release_ids.filtered(lambda o: o.state == "active")._credit_cancel(
            self.env._("replaced by a new release of %(user)s", user=self.env.user.name)
        )
        figures = self._figures()
        # created only here (nobody has a create right on overrides): the figures are the check's own
        self.env["credit.override"].sudo().create(
            {
                "picking_id": picking.id,
                "partner_id": picking.partner_id.commercial_partner_id.id,
                "company_id": picking.company_id.id,
                "user_id": self.env.user.id,
                "reason": reason,
                "block_message": "\n".join(reasons),
                "exposure": figures["exposure"],
                "credit_limit": figures["limit"],
                "overdue_amount": figures["overdue"],
            }
        )
        picking.message_post(
            body=self.env._(
                "Delivery released by %(user)s. Reason: %(reason)s\nBlocked because:\n%(blocks)s",
                user=self.env.user.name,
                reason=reason,
                blocks="\n".join(reasons),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {"type": "ir.actions.act_window_close"}
