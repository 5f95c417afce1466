from odoo import api, fields, models

from .credit_csat_mixin import CSAT_MODELS


class RatingRating(models.Model):
    """The customers' ratings of disputes, payment plans and calls: their company (for the multi-company rule
    and the KPI query, as ``rating.rating`` has none) and when they were given (``create_date`` is when the
    request was made, ``write_date`` moves with any later write)."""

    _inherit = "rating.rating"

    credit_company_id = fields.Many2one(
        "res.company",
        compute="_compute_credit_company_id",
        store=True,
        index="btree_not_null",
        help="The company of the rated dispute, payment plan or follow-up call.",
    )
    credit_rated_on = fields.Datetime(
        string="Rated On",
        readonly=True,
        copy=False,
        help="When the customer gave (or last changed) the rating.",
    )

    @api.depends("res_model", "res_id")
    def _compute_credit_company_id(self):
        credit = self.filtered(lambda r: r.res_model in CSAT_MODELS and r.res_id)
        (self - credit).credit_company_id = False
        for model, ratings in credit.grouped("res_model").items():
            records = self.env[model].sudo().browse(ratings.mapped("res_id")).exists()
            company = {record.id: record.company_id for record in records}
            for rating in ratings:
                rating.credit_company_id = company.get(rating.res_id, False)

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("consumed"):
                vals.setdefault("credit_rated_on", now)
        return super().create(vals_list)

    def write(self, vals):
        result = super().write(vals)
        if ("rating" in vals or vals.get("consumed")) and "credit_rated_on" not in vals:
            rated = self.filtered("consumed")
            if rated:
                super(RatingRating, rated).write({"credit_rated_on": fields.Datetime.now()})
        return result
