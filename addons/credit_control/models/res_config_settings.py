from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_overdue_block_days = fields.Integer(related="company_id.credit_overdue_block_days", readonly=False)
    credit_limit_all_companies = fields.Boolean(related="company_id.credit_limit_all_companies", readonly=False)
    credit_default_policy_id = fields.Many2one(related="company_id.credit_default_policy_id", readonly=False)
    credit_fee_product_id = fields.Many2one(related="company_id.credit_fee_product_id", readonly=False)
    credit_interest_product_id = fields.Many2one(related="company_id.credit_interest_product_id", readonly=False)
    credit_fee_journal_id = fields.Many2one(related="company_id.credit_fee_journal_id", readonly=False)
    credit_promise_grace_days = fields.Integer(related="company_id.credit_promise_grace_days", readonly=False)
    credit_promise_max_days = fields.Integer(related="company_id.credit_promise_max_days", readonly=False)
    credit_reply_pause_days = fields.Integer(related="company_id.credit_reply_pause_days", readonly=False)
    credit_promise_min_percent = fields.Float(related="company_id.credit_promise_min_percent", readonly=False)
    credit_portal_daily_limit = fields.Integer(related="company_id.credit_portal_daily_limit", readonly=False)
    credit_plan_grace_days = fields.Integer(related="company_id.credit_plan_grace_days", readonly=False)
    credit_plan_reminder_days = fields.Integer(related="company_id.credit_plan_reminder_days", readonly=False)
    credit_overdue_block_tolerance = fields.Monetary(
        related="company_id.credit_overdue_block_tolerance",
        currency_field="currency_id",
        readonly=False,
    )
    credit_cfo_recipient_ids = fields.Many2many(related="company_id.credit_cfo_recipient_ids", readonly=False)
    credit_followup_workers = fields.Integer(
        string="Follow-up Workers",
        config_parameter="credit_control.followup_workers",
        default=2,
        help="How many worker crons share the daily follow-up run; set it to the number of cron threads of all "
        "Odoo servers on this database (--max-cron-threads).",
    )
    credit_bad_debt_account_id = fields.Many2one(related="company_id.credit_bad_debt_account_id", readonly=False)
    credit_write_off_journal_id = fields.Many2one(related="company_id.credit_write_off_journal_id", readonly=False)
