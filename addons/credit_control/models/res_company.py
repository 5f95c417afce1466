from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_overdue_block_days = fields.Integer(
        string="Block Orders Overdue After (days)",
        default=30,
        help="A sale order cannot be confirmed when the customer has amounts overdue "
        "by more than this number of days (above the tolerance).",
    )
    credit_limit_all_companies = fields.Boolean(
        string="Count exposure in all companies against the limit",
        help="The credit check of this company's orders counts what the customer (and its credit group) owes in "
        "every company of the database, converted to this company's currency at today's rate, against the limit.",
    )
    credit_default_policy_id = fields.Many2one(
        "credit.policy",
        string="Default Follow-up Policy",
        help="Follows up customers whose segment has no policy (or who have no segment).",
    )
    credit_fee_product_id = fields.Many2one(
        "product.product", string="Fee Product", help="Product of the fee invoices that follow-up levels post."
    )
    credit_interest_product_id = fields.Many2one(
        "product.product",
        string="Interest Product",
        help="Product of the statutory interest charged by follow-up levels; the fee product when empty.",
    )
    credit_fee_journal_id = fields.Many2one(
        "account.journal", string="Fee Journal", domain="[('type', '=', 'sale')]", help="Sales journal of fee invoices."
    )
    credit_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=3,
        help="Days after a promised date that follow-up still waits for the payment before the promise is broken.",
    )
    credit_reply_pause_days = fields.Integer(
        string="Reply Pause (working days)",
        default=5,
        help="When a customer answers a reminder, their next follow-up step waits this many working days (Monday "
        "to Friday) for a collector to handle the reply on the Replies list; after that follow-up resumes by itself.",
    )
    credit_promise_max_days = fields.Integer(
        string="Promise Horizon (days)",
        default=30,
        help="A promise asked on the portal for a date further away than this is a proposal for the collector: "
        "it pauses nothing until the collector accepts it.",
    )
    credit_promise_min_percent = fields.Float(
        string="Promise Minimum Share (%)",
        default=10.0,
        help="A promise asked on the portal for less than this share of what is open on its invoices is a "
        "proposal for the collector: it pauses nothing until the collector accepts it.",
    )
    credit_portal_daily_limit = fields.Integer(
        string="Portal Requests per Day",
        default=5,
        help="How many disputes, how many promises and how many payment plans one customer may ask for on the "
        "portal in 24 hours (each). Above it the portal asks the customer to contact you.",
    )
    credit_plan_grace_days = fields.Integer(
        string="Payment Plan Grace Days",
        default=5,
        help="Days after an installment's due date before an unpaid installment breaks the payment plan.",
    )
    credit_plan_reminder_days = fields.Integer(
        string="Installment Reminder Days",
        default=3,
        help="The customer is reminded of an installment this many days before its due date.",
    )
    credit_overdue_block_tolerance = fields.Monetary(
        string="Overdue Tolerance",
        currency_field="currency_id",
        help="Overdue amounts up to this total do not block sale orders.",
    )
    credit_cfo_recipient_ids = fields.Many2many(
        "res.partner",
        "res_company_credit_cfo_recipient_rel",
        "company_id",
        "partner_id",
        string="CFO Report Recipients",
        help="Receive the credit control report of the month by email on the 1st of the next month.",
    )

    credit_bad_debt_account_id = fields.Many2one(
        "account.account",
        string="Bad-debt Account",
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        check_company=True,
        help="The expense account a written-off receivable is booked to (its net part, and its VAT until the VAT "
        "may be relieved).",
    )
    credit_write_off_journal_id = fields.Many2one(
        "account.journal",
        string="Write-off Journal",
        domain="[('type', '=', 'general')]",
        check_company=True,
        help="Miscellaneous journal of the write-off, VAT relief and recovery entries.",
    )

    def _credit_note_lang(self):
        """The language of what credit control writes for the company's own staff (results, chatter notes,
        activities, failure reasons): the company's, whoever runs the code (OdooBot, a collector in English).
        Customer-facing text is rendered in the customer's language instead (templates and reports)."""
        self.ensure_one()
        # the language alone: each batch of a run asks, after its cache was emptied (a company and its partner
        # read in full each time were a thirtieth of a million-item run)
        company = self.sudo().with_context(prefetch_fields=False)
        return company.partner_id.lang or self.env.lang
