from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """The accounts, journal and insolvency percentage of the provision for doubtful debts (``credit.provision``)."""

    _inherit = "res.company"

    credit_provision_expense_account_id = fields.Many2one(
        "account.account",
        string="Provision Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="Profit and loss account debited with the provision (dotatie voorziening dubieuze debiteuren).",
    )
    credit_provision_account_id = fields.Many2one(
        "account.account",
        string="Provision Account",
        check_company=True,
        domain="[('account_type', 'in', ('asset_current', 'asset_non_current'))]",
        help="Balance sheet account credited with the provision, shown against the receivables "
        "(voorziening dubieuze debiteuren). Not a receivable account: the provision is no customer's debt.",
    )
    credit_provision_journal_id = fields.Many2one(
        "account.journal",
        string="Provision Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the provision entries and their reversals.",
    )
    credit_provision_insolvency_percent = fields.Float(
        string="Provision for Insolvency Cases (%)",
        digits=(5, 2),
        default=100.0,
        help="What is provided of all that a customer in an open insolvency case owes, whatever its age.",
    )
    credit_provision_auto_post = fields.Boolean(
        string="Post the Provision Monthly",
        help="On the 1st of each month the provision of the month that ended is posted by itself (and reversed "
        "on the same day). Without it a credit manager posts it from Credit Control › Provision for Doubtful Debts.",
    )

    @api.constrains("credit_provision_account_id", "credit_provision_expense_account_id")
    def _check_credit_provision_accounts(self):
        for company in self:
            account = company.credit_provision_account_id
            if account and (account.reconcile or account.account_type in ("asset_receivable", "liability_payable")):
                raise ValidationError(
                    self.env._(
                        "The provision account %(account)s must not be a receivable, payable or reconcilable "
                        "account: the provision would count as a customer's debt in the aging.",
                        account=account.display_name,
                    )
                )
            if account and account == company.credit_provision_expense_account_id:
                raise ValidationError(self.env._("The provision account and its expense account must differ."))

    @api.constrains("credit_provision_insolvency_percent")
    def _check_credit_provision_insolvency_percent(self):
        if any(not 0 <= company.credit_provision_insolvency_percent <= 100 for company in self):
            raise ValidationError(self.env._("The provision for insolvency cases is between 0 and 100 %."))
