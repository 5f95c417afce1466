from odoo import fields, models

DISPUTE_CATEGORIES = [
    ("price", "Price"),
    ("quantity", "Quantity"),
    ("quality", "Quality"),
    ("delivery", "Delivery"),
    ("already_paid", "Already Paid"),
    ("not_received", "Invoice Not Received"),
    ("other", "Other"),
]


class CreditDisputeReason(models.Model):
    """Why a customer disputes an invoice, grouped by root cause for the dispute analysis."""

    _name = "credit.dispute.reason"
    _description = "Dispute Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    category = fields.Selection(
        DISPUTE_CATEGORIES,
        string="Root Cause",
        required=True,
        default="other",
        help="The root cause this reason belongs to; the dispute analysis groups by it.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
