from odoo import fields, models
from odoo.tools import SQL


class AccountMove(models.Model):
    """The month end of a provision for doubtful debts entry (``credit.provision``); its reversal has none."""

    _inherit = "account.move"

    credit_provision_date = fields.Date(
        string="Provision of Month End",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
        help="This entry is the provision for doubtful debts of the receivables as they stood at this month end.",
    )

    def init(self):
        res = super().init()
        # one provision per company and month end that is not cancelled, whatever posts it (wizard or cron, two at once)
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS account_move_credit_provision_unique ON account_move "
                "(company_id, credit_provision_date) WHERE credit_provision_date IS NOT NULL AND state != 'cancel'"
            )
        )
        return res
