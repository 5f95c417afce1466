from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CreditRatingHistory(models.Model):
    """Every change of a customer's external rating, from any path (the form, a bureau file, RPC):
    kept for audit and for the trend, never changed or deleted."""

    _name = "credit.rating.history"
    _description = "Credit Rating History"
    _order = "create_date desc, id desc"
    _rec_name = "rating"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        index=True,
        help="The customer's company: empty for a customer shared by all companies (a rating is the customer's, "
        "in every company).",
    )
    rating = fields.Char(readonly=True)
    previous_rating = fields.Char(readonly=True)
    rating_date = fields.Date(readonly=True)
    source = fields.Char(readonly=True)
    advised_limit = fields.Float(readonly=True, digits="Account", help="The bureau's advised credit limit.")
    previous_advised_limit = fields.Float(readonly=True, digits="Account")
    dropped = fields.Boolean(readonly=True, help="The rating is worse than the previous one.")
    user_id = fields.Many2one("res.users", string="Recorded By", readonly=True, default=lambda self: self.env.user)
    origin = fields.Selection(
        [("manual", "Entered"), ("import", "Bureau File")], default="manual", required=True, readonly=True
    )
    import_file = fields.Char(string="File", readonly=True)

    def write(self, vals):  # pylint: disable=method-required-super
        raise AccessError(self.env._("The rating history is kept as it was recorded."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The rating history is kept as it was recorded."))
