from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_delivery_block_limit = fields.Boolean(
        string="Block Deliveries Over the Credit Limit",
        help="Outgoing deliveries cannot be validated while the customer's exposure is above its credit limit. "
        "Deliveries to customers on credit hold are always blocked.",
    )
    credit_delivery_block_overdue = fields.Boolean(
        string="Block Deliveries When Overdue",
        help="Outgoing deliveries cannot be validated while the customer has more overdue than the tolerance "
        "(the same days and tolerance as the sale-order block).",
    )
