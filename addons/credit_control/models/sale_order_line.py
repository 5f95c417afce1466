from odoo import api, models

# Computed amounts of a line that the credit check and the exposure read (see sale_order.py).
CREDIT_COMPUTED_LINE_FIELDS = {
    "price_subtotal",
    "price_tax",
    "price_total",
    "untaxed_amount_to_invoice",
    "untaxed_amount_invoiced",
    "qty_invoiced",
}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # A confirmed order that grows through its lines - created, written (quantity, price, discount,
    # taxes, product, packaging...) or moved from another order - is re-checked against the credit
    # block on the increase (``sale.order._credit_check_increase``). Decreases and unchanged edits pass.

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.env["sale.order"]._credit_check_protected_fields(vals, CREDIT_COMPUTED_LINE_FIELDS)
        orders = self.env["sale.order"].browse({vals["order_id"] for vals in vals_list if vals.get("order_id")})
        before = orders._credit_snapshot()
        lines = super().create(vals_list)
        if before:
            lines.order_id._credit_check_increase(before)
        return lines

    def write(self, vals):
        self.env["sale.order"]._credit_check_protected_fields(vals, CREDIT_COMPUTED_LINE_FIELDS)
        orders = self.order_id
        if vals.get("order_id"):
            orders |= orders.browse(vals["order_id"])
        before = orders._credit_snapshot()
        result = super().write(vals)
        if before:
            orders._credit_check_increase(before)
        return result
