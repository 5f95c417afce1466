from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CreditLimitHistory(models.Model):
    """Every change of a customer's credit limit (Odoo's ``credit_limit``, per company) or of a credit group's
    limit, from any path — the customer form, the *Change Limit* wizard, an import, RPC —: who, when, old, new and why.
    Kept as recorded, never changed or deleted."""

    _name = "credit.limit.history"
    _description = "Credit Limit History"
    _order = "create_date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True, ondelete="cascade")
    group_id = fields.Many2one(
        "credit.group", string="Credit Group", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    old_limit = fields.Monetary(readonly=True)
    new_limit = fields.Monetary(readonly=True)
    change = fields.Monetary(compute="_compute_change", store=True)
    reason = fields.Text(readonly=True)
    user_id = fields.Many2one("res.users", string="Changed By", readonly=True, default=lambda self: self.env.user)

    _sql_constraints = [
        (
            "partner_or_group",
            "CHECK ((partner_id IS NULL) <> (group_id IS NULL))",
            "A credit limit change is a customer's or a credit group's.",
        )
    ]

    @api.depends("old_limit", "new_limit")
    def _compute_change(self):
        for row in self:
            row.change = row.new_limit - row.old_limit

    def write(self, vals):  # pylint: disable=method-required-super
        raise AccessError(self.env._("The credit limit history is kept as it was recorded."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The credit limit history is kept as it was recorded."))
