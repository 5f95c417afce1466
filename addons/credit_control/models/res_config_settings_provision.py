from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_provision_expense_account_id = fields.Many2one(
        related="company_id.credit_provision_expense_account_id", readonly=False
    )
    credit_provision_account_id = fields.Many2one(related="company_id.credit_provision_account_id", readonly=False)
    credit_provision_journal_id = fields.Many2one(related="company_id.credit_provision_journal_id", readonly=False)
    credit_provision_insolvency_percent = fields.Float(
        related="company_id.credit_provision_insolvency_percent", readonly=False
    )
    credit_provision_auto_post = fields.Boolean(related="company_id.credit_provision_auto_post", readonly=False)
