from odoo import api, fields, models


class CreditPolicy(models.Model):
    """A follow-up policy: the steps (levels) a customer's open items go through."""

    _name = "credit.policy"
    _description = "Credit Follow-up Policy"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to use the policy in every company.",
    )
    level_ids = fields.One2many("credit.policy.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    interest_rate_warning = fields.Text(
        compute="_compute_interest_rate_warning",
        help="Set when a level charges or shows statutory interest whose rate table has no rate for the current "
        "half-year.",
    )
    segment_ids = fields.One2many("credit.segment", "policy_id", string="Segments")
    note = fields.Html(string="Description", translate=True)
    credit_plan_break_level_id = fields.Many2one(
        "credit.policy.level",
        string="Resume After a Broken Plan At",
        domain="[('policy_id', '=', id)]",
        help="When a payment plan breaks, follow-up of its invoices resumes at this level. "
        "Empty: at the level the invoices were at.",
    )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.depends("level_ids.interest_type")
    def _compute_interest_rate_warning(self):
        warnings = self.env["credit.interest.rate"]._missing_rate_warnings(set(self.level_ids.mapped("interest_type")))
        for policy in self:
            texts = [
                warnings[kind] for kind in sorted(set(policy.level_ids.mapped("interest_type"))) if kind in warnings
            ]
            policy.interest_rate_warning = "\n".join(texts) or False
