import ast
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from .credit_statement_sending import STATEMENT_MONTHDAY_SELECTION, STATEMENT_WEEKDAY_SELECTION
from .res_partner import CREDIT_MANAGER_FIELDS, CREDIT_SIGNAL_FIELDS, CREDIT_STAT_FIELDS, CREDIT_USER_FIELDS

_logger = logging.getLogger(__name__)

# Only customers' commercial entities are segmented: contacts follow their company.
ELIGIBLE_PARTNER_DOMAIN = [
    ("customer_rank", ">", 0),
    "|",
    ("is_company", "=", True),
    ("parent_id", "=", False),
]


# What a segment rule may use: fields of the customer itself that no salesperson can change.
SEGMENT_RULE_FIELDS = (
    {"id", "credit_over_limit"} | CREDIT_STAT_FIELDS | CREDIT_SIGNAL_FIELDS | CREDIT_USER_FIELDS | CREDIT_MANAGER_FIELDS
)


class CreditSegment(models.Model):
    _name = "credit.segment"
    _description = "Credit Segment"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(
        default=lambda self: self._default_sequence(),
        help="Segments are tried in this order; a customer gets the first segment whose rule it matches. "
        "A new segment goes last.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to use the segment in every company.",
    )
    partner_domain = fields.Char(
        string="Assignment Rule",
        # a new segment matches nobody until its rule is written: it cannot swallow the book
        default="[('id', '=', 0)]",
        required=True,
        tracking=True,
        help="Customers that match this rule are assigned to the segment by the nightly run. "
        "The rule can use the behaviour statistics (overdue amount, average days late, late ratio) and the "
        "fields only credit control sets (credit limit, hold, rating, collector), never what salespeople "
        "can change (tags, company type, address).",
    )
    note = fields.Html(
        string="Approach",
        translate=True,
        help="What this segment means for the customer, e.g. 'skip reminders, propose a payment plan'.",
    )
    policy_id = fields.Many2one(
        "credit.policy",
        string="Follow-up Policy",
        domain="[('company_id', 'in', [company_id, False])]",
        help="How customers of this segment are followed up; the company's default policy when empty.",
    )
    credit_thank_you = fields.Boolean(
        string="Thank After Payment",
        help="Customers of this segment who were followed up get a thank-you email once they have paid in full.",
    )
    csat_enabled = fields.Boolean(
        string="Customer Satisfaction Survey",
        help="Customers of this segment are asked, once, to rate a dispute resolved or rejected, a payment plan "
        "paid in full and a follow-up call that reached them (one click in an email, in their language).",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    credit_plan_max_installments = fields.Integer(
        string="Plan: Most Installments Online",
        help="The most installments a customer of this segment can ask for on the portal; 0: no payment plans "
        "from the portal.",
    )
    credit_plan_max_amount = fields.Monetary(
        string="Plan: Largest Amount Online",
        help="The largest total a payment plan requested on the portal may cover; 0: no limit.",
    )
    credit_plan_auto_approve = fields.Boolean(
        string="Plan: Approve Automatically",
        help="A payment plan requested on the portal within these limits is approved at once, without a credit "
        "manager.",
    )
    credit_plan_instead_of_reminders = fields.Boolean(
        string="Plan Instead of Reminders",
        help="Structurally late customers: propose a payment plan instead of sending reminders.",
    )
    prepayment_percent = fields.Float(
        string="Prepayment (%)",
        digits=(16, 2),
        tracking=True,
        help="Quotations of this segment's customers require an online payment of this share of the total (0 to "
        "100) before they are confirmed; 0: none. A credit application approved with a higher prepayment wins.",
    )

    review_interval_months = fields.Integer(
        string="Review Every (Months)",
        help="How often a credit manager reviews the credit limit of this segment's customers, e.g. 1 for high "
        "risk, 12 for low: the daily run opens a periodic review when the customer's last decided review or "
        "application is older. 0: no periodic review.",
    )
    rating_max_age_months = fields.Integer(
        string="Maximum Rating Age (Months)",
        help="A bureau rating older than this opens a periodic review, to decide on a fresh rating. 0: a rating "
        "of any age will do.",
    )
    statement_frequency = fields.Selection(
        [("none", "No Statements"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        string="Statement of Account",
        default="none",
        required=True,
        tracking=True,
        help="How often the daily run emails the customers of this segment their statement of account (open items "
        "with aging), in their language, to their invoicing contact. A customer's own schedule or opt-out wins; "
        "only customers with a positive open balance get one.",
    )
    statement_weekday = fields.Selection(STATEMENT_WEEKDAY_SELECTION, default="1", tracking=True)
    statement_monthday = fields.Selection(
        STATEMENT_MONTHDAY_SELECTION,
        string="Statement Day of the Month",
        default="1",
        tracking=True,
        help="Days 29 to 31 do not exist in every month: choose the last day of the month instead.",
    )
    warning_segment_id = fields.Many2one(
        "credit.segment",
        string="On a Warning, Propose Segment",
        domain="[('id', '!=', id), ('company_id', 'in', [company_id, False])]",
        help="When a customer of this segment starts paying clearly later than usual or its credit rating drops, "
        "this segment is proposed to the credit manager (the customer's assignment itself does not change).",
    )
    color = fields.Integer()
    partner_count = fields.Integer(
        string="Customers", compute="_compute_partner_count", groups="credit_control.group_credit_control_user"
    )
    rule_match_count = fields.Integer(
        string="Customers Matching the Rule",
        compute="_compute_rule_preview",
        groups="credit_control.group_credit_control_user",
    )
    rule_move_count = fields.Integer(
        string="Customers Who Would Move",
        compute="_compute_rule_preview",
        groups="credit_control.group_credit_control_user",
        help="Customers assigned automatically whom the next run would move into this segment.",
    )
    rule_preview = fields.Char(
        compute="_compute_rule_preview",
        groups="credit_control.group_credit_control_user",
        help="What the rule would do at the next run, shown before saving.",
    )

    @api.model
    def _default_sequence(self):
        last = self.with_context(active_test=False).search([], order="sequence desc", limit=1)
        return (last.sequence + 10) if last else 10

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_currency_id(self):
        for segment in self:
            segment.currency_id = segment.company_id.currency_id or self.env.company.currency_id

    @api.depends_context("company")
    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("credit_segment_id", "in", self.ids)],
                ["credit_segment_id"],
                ["__count"],
            )
        )
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    @api.depends("partner_domain", "sequence", "company_id", "active")
    @api.depends_context("company")
    def _compute_rule_preview(self):
        """How many customers the rule matches, and how many of them the next run would move here: those
        assigned automatically whose first matching segment (in sequence order) would be this one."""
        for segment in self:
            segment.rule_match_count = segment.rule_move_count = 0
            segment.rule_preview = False
            try:
                matched, moving = segment._credit_rule_preview()
            except Exception:  # a rule being typed: the constraint says what is wrong on saving
                segment.rule_preview = self.env._("The rule is not a valid domain yet.")
                continue
            segment.rule_match_count, segment.rule_move_count = len(matched), len(moving)
            segment.rule_preview = self.env._(
                "This rule matches %(count)s customers; %(moving)s would move to this segment at the next run.",
                count=len(matched),
                moving=len(moving),
            )

    def _credit_rule_preview(self):
        """(customers matching the rule, customers the next run would move into this segment)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        Partner = self.env["res.partner"].with_company(company).with_context(active_test=True)
        eligible_domain = expression.AND([ELIGIBLE_PARTNER_DOMAIN, [("company_id", "in", [company.id, False])]])
        with self.env.cr.savepoint(flush=False):
            matched = Partner.search(expression.AND([eligible_domain, self._get_partner_domain()]))
        if not matched or not self.active:
            return matched, Partner.browse()
        own_id = self._origin.id
        # the segments the run would try before this one
        before = (
            self.with_company(company)
            .search([("company_id", "in", [company.id, False]), ("id", "!=", own_id)], order="sequence, id")
            .filtered(
                lambda s: s.sequence < self.sequence or (s.sequence == self.sequence and (not own_id or s.id < own_id))
            )
        )
        taken = Partner.browse()
        for other in before:
            taken |= Partner.search(
                expression.AND([eligible_domain, other._get_partner_domain(), [("id", "in", matched.ids)]])
            )
        moving = (matched - taken).filtered(
            lambda p: (p.credit_segment_mode or "auto") == "auto" and (not own_id or p.credit_segment_id.id != own_id)
        )
        return matched, moving

    @api.constrains("prepayment_percent")
    def _check_prepayment_percent(self):
        for segment in self:
            if not 0 <= segment.prepayment_percent <= 100:
                raise ValidationError(self.env._("The prepayment is a percentage between 0 and 100."))

    @api.constrains("review_interval_months", "rating_max_age_months")
    def _check_review_months(self):
        for segment in self:
            if segment.review_interval_months < 0 or segment.rating_max_age_months < 0:
                raise ValidationError(
                    self.env._(
                        "Segment %(segment)s: the review frequency and the maximum rating age are a number of "
                        "months, 0 or more (0: none).",
                        segment=segment.name,
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain_not_empty(self):
        """An empty rule matches every customer: a new segment with it would swallow the book."""
        for segment in self:
            try:
                domain = ast.literal_eval(segment.partner_domain or "[]")
            except Exception:
                continue  # _check_partner_domain says why
            leaves = [
                leaf
                for leaf in domain
                if isinstance(leaf, (list, tuple)) and tuple(leaf) not in (expression.TRUE_LEAF,)
            ]
            if not leaves:
                raise ValidationError(
                    self.env._(
                        "The assignment rule of segment %(segment)s is empty: it would match every customer. "
                        "Write the rule the customers of this segment meet (e.g. an average of over 20 days "
                        "late), or keep a rule that matches nobody and assign customers by hand. A segment for "
                        "everyone else goes last, with the rule [('id', '!=', 0)].",
                        segment=segment.name,
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        Partner = self.env["res.partner"]
        for segment in self:
            try:
                domain = ast.literal_eval(segment.partner_domain or "[]")
                Partner.search_count(expression.AND([domain, [("id", "=", 0)]]))
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The assignment rule of segment %(segment)s is not a valid domain on customers: %(error)s",
                        segment=segment.name,
                        error=error,
                    )
                ) from error

    @api.constrains("partner_domain")
    def _check_partner_domain_fields(self):
        """A rule may only rely on what salespeople cannot change (the statistics, the signals, the
        credit-staff fields, the record id): otherwise editing a tag or a flag on the customer would
        move it into a more lenient segment."""
        for segment in self:
            domain = ast.literal_eval(segment.partner_domain or "[]")
            for leaf in domain:
                if not isinstance(leaf, (list, tuple)) or leaf in (expression.TRUE_LEAF, expression.FALSE_LEAF):
                    continue
                path, operator = str(leaf[0]), leaf[1] if len(leaf) > 1 else "="
                if path not in SEGMENT_RULE_FIELDS or operator in ("child_of", "parent_of"):
                    field = f"{path} {operator}" if operator in ("child_of", "parent_of") else path
                    raise ValidationError(
                        self.env._(
                            "The assignment rule of segment %(segment)s uses %(field)s, which salespeople can "
                            "change. A rule may only use the behaviour statistics and the fields that only credit "
                            "control sets (limit, hold, rating, collector, segment); put customers in the segment "
                            "by hand (Manual assignment) otherwise.",
                            segment=segment.name,
                            field=field,
                        )
                    )

    def _get_partner_domain(self):
        self.ensure_one()
        return ast.literal_eval(self.partner_domain or "[]")

    def action_view_partners(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.res_partner_credit_action")
        action["domain"] = [("credit_segment_id", "=", self.id)]
        action["context"] = {"search_default_filter_customer": 0}
        return action

    # ------------------------------------------------------------------
    # Nightly assignment
    # ------------------------------------------------------------------

    @api.model
    def _assign_segments(self, company):
        """Assign segments for every eligible customer of ``company``.

        One search per segment (never per partner). ``auto`` partners move and the move is
        logged, ``manual`` partners stay, ``proposed`` partners get a proposal to confirm.
        Returns the number of partners whose segment or proposal changed.
        """
        Partner = self.env["res.partner"].with_company(company).with_context(active_test=True)
        segments = self.with_company(company).search([("company_id", "in", [company.id, False])], order="sequence, id")
        eligible_domain = expression.AND([ELIGIBLE_PARTNER_DOMAIN, [("company_id", "in", [company.id, False])]])
        eligible = Partner.search(eligible_domain)
        target = {}
        for segment in segments:
            matched = Partner.search(expression.AND([eligible_domain, segment._get_partner_domain()]))
            for partner_id in matched.ids:
                target.setdefault(partner_id, segment.id)

        moves, proposals, clear_proposals = {}, {}, Partner.browse()
        # a proposal made by an early warning waits for the credit manager; the rules do not replace it
        warned = set(eligible._credit_pending_warning_proposals().ids)
        for partner in eligible:
            new_id = target.get(partner.id, False)
            mode = partner.credit_segment_mode or "auto"
            if mode == "proposed" and partner.id in warned:
                continue
            if mode == "auto" and partner.credit_segment_id.id != new_id:
                moves.setdefault(new_id, []).append(partner.id)
            elif mode == "proposed":
                if new_id and new_id not in (
                    partner.credit_segment_id.id,
                    partner.credit_rejected_segment_id.id,
                ):
                    if partner.credit_proposed_segment_id.id != new_id:
                        proposals.setdefault(new_id, []).append(partner.id)
                elif partner.credit_proposed_segment_id:
                    clear_proposals |= partner

        Segment = self.browse
        bodies = {}
        for new_id, partner_ids in moves.items():
            partners = Partner.browse(partner_ids)
            new_segment = Segment(new_id)
            for partner in partners:
                bodies[partner.id] = partner._credit_segment_message(
                    partner.credit_segment_id,
                    new_segment,
                    self.env._(
                        "automatic assignment: the customer matches the rule of this segment, %(rule)s",
                        rule=new_segment.partner_domain,
                    )
                    if new_segment
                    else self.env._("automatic assignment: the customer matches no segment rule any more"),
                )
            partners.with_context(credit_segment_system=True).write({"credit_segment_id": new_id})
        for new_id, partner_ids in proposals.items():
            partners = Partner.browse(partner_ids)
            for partner in partners:
                bodies[partner.id] = Markup("%s") % self.env._(
                    "Segment %(segment)s proposed for %(company)s: the customer matches its rule, %(rule)s; "
                    "waiting for a credit manager.",
                    segment=Segment(new_id).name,
                    company=company.name,
                    rule=Segment(new_id).partner_domain,
                )
            partners.with_context(credit_segment_system=True).write({"credit_proposed_segment_id": new_id})
        if clear_proposals:
            clear_proposals.with_context(credit_segment_system=True).write({"credit_proposed_segment_id": False})
        if bodies:
            Partner.browse(list(bodies))._message_log_batch(bodies=bodies)
        changed = sum(len(ids) for ids in moves.values()) + sum(len(ids) for ids in proposals.values())
        _logger.info("credit_control: %s segment changes or proposals in %s", changed, company.name)
        return changed
