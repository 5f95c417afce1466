from odoo import api, fields, models

from .res_partner import CREDIT_STATUS_GROUPS

# The decisions on a credit application that set the customer's credit limit: the last of them says whether a
# prepayment is required (a rejection changes nothing, so an earlier requirement stays).
CREDIT_LIMIT_DECISIONS = ("approved", "approved_lower", "approved_prepayment")


class ResPartner(models.Model):
    """Risk-based prepayment: what share of a quotation the customer pays online before it is confirmed."""

    _inherit = "res.partner"

    credit_prepayment_percent = fields.Float(
        string="Required Prepayment (%)",
        compute="_compute_credit_prepayment_percent",
        digits=(16, 2),
        help="The share of each quotation (0 to 100) that this customer pays online before it is confirmed in this "
        "company: the highest of its segment's prepayment and of the last credit decision (approved with "
        "prepayment). Quotations ask it through Odoo's online payment; only a credit manager can lower it.",
        groups=CREDIT_STATUS_GROUPS,
    )

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_credit_prepayment_percent(self):
        percents = self._credit_prepayment_percent_by_partner(self.env.company)
        for partner in self:
            partner.credit_prepayment_percent = percents.get(partner.commercial_partner_id._origin.id, 0.0)

    def _credit_prepayment_percent_by_partner(self, company):
        """``{commercial partner id: required prepayment (0-100)}`` of the partners ``self`` in ``company``: the
        highest of the segment's ``prepayment_percent`` and of the last decided credit application's (when it
        was approved with prepayment). Sudo: salespeople may read neither segments nor applications, yet their
        quotations must ask the prepayment. Two queries for any number of partners."""
        partners = self.commercial_partner_id._origin.with_company(company).sudo()
        if not partners:
            return {}
        reviews = (
            self.env["credit.review"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("state", "in", CREDIT_LIMIT_DECISIONS),
                ],
                ["partner_id", "state", "prepayment_percent"],
                order="decision_date desc, id desc",
            )
        )
        last_decision = {}
        for review in reviews:
            last_decision.setdefault(review.partner_id.id, review)
        partners.fetch(["credit_segment_id"])
        percents = {}
        for partner in partners:
            review = last_decision.get(partner.id)
            decided = review.prepayment_percent if review and review.state == "approved_prepayment" else 0.0
            percents[partner.id] = max(partner.credit_segment_id.prepayment_percent, decided)
        return percents
