import logging

from markupsafe import Markup

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError

from .credit_policy_level import CONTACT_CHANNEL_SELECTION

_logger = logging.getLogger(__name__)

# Who may read the credit profile (field-level ``groups=``). Portal users and plain employees read none of it.
# Credit staff: everything. Billing and accounting users: what Odoo itself shows them (``credit_limit``, ``credit``),
# so the amounts owed, the exposure and the available credit. Salespeople: the status they sell by (on hold or not,
# over the limit or not, who the collector is), never the reason of a hold, the rating or the statistics.
CREDIT_STAFF_GROUPS = "credit_control.group_credit_control_user"
CREDIT_AMOUNT_GROUPS = "account.group_account_invoice,account.group_account_readonly"  # as Odoo's credit_limit
CREDIT_STATUS_GROUPS = f"sales_team.group_sale_salesman,{CREDIT_AMOUNT_GROUPS}"

# Fields only credit staff may write (salespeople read some of them, see the groups above).
CREDIT_USER_FIELDS = {
    "credit_collector_id",
    "credit_channel",
    "credit_hold",
    "credit_hold_reason",
    "credit_rating",
    "credit_rating_date",
    "credit_rating_source",
    "credit_rating_advised_limit",
    "credit_statement_frequency",
    "credit_statement_weekday",
    "credit_statement_monthday",
    "credit_statement_opt_out",
}
# A change of any of these is kept in the rating history (credit.rating.history).
CREDIT_RATING_FIELDS = ("credit_rating", "credit_rating_date", "credit_rating_source", "credit_rating_advised_limit")
CREDIT_MANAGER_FIELDS = {
    "credit_limit",
    "use_partner_credit_limit",
    "credit_segment_id",
    "credit_segment_mode",
    "credit_proposed_segment_id",
    "credit_rejected_segment_id",
    "credit_group_id",
}
# Which company a contact belongs to: changing them moves it to another commercial partner's credit.
REPARENT_FIELDS = {"parent_id", "is_company", "commercial_partner_id"}
# Written only by the statistics run (SQL) - never by a user.
CREDIT_STAT_FIELDS = {
    "credit_open_amount",
    "credit_overdue_amount",
    "credit_avg_days_late",
    "credit_late_ratio",
    "credit_promise_kept_rate",
    "credit_expected_overdue",
}
# Written only by the nightly early-warning and best-channel steps (SQL and system writes) - never by a user.
CREDIT_SIGNAL_FIELDS = {
    "credit_warning_date",
    "credit_warning_reason",
    "credit_best_channel",
    "credit_best_channel_evidence",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Segment and collector (per company)
    # ------------------------------------------------------------------
    credit_segment_id = fields.Many2one(
        "credit.segment",
        company_dependent=True,
        domain="[('company_id', 'in', [current_company_id, False])]",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_segment_mode = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual (locked)"), ("proposed", "Proposed, then confirmed")],
        string="Segment Assignment",
        company_dependent=True,
        help="Automatic: the nightly run moves the customer between segments. "
        "Manual: the segment stays as set. Proposed: the nightly run proposes a segment "
        "that a credit manager confirms or rejects.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_proposed_segment_id = fields.Many2one(
        "credit.segment", string="Proposed Segment", company_dependent=True, groups=CREDIT_STAFF_GROUPS, copy=False
    )
    credit_rejected_segment_id = fields.Many2one(
        "credit.segment",
        string="Rejected Segment",
        company_dependent=True,
        help="The last proposal a credit manager rejected; it is not proposed again.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("credit_control.group_credit_control_user").id)],
        groups=CREDIT_STATUS_GROUPS,
        copy=False,
    )
    credit_channel = fields.Selection(
        CONTACT_CHANNEL_SELECTION,
        string="Preferred Channel",
        default="email",
        help="How the customer prefers to be contacted about payments.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )

    # ------------------------------------------------------------------
    # Credit hold (per company)
    # ------------------------------------------------------------------
    credit_hold = fields.Boolean(
        string="On Credit Hold",
        company_dependent=True,
        help="No sale order of this customer can be confirmed without a credit manager's override.",
        groups=CREDIT_STATUS_GROUPS,
        copy=False,
    )
    credit_hold_reason = fields.Char(
        string="Hold Reason", company_dependent=True, groups=CREDIT_STAFF_GROUPS, copy=False
    )

    # ------------------------------------------------------------------
    # Behaviour statistics (per company, stored by the nightly run)
    # ------------------------------------------------------------------
    credit_open_amount = fields.Float(
        string="Open Amount",
        company_dependent=True,
        readonly=True,
        digits="Account",
        help="Open receivable balance in company currency, at the last statistics run.",
        groups=CREDIT_AMOUNT_GROUPS,
        copy=False,
    )
    credit_overdue_amount = fields.Float(
        string="Overdue Amount",
        company_dependent=True,
        readonly=True,
        digits="Account",
        help="Receivable balance past its due date in company currency, at the last statistics run.",
        groups=CREDIT_AMOUNT_GROUPS,
        copy=False,
    )
    credit_avg_days_late = fields.Float(
        string="Average Days Late",
        company_dependent=True,
        readonly=True,
        digits=(16, 1),
        help="Average number of days after the due date that the items due in the last 12 months were "
        "paid (or, when still open, have been overdue until today). Paid on time counts as 0.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_late_ratio = fields.Float(
        string="Late Ratio",
        company_dependent=True,
        readonly=True,
        digits=(16, 4),
        help="Share of the items due in the last 12 months that were paid late or are still overdue.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )

    credit_expected_overdue = fields.Float(
        string="Expected Overdue",
        company_dependent=True,
        readonly=True,
        digits="Account",
        help="Open receivable balance in company currency that is past its due date, or that is not due yet "
        "but expected to be paid after its due date (the invoice's expected payment date is later than the "
        "due date). Net of credits, never more than the open balance; at the last prediction run. "
        "The worklist ranks customers by it.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )

    credit_promise_kept_rate = fields.Float(
        string="Promises Kept",
        company_dependent=True,
        readonly=True,
        digits=(16, 4),
        help="Share of the customer's promises to pay that were kept, of those kept or broken; empty when none "
        "was decided yet.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_promise_decided = fields.Boolean(
        string="Promises Decided",
        compute="_compute_credit_promise_decided",
        help="The customer has a promise to pay kept or broken in this company: Promises Kept is measured.",
        groups=CREDIT_STAFF_GROUPS,
    )

    # ------------------------------------------------------------------
    # External rating
    # ------------------------------------------------------------------
    credit_rating = fields.Char(
        help="Grade or score from an external credit bureau, e.g. 'A', 'BB+' or '72'.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_rating_date = fields.Date(string="Rating Date", groups=CREDIT_STAFF_GROUPS, copy=False)
    credit_rating_source = fields.Char(
        string="Rating Source",
        help="The bureau, e.g. Graydon, Creditsafe, D&B.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_rating_advised_limit = fields.Float(
        string="Advised Limit",
        digits="Account",
        help="The credit limit the bureau advises, beside ours (in the currency of the bureau's file, usually EUR).",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_rating_history_ids = fields.One2many(
        "credit.rating.history", "partner_id", string="Rating History", readonly=True, groups=CREDIT_STAFF_GROUPS
    )

    # ------------------------------------------------------------------
    # Early warnings and best channel (per company, stored by the nightly run)
    # ------------------------------------------------------------------
    credit_warning_date = fields.Date(
        string="Last Warning",
        company_dependent=True,
        readonly=True,
        help="When the collector was last warned that this customer pays clearly later than usual or that its "
        "credit rating dropped.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_warning_reason = fields.Char(
        string="Warning Reason", company_dependent=True, readonly=True, groups=CREDIT_STAFF_GROUPS, copy=False
    )
    credit_best_channel = fields.Selection(
        CONTACT_CHANNEL_SELECTION,
        string="Suggested Channel",
        company_dependent=True,
        readonly=True,
        help="The reminder channel after which this customer (or, without enough history, its segment) paid "
        "most often and soonest in the last 12 months.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_best_channel_evidence = fields.Char(
        string="Channel Evidence", company_dependent=True, readonly=True, groups=CREDIT_STAFF_GROUPS, copy=False
    )

    # ------------------------------------------------------------------
    # Live figures (not stored: they move with every order and payment)
    # ------------------------------------------------------------------
    credit_currency_id = fields.Many2one(
        "res.currency", compute="_compute_credit_currency_id", groups=CREDIT_STATUS_GROUPS
    )
    credit_exposure = fields.Monetary(
        string="Exposure",
        compute="_compute_credit_exposure",
        currency_field="credit_currency_id",
        help="Open receivables + draft invoices + confirmed orders not yet invoiced, in company currency.",
        groups=CREDIT_AMOUNT_GROUPS,
    )
    credit_available = fields.Monetary(
        string="Available Credit",
        compute="_compute_credit_exposure",
        currency_field="credit_currency_id",
        help="Credit limit minus exposure; empty when the customer has no credit limit.",
        groups=CREDIT_AMOUNT_GROUPS,
    )
    credit_over_limit = fields.Boolean(
        string="Over Credit Limit",
        compute="_compute_credit_exposure",
        search="_search_credit_over_limit",
        groups=CREDIT_STATUS_GROUPS,
    )
    credit_status = fields.Selection(
        [("ok", "OK"), ("overdue", "Overdue"), ("over_limit", "Over Limit"), ("hold", "On Hold")],
        compute="_compute_credit_exposure",
        help="The most serious of: on credit hold, over the credit limit, amounts overdue.",
        groups=CREDIT_STATUS_GROUPS,
    )

    credit_action_count = fields.Integer(
        string="Follow-up Actions", compute="_compute_credit_action_count", groups=CREDIT_STAFF_GROUPS
    )
    credit_can_edit = fields.Boolean(compute="_compute_credit_can_edit", groups=CREDIT_STATUS_GROUPS)
    credit_can_manage = fields.Boolean(compute="_compute_credit_can_edit", groups=CREDIT_STATUS_GROUPS)

    def _compute_credit_action_count(self):
        counts = dict(
            self.env["credit.action"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.credit_action_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company")
    def _compute_credit_promise_decided(self):
        decided = {
            partner
            for (partner,) in self.env["credit.promise"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                    ("state", "in", ("kept", "broken")),
                ],
                ["partner_id"],
            )
        }
        for partner in self:
            partner.credit_promise_decided = partner.commercial_partner_id in decided

    def action_credit_view_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_action_history_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_credit_view_dossier(self):
        """The customer's credit history in date order (see report/credit_dossier.py)."""
        self.ensure_one()
        return self.env["credit.dossier"]._action_for_partner(self)

    # Disputes, promises to pay and payment plans (smart buttons)
    credit_dispute_count = fields.Integer(
        string="Disputes", compute="_compute_credit_arrangement_counts", groups=CREDIT_STAFF_GROUPS
    )
    credit_promise_count = fields.Integer(
        string="Promises", compute="_compute_credit_arrangement_counts", groups=CREDIT_STAFF_GROUPS
    )
    credit_plan_count = fields.Integer(
        string="Payment Plans", compute="_compute_credit_arrangement_counts", groups=CREDIT_STAFF_GROUPS
    )

    def _compute_credit_arrangement_counts(self):
        commercial = self.commercial_partner_id.ids
        counts = {
            model: dict(self.env[model]._read_group([("partner_id", "in", commercial)], ["partner_id"], ["__count"]))
            for model in ("credit.dispute", "credit.promise", "credit.payment.plan")
        }
        for partner in self:
            cp = partner.commercial_partner_id
            partner.credit_dispute_count = counts["credit.dispute"].get(cp, 0)
            partner.credit_promise_count = counts["credit.promise"].get(cp, 0)
            partner.credit_plan_count = counts["credit.payment.plan"].get(cp, 0)

    def _credit_arrangement_action(self, xml_id):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xml_id)
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_credit_view_disputes(self):
        return self._credit_arrangement_action("credit_control.credit_dispute_action")

    def action_credit_view_promises(self):
        return self._credit_arrangement_action("credit_control.credit_promise_action")

    def action_credit_view_plans(self):
        return self._credit_arrangement_action("credit_control.credit_payment_plan_action")

    def action_credit_view_insolvencies(self):
        return self._credit_arrangement_action("credit_control.credit_insolvency_action")

    def action_credit_register_insolvency(self):
        """A new insolvency case for this customer in the current company (the customer form, the worklist)."""
        self.ensure_one()
        self.env["credit.insolvency"]._credit_check_collector()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Insolvency"),
            "res_model": "credit.insolvency",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.env.company.id,
            },
        }

    def _credit_statement_lines(self):
        """The customer's open receivable items in the current company, oldest due first."""
        self.ensure_one()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.commercial_partner_id.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("company_id", "=", self.env.company.id),
                ],
                order="date_maturity, id",
            )
        )

    @api.model
    def _credit_aging(self, lines, today):
        """Open amounts in five buckets: not due, 1-30, 31-60, 61-90, over 90 days late."""
        buckets = [0.0] * 5
        for line in lines:
            late = (today - line.date_maturity).days if line.date_maturity else 0
            index = 0 if late <= 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
            buckets[index] += line.amount_residual
        return buckets

    def action_credit_view_open_items(self):
        """The customer's open receivable items: follow-up level, and exclusion by hand."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Items"),
            "res_model": "account.move.line",
            "view_mode": "list",
            "views": [(self.env.ref("credit_control.account_move_line_credit_view_list").id, "list")],
            "domain": [
                ("partner_id", "child_of", self.commercial_partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("company_id", "=", self.env.company.id),
            ],
            "context": {"create": False},
        }

    @api.depends_context("uid")
    def _compute_credit_can_edit(self):
        self.credit_can_edit = self.env.user.has_group("credit_control.group_credit_control_user")
        self.credit_can_manage = self.env.user.has_group("credit_control.group_credit_control_manager")

    @api.depends_context("company")
    def _compute_credit_currency_id(self):
        self.credit_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    @api.depends("credit_hold", "credit_overdue_amount")
    def _compute_credit_exposure(self):
        company = self.env.company
        commercial = self.commercial_partner_id._origin  # unsaved partners have no figures yet
        exposure = commercial._credit_exposure_by_partner(company)
        # sudo: a salesperson reads the status, which is computed from figures it may not read itself
        limits = {p.id: p.credit_limit for p in commercial.sudo()}
        for partner in self:
            cp = partner.commercial_partner_id._origin.sudo()
            partner.credit_exposure = exposure.get(cp.id, 0.0)
            limit = limits.get(cp.id, 0.0)
            partner.credit_available = limit - partner.credit_exposure if limit > 0 else 0.0
            partner.credit_over_limit = (
                limit > 0 and company.currency_id.compare_amounts(partner.credit_exposure, limit) > 0
            )
            if cp.credit_hold:
                partner.credit_status = "hold"
            elif partner.credit_over_limit:
                partner.credit_status = "over_limit"
            elif cp.credit_overdue_amount > 0:
                partner.credit_status = "overdue"
            else:
                partner.credit_status = "ok"

    def _search_credit_over_limit(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Unsupported search on 'Over Credit Limit'."))
        company = self.env.company
        with_limit = self.sudo().search(
            [("credit_limit", ">", 0), "|", ("is_company", "=", True), ("parent_id", "=", False)]
        )
        exposure = with_limit._credit_exposure_by_partner(company)
        over = [
            p.id for p in with_limit if company.currency_id.compare_amounts(exposure.get(p.id, 0.0), p.credit_limit) > 0
        ]
        positive = (operator == "=") == value
        return [("commercial_partner_id", "in" if positive else "not in", over)]

    # ------------------------------------------------------------------
    # Access: salespeople read the credit status, only credit staff change it
    # ------------------------------------------------------------------

    def _credit_check_write_access(self, vals):
        if self.env.su:
            return
        keys = set(vals)
        if keys & (CREDIT_STAT_FIELDS | CREDIT_SIGNAL_FIELDS):
            raise AccessError(self.env._("Credit statistics are computed by the system and cannot be changed by hand."))
        if keys & CREDIT_MANAGER_FIELDS and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(
                self.env._(
                    "Only a credit manager can change credit limits and segments. "
                    "Ask a credit manager to make this change."
                )
            )
        if keys & CREDIT_USER_FIELDS and not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(
                self.env._(
                    "Only credit control staff can change a customer's credit hold, collector, channel "
                    "or rating. Ask a collector or credit manager."
                )
            )

    def _credit_may_write(self, fname):
        """Whether the current user may set the credit-staff field ``fname`` (credit staff only)."""
        if self.env.su:
            return True
        if fname in CREDIT_MANAGER_FIELDS:
            return self.env.user.has_group("credit_control.group_credit_control_manager")
        return self.env.user.has_group("credit_control.group_credit_control_user")

    def _credit_standard_default(self, fname):
        """What a new partner gets in the credit-staff field ``fname`` when nobody presets it: the
        company-wide default (ir.default without user, set by credit staff) or the field's own default -
        never a ``default_*`` context key nor a personal ir.default, which anyone may set."""
        field = self._fields[fname]
        if field.company_dependent and not field.default:
            value = field.get_company_dependent_fallback(self)
        else:
            defaults = self.env["ir.default"].with_user(SUPERUSER_ID)._get_model_defaults(self._name)
            if fname in defaults and not field.company_dependent:
                value = defaults[fname]
            else:
                value = field.default(self) if field.default else False
        return field.convert_to_cache(value, self, validate=False)

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        # a salesperson's context or personal defaults do not preset what only credit staff may set
        for fname in (CREDIT_USER_FIELDS | CREDIT_MANAGER_FIELDS) & set(defaults):
            if not self._credit_may_write(fname):
                field = self._fields[fname]
                value = field.convert_to_record(self._credit_standard_default(fname), self)
                defaults[fname] = field.convert_to_write(value, self)
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        """A new partner's credit-staff fields are set by credit staff only, explicitly or by default:
        for anyone else a value equal to the standard default is dropped, any other value refused."""
        if not self.env.su:
            staff_fields = CREDIT_USER_FIELDS | CREDIT_MANAGER_FIELDS
            vals_list = [dict(vals) for vals in vals_list]
            for vals in vals_list:
                refused = {}
                for fname in staff_fields & set(vals):
                    if self._credit_may_write(fname):
                        continue
                    field = self._fields[fname]
                    value = field.convert_to_cache(vals[fname], self, validate=False)
                    if value == self._credit_standard_default(fname):
                        vals.pop(fname)
                    else:
                        refused[fname] = vals[fname]
                # statistics and signals are the system's: empty values are harmless, others refused
                refused.update({k: v for k, v in vals.items() if v and k in CREDIT_STAT_FIELDS | CREDIT_SIGNAL_FIELDS})
                self._credit_check_write_access(refused)
                # a new company that takes contacts from another one (child_ids link or set)
                linked = [
                    partner_id
                    for command in vals.get("child_ids") or ()
                    if command[0] in (Command.LINK, Command.SET)
                    for partner_id in ([command[1]] if command[0] == Command.LINK else command[2])
                ]
                self.browse(linked)._credit_refuse_move()
        partners = super().create(vals_list)
        rated = partners.filtered(lambda p: p.sudo().credit_rating or p.sudo().credit_rating_advised_limit)
        if rated:
            rated._credit_record_ratings({partner.id: {} for partner in rated})
        limited = partners.filtered(lambda p: p.sudo().credit_limit)
        if limited:
            limited._credit_record_limits({partner.id: 0.0 for partner in limited})
        return partners

    def write(self, vals):
        self._credit_check_write_access(vals)
        self._credit_check_reparent(vals)
        tracked = self._credit_track_before(vals)
        ratings = {partner.id: partner.credit_rating for partner in self} if "credit_rating" in vals else {}
        rated = self._credit_rating_before(vals)
        limits = self._credit_limit_before(vals)
        if (
            "credit_segment_id" in vals
            and "credit_segment_mode" not in vals
            and not self.env.context.get("credit_segment_system")
        ):
            # A segment chosen by hand is locked, otherwise the nightly run would move it back.
            vals = dict(vals, credit_segment_mode="manual")
        result = super().write(vals)
        self._credit_track_after(tracked)
        if rated:
            self._credit_record_ratings(rated)
        if limits:
            self._credit_record_limits(limits)
        if ratings:
            self._credit_warn_rating_drops(ratings)
        return result

    def _credit_check_reparent(self, vals):
        """Who a contact belongs to decides whose credit it uses: moving a customer on credit hold or over
        its limit (or a contact of one) to another company, out of its company, or making it a company or
        not, is credit staff's decision."""
        if self.env.su or not ((REPARENT_FIELDS | {"child_ids"}) & set(vals)):
            return
        if self.env.user.has_group("credit_control.group_credit_control_user"):
            return
        moving = self.filtered(
            lambda p: (
                ("parent_id" in vals and p.parent_id.id != (vals["parent_id"] or False))
                or ("is_company" in vals and p.is_company != bool(vals["is_company"]))
                or (
                    "commercial_partner_id" in vals
                    and p.commercial_partner_id.id != (vals["commercial_partner_id"] or False)
                )
            )
        )
        # contacts moved through a company's child_ids: taken out (unlink, clear, set without them)
        # or brought in from another company (link, set)
        for command in vals.get("child_ids") or ():
            for partner in self:
                children = set(partner.child_ids.ids)
                if command[0] == Command.UNLINK and command[1] in children:
                    moving |= partner
                elif command[0] == Command.CLEAR and children:
                    moving |= partner
                elif command[0] == Command.SET and children - set(command[2]):
                    moving |= partner
                if command[0] in (Command.LINK, Command.SET):
                    linked = self.browse([command[1]] if command[0] == Command.LINK else command[2])
                    moving |= linked.filtered(lambda p, partner=partner: p.parent_id != partner)
        moving._credit_refuse_move()

    def _credit_refuse_move(self):
        """Refuse (for anyone but credit staff) to move the partners ``self`` to another commercial partner
        when they or their commercial partner are on credit hold or over the credit limit."""
        if not self or self.env.su or self.env.user.has_group("credit_control.group_credit_control_user"):
            return
        blocked = (self | self.commercial_partner_id)._credit_held_or_over_limit()
        if blocked:
            raise AccessError(
                self.env._(
                    "%(partner)s is on credit hold or over its credit limit: only credit control can change "
                    "the company it belongs to or whether it is a company. Ask a collector or credit manager.",
                    partner=blocked.display_name,
                )
            )

    def _credit_held_or_over_limit(self):
        """The first partner of ``self`` on credit hold or over its credit limit in any company (or nothing)."""
        for company in self.env["res.company"].sudo().search([]):
            partners = self.sudo().with_company(company)
            held = partners.filtered("credit_hold")
            if held:
                return held[:1]
            limited = partners.filtered(lambda p: p.credit_limit > 0)
            if limited:
                exposure = limited._credit_exposure_by_partner(company)
                over = limited.filtered(
                    lambda p, company=company, exposure=exposure: (
                        company.currency_id.compare_amounts(exposure.get(p.id, 0.0), p.credit_limit) > 0
                    )
                )
                if over:
                    return over[:1]
        return self.browse()

    def _credit_track_before(self, vals):
        if not ({"credit_segment_id", "credit_hold", "credit_hold_reason"} & set(vals)):
            return {}
        return {
            partner: (partner.credit_segment_id, partner.credit_hold, partner.credit_hold_reason) for partner in self
        }

    def _credit_track_after(self, tracked):
        """Log segment and hold changes on the chatter, with who and why."""
        system = self.env.context.get("credit_segment_system")
        company = self.env.company
        notes = []  # (partner, body, tracking): logged together
        for partner, (old_segment, old_hold, old_reason) in tracked.items():
            if partner.credit_segment_id != old_segment and not system:
                partner.message_post(
                    body=partner._credit_segment_message(
                        old_segment,
                        partner.credit_segment_id,
                        self.env._("set by hand by %(user)s", user=self.env.user.name),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            if partner.credit_hold != old_hold or (partner.credit_hold and partner.credit_hold_reason != old_reason):
                if partner.credit_hold:
                    # not the reason: every employee who may read the customer reads its chatter, the reason
                    # (on the partner, for credit staff) may be "suspected fraud"
                    body = self.env._(
                        "Credit hold set for %(company)s by %(user)s.",
                        company=company.name,
                        user=self.env.user.name,
                    )
                else:
                    body = self.env._(
                        "Credit hold released for %(company)s by %(user)s.",
                        company=company.name,
                        user=self.env.user.name,
                    )
                # a note in the chatter, without notifying followers (the daily run may hold thousands)
                notes.append((partner, body, False))
        self._credit_log_notes(notes)

    def _credit_segment_message(self, old_segment, new_segment, reason):
        self.ensure_one()
        none = self.env._("no segment")
        return Markup("%s") % self.env._(
            "Credit segment for %(company)s changed from %(old)s to %(new)s: %(reason)s.",
            company=self.env.company.name,
            old=old_segment.name or none,
            new=new_segment.name or none,
            reason=reason,
        )

    # ------------------------------------------------------------------
    # Segment proposals
    # ------------------------------------------------------------------

    def _credit_check_manager(self):
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can confirm or reject segment proposals."))

    def action_credit_confirm_segment(self):
        self._credit_check_manager()
        for partner in self.filtered("credit_proposed_segment_id"):
            old, new = partner.credit_segment_id, partner.credit_proposed_segment_id
            partner.with_context(credit_segment_system=True).write(
                {"credit_segment_id": new.id, "credit_proposed_segment_id": False, "credit_rejected_segment_id": False}
            )
            partner.message_post(
                body=partner._credit_segment_message(
                    old, new, self.env._("proposal confirmed by %(user)s", user=self.env.user.name)
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_credit_reject_segment(self):
        self._credit_check_manager()
        for partner in self.filtered("credit_proposed_segment_id"):
            proposed = partner.credit_proposed_segment_id
            partner.with_context(credit_segment_system=True).write(
                {"credit_proposed_segment_id": False, "credit_rejected_segment_id": proposed.id}
            )
            partner.message_post(
                body=self.env._(
                    "Proposed credit segment %(segment)s for %(company)s rejected by %(user)s; "
                    "the customer stays in %(current)s.",
                    segment=proposed.name,
                    company=self.env.company.name,
                    user=self.env.user.name,
                    current=partner.credit_segment_id.name or self.env._("no segment"),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_credit_request_limit(self):
        """Ask the credit managers for a credit limit for this customer (a credit application)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Credit"),
            "res_model": "credit.review",
            "view_mode": "form",
            "target": "current",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_credit_refresh_statistics(self):
        """Recompute this customer's statistics now instead of waiting for the nightly run (credit staff: the
        statistics are written with SQL, past the access rights of the partners)."""
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(
                self.env._("Only credit control staff can refresh a customer's statistics. Ask a collector.")
            )
        self._credit_compute_statistics(self.env.company, partner_ids=self.commercial_partner_id.ids)
        return True
