from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # A confirmed order that grows through its lines - created, written (quantity, price, discount,
    # taxes, product, packaging...) or moved from another order - is re-checked against the credit
    # block on the increase (``sale.order._credit_check_increase``). Decreases and unchanged edits pass.

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["sale.order"].browse({vals["order_id"] for vals in vals_list if vals.get("order_id")})
        before = orders._credit_snapshot()
        lines = super().create(vals_list)
        if before:
            lines.order_id._credit_check_increase(before)
        return lines

    def write(self, vals):
        orders = self.order_id
        if vals.get("order_id"):
            orders |= orders.browse(vals["order_id"])
        before = orders._credit_snapshot()
        result = super().write(vals)
        if before:
            orders._credit_check_increase(before)
        return result
