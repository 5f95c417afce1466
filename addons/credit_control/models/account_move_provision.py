from odoo import api, fields, models
from odoo.exceptions import AccessError
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

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("credit_provision_date") for vals in vals_list):
            self._credit_check_provision_write()
        return super().create(vals_list)

    def write(self, vals):
        if "credit_provision_date" in vals:
            self._credit_check_provision_write()
        return super().write(vals)

    def _credit_check_provision_write(self):
        """Only the provision wizard marks an entry as a month's provision, with a superuser write: a user who
        marked any entry could block a month's provision (or hide one)."""
        if not self.env.su:
            raise AccessError(self.env._("Only the provision for doubtful debts marks an entry as a provision."))

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
