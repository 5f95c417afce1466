from datetime import timedelta

from odoo import api, fields, models

from ..tools import credit_kpi
from .credit_csat_mixin import CSAT_MODELS, CSAT_SATISFIED
from .res_partner import CREDIT_STAFF_GROUPS

# The customer's satisfaction on its credit tab is that of the ratings of the last days.
CSAT_PARTNER_DAYS = 90


class ResPartner(models.Model):
    """The customer's satisfaction with credit control: its ratings of disputes, payment plans and calls of the
    current company over the last 90 days (see ``credit.csat.mixin``)."""

    _inherit = "res.partner"

    credit_csat = fields.Float(
        string="Customer Satisfaction (%)",
        digits=(16, 2),
        compute="_compute_credit_csat",
        groups=CREDIT_STAFF_GROUPS,
        help="Of the customer's ratings of its disputes, payment plans and follow-up calls in the last 90 days, "
        "the share that is satisfied (4 or 5 out of 5), as the CSAT of the KPI snapshots.",
    )
    credit_csat_count = fields.Integer(
        string="Ratings (90 Days)",
        compute="_compute_credit_csat",
        groups=CREDIT_STAFF_GROUPS,
    )

    @api.depends_context("company")
    def _compute_credit_csat(self):
        """One aggregate over the ratings of all the partners' commercial entities."""
        customers = self.commercial_partner_id
        since = fields.Datetime.now() - timedelta(days=CSAT_PARTNER_DAYS)
        groups = (
            self.env["rating.rating"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "in", CSAT_MODELS),
                    ("consumed", "=", True),
                    ("rating", ">=", 1),
                    ("credit_company_id", "=", self.env.company.id),
                    ("credit_rated_on", ">=", since),
                    ("partner_id.commercial_partner_id", "in", customers.ids),
                ],
                ["partner_id"],
                ["__count", "rating:array_agg"],
            )
        )
        counts = {}
        for contact, count, ratings in groups:
            rated, satisfied = counts.get(contact.commercial_partner_id.id, (0, 0))
            counts[contact.commercial_partner_id.id] = (
                rated + count,
                satisfied + sum(1 for rating in ratings if rating >= CSAT_SATISFIED),
            )
        for partner in self:
            rated, satisfied = counts.get(partner.commercial_partner_id.id, (0, 0))
            csat = credit_kpi.customer_satisfaction(satisfied, rated)
            partner.credit_csat = float(csat) if csat is not None else 0.0
            partner.credit_csat_count = rated
