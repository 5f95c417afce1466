from odoo import api, fields, models


class CreditOverride(models.Model):
    """A credit override may also release one delivery (``picking_id``) instead of an order."""

    _inherit = "credit.override"

    order_id = fields.Many2one(required=False)
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", readonly=True, ondelete="restrict", index="btree_not_null"
    )

    _sql_constraints = [
        (
            "order_or_picking",
            "CHECK ((order_id IS NOT NULL) <> (picking_id IS NOT NULL))",
            "A credit override releases either one sale order or one delivery.",
        )
    ]

    @api.depends("order_id", "picking_id")
    def _compute_display_name(self):
        for override in self:
            override.display_name = (override.order_id or override.picking_id).display_name or ""

    def _credit_document(self):
        return self.picking_id or super()._credit_document()
