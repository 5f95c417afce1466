from odoo import api, fields, models

from .res_partner import CREDIT_STAFF_GROUPS


class ResPartner(models.Model):
    """Credit insurance on the customer's credit profile: the cover of today and the insured versus uninsured part
    of the exposure (credit staff only), and the insurer's notification deadline on the insurer."""

    _inherit = "res.partner"

    credit_insurance_ids = fields.One2many(
        "credit.insurance", "partner_id", string="Credit Insurances", groups=CREDIT_STAFF_GROUPS
    )
    credit_insurance_id = fields.Many2one(
        "credit.insurance",
        compute="_compute_credit_insured_exposure",
        groups=CREDIT_STAFF_GROUPS,
        help="The granted or reduced cover of today in this company.",
    )
    credit_insured_exposure = fields.Monetary(
        string="Insured Exposure",
        compute="_compute_credit_insured_exposure",
        currency_field="credit_currency_id",
        groups=CREDIT_STAFF_GROUPS,
        help="What the insurer would pay of today's exposure: min(exposure, insured limit) × coverage.",
    )
    credit_uninsured_exposure = fields.Monetary(
        string="Uninsured Exposure",
        compute="_compute_credit_insured_exposure",
        currency_field="credit_currency_id",
        groups=CREDIT_STAFF_GROUPS,
        help="Exposure minus its insured part: the company's own risk.",
    )
    credit_insurance_count = fields.Integer(compute="_compute_credit_insurance_count", groups=CREDIT_STAFF_GROUPS)
    credit_insurer_notify_days = fields.Integer(
        string="Insurer's Notification Deadline (days)",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
        help="For a credit insurer: report an item still unpaid this many days after its original due date "
        "(the policy's 'meldingstermijn'), or its cover is lost. New policies with this insurer take it over.",
    )

    @api.depends_context("company")
    def _compute_credit_insured_exposure(self):
        company = self.env.company
        commercial = self.commercial_partner_id._origin
        figures = commercial._credit_insured_by_partner(company)
        Insurance = self.env["credit.insurance"]
        for partner in self:
            insurance, insured, uninsured = figures.get(partner.commercial_partner_id._origin.id, (Insurance, 0, 0))
            partner.credit_insurance_id = insurance
            partner.credit_insured_exposure = insured
            partner.credit_uninsured_exposure = uninsured

    def _compute_credit_insurance_count(self):
        counts = dict(
            self.env["credit.insurance"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.credit_insurance_count = counts.get(partner.commercial_partner_id, 0)

    def _credit_insured_by_partner(self, company, day=None, exposures=None):
        """{commercial partner id: (cover, insured, uninsured)} of ``self`` in ``company`` on ``day`` (today):
        insured = min(exposure, insured limit) × coverage, uninsured = exposure − insured. Set-based: one query
        for the exposures (``_credit_exposure_by_partner``, unless ``exposures`` are given) and one for the
        covers, for any number of partners."""
        partners = self.commercial_partner_id
        if not partners:
            return {}
        day = day or fields.Date.context_today(self)
        if exposures is None:
            exposures = partners._credit_exposure_by_partner(company)
        covering = self.env["credit.insurance"]._covering(partners, company, day)
        currency = company.currency_id
        Insurance = self.env["credit.insurance"]
        figures = {}
        for partner in partners:
            exposure = exposures.get(partner.id, 0.0)
            insurance = covering.get(partner.id, Insurance)
            insured = insurance._insured_amount(exposure) if insurance else 0.0
            figures[partner.id] = (insurance, insured, currency.round(exposure - insured))
        return figures

    def action_credit_view_insurances(self):
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_insurance_action")
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action
