from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_delivery_block_limit = fields.Boolean(related="company_id.credit_delivery_block_limit", readonly=False)
    credit_delivery_block_overdue = fields.Boolean(related="company_id.credit_delivery_block_overdue", readonly=False)
