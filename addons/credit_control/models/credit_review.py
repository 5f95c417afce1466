from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount

# What the requester may still change while the application waits for a decision.
REQUEST_FIELDS = {"requested_limit", "expected_monthly_volume", "request_reason", "order_id"}
DECISIONS = {"approved", "approved_lower", "approved_prepayment", "rejected"}
# At most one open periodic review per customer and company, whatever runs at the same time.
OPEN_REVIEW_INDEX = "credit_review_open_periodic_unique"


class CreditReview(models.Model):
    """A credit application (a salesperson asks a limit for a new or existing customer) or a periodic review.

    The credit manager sees it with the customer's rating, behaviour and exposure and decides: approve,
    approve lower, approve with prepayment required, or reject — always with a reason, which is kept. An
    approval sets the customer's credit limit in the application's company (through the limit history).
    Applications are never deleted; an undecided one can be cancelled."""

    _name = "credit.review"
    _description = "Credit Application / Review"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _mail_post_access = "read"  # the salesperson who asked may comment on the application

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    kind = fields.Selection(
        [("application", "Credit Application"), ("review", "Periodic Review")],
        default="application",
        required=True,
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    order_id = fields.Many2one("sale.order", string="Quotation", help="The blocked quotation the request comes from.")
    requested_by_id = fields.Many2one("res.users", required=True, readonly=True, default=lambda self: self.env.user)
    requested_limit = fields.Monetary(required=True, tracking=True)
    expected_monthly_volume = fields.Monetary(help="What the customer is expected to buy per month.")
    request_reason = fields.Text(string="Why", required=True)
    state = fields.Selection(
        [
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("approved_lower", "Approved Lower"),
            ("approved_prepayment", "Approved with Prepayment"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="submitted",
        required=True,
        readonly=True,
        tracking=True,
    )
    decided_limit = fields.Monetary(
        compute="_compute_decided_limit",
        store=True,
        readonly=False,
        tracking=True,
        help="The limit the credit manager grants (the requested one unless approved lower).",
    )
    prepayment_percent = fields.Float(
        string="Prepayment (%)", help="Approved with prepayment: the share of each order paid before it is confirmed."
    )
    decision_reason = fields.Text(help="Why the credit manager decides so; kept on the application.")
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decision_date = fields.Datetime(readonly=True)
    can_decide = fields.Boolean(compute="_compute_can_decide")
    # what the credit manager decides by (credit staff only; read with sudo from the customer's profile)
    current_limit = fields.Monetary(compute="_compute_profile", groups="credit_control.group_credit_control_user")
    exposure = fields.Monetary(compute="_compute_profile", groups="credit_control.group_credit_control_user")
    overdue_amount = fields.Monetary(compute="_compute_profile", groups="credit_control.group_credit_control_user")
    credit_rating = fields.Char(compute="_compute_profile", groups="credit_control.group_credit_control_user")
    credit_rating_date = fields.Date(compute="_compute_profile", groups="credit_control.group_credit_control_user")
    credit_rating_advised_limit = fields.Float(
        string="Advised Limit", compute="_compute_profile", groups="credit_control.group_credit_control_user"
    )
    credit_avg_days_late = fields.Float(
        string="Average Days Late", compute="_compute_profile", groups="credit_control.group_credit_control_user"
    )
    credit_late_ratio = fields.Float(
        string="Late Ratio", compute="_compute_profile", groups="credit_control.group_credit_control_user"
    )
    credit_hold = fields.Boolean(compute="_compute_profile", groups="credit_control.group_credit_control_user")

    def init(self):
        result = super().init()
        # the daily run opens a periodic review only for customers without an open one; the index is the guarantee
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON credit_review (partner_id, company_id) "
                "WHERE kind = 'review' AND state = 'submitted'",
                SQL.identifier(OPEN_REVIEW_INDEX),
            )
        )
        return result

    @api.depends_context("uid")
    def _compute_can_decide(self):
        self.can_decide = self.env.user.has_group("credit_control.group_credit_control_manager")

    @api.depends("requested_limit")
    def _compute_decided_limit(self):
        for review in self:
            if review.state == "submitted":
                review.decided_limit = review.requested_limit

    @api.depends("partner_id", "company_id")
    def _compute_profile(self):
        for review in self:
            partner = review.partner_id.commercial_partner_id.with_company(review.company_id).sudo()
            company = review.company_id
            exposure = partner._credit_exposure_by_partner(company).get(partner.id, 0.0) if partner else 0.0
            overdue = partner._credit_overdue_by_partner(company).get(partner.id, 0.0) if partner else 0.0
            review.update(
                {
                    "current_limit": partner.credit_limit,
                    "exposure": exposure,
                    "overdue_amount": overdue,
                    "credit_rating": partner.credit_rating,
                    "credit_rating_date": partner.credit_rating_date,
                    "credit_rating_advised_limit": partner.credit_rating_advised_limit,
                    "credit_avg_days_late": partner.credit_avg_days_late,
                    "credit_late_ratio": partner.credit_late_ratio,
                    "credit_hold": partner.credit_hold,
                }
            )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        # the commercial partners of all new records, read at once
        customers = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        commercial = {customer.id: customer.commercial_partner_id.id for customer in customers}
        for vals in vals_list:
            # the workflow decides; nobody creates a decided application, and the requester is who asks
            for name in ("state", "decided_limit", "prepayment_percent", "decision_reason", "decided_by_id"):
                vals.pop(name, None)
            vals.pop("decision_date", None)
            vals["requested_by_id"] = self.env.uid
            if (
                vals.get("kind") == "review"
                and not self.env.su
                and not self.env.user.has_group("credit_control.group_credit_control_user")
            ):
                vals["kind"] = "application"
            if (vals.get("requested_limit") or 0.0) < 0:
                raise UserError(self.env._("The requested limit cannot be negative."))
            if vals.get("partner_id"):
                vals["partner_id"] = commercial[vals["partner_id"]]
        self._credit_set_names(vals_list)
        reviews = super().create(vals_list)
        # the daily run (superuser) schedules the activities of its periodic reviews itself
        if not (self.env.su and self.env.context.get("credit_review_activities_scheduled")):
            reviews._notify_credit_managers()
        return reviews

    def _credit_set_names(self, vals_list):
        """Number new applications and reviews from the ``credit.review`` sequence of their company: the numbers of
        one company are drawn in one statement however many records are created (the daily run opens many
        periodic reviews at once), in the order of ``vals_list``."""
        by_company = {}
        for vals in vals_list:
            company_id = vals.get("company_id") or self.env.company.id
            by_company.setdefault(company_id, []).append(vals)
        for company_id, company_vals in by_company.items():
            names = self._credit_next_names(self.env["res.company"].browse(company_id), len(company_vals))
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name

    @api.model
    def _credit_next_names(self, company, count):
        """``count`` next numbers of the company's ``credit.review`` sequence. A standard sequence (Odoo's default)
        gives them from one ``nextval`` over a series; a sequence without gaps, one by one as Odoo does."""
        Sequence = self.env["ir.sequence"].with_company(company).sudo()
        sequence = Sequence.search(
            [("code", "=", "credit.review"), ("company_id", "in", [company.id, False])], order="company_id", limit=1
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard":
            return [sequence._next() for _index in range(count)]
        current = sequence._get_current_sequence()
        if current._name == "ir.sequence.date_range":
            pg_sequence = f"ir_sequence_{sequence.id:03d}_{current.id:03d}"
            sequence = sequence.with_context(ir_sequence_date_range=current.date_from)
        else:
            pg_sequence = f"ir_sequence_{sequence.id:03d}"
        rows = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1", pg_sequence, count)
        )
        return [sequence.get_next_char(number) for (number,) in rows]

    def write(self, vals):
        if not self.env.su:
            manager = self.env.user.has_group("credit_control.group_credit_control_manager")
            allowed = REQUEST_FIELDS | (
                {"decision_reason", "decided_limit", "prepayment_percent"} if manager else set()
            )
            if set(vals) - allowed - {"message_main_attachment_id"}:
                raise AccessError(
                    self.env._("Decide with the buttons of the application; the decision is logged.")
                    if manager
                    else self.env._("Only a credit manager decides on a credit application.")
                )
            if any(review.state != "submitted" for review in self):
                raise AccessError(self.env._("A decided or cancelled application is kept as it is."))
            if not manager and any(review.requested_by_id != self.env.user for review in self):
                raise AccessError(self.env._("Only the requester may change an application."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit applications are kept; cancel them instead."))

    def _notify_credit_managers(self):
        """Each credit manager of the application's company gets a to-do (sudo: the requester may not
        schedule activities for others)."""
        group = self.env.ref("credit_control.group_credit_control_manager").sudo()
        for review in self.sudo():
            managers = group.users.filtered(lambda user, r=review: r.company_id in user.company_ids and not user.share)
            for manager in managers:
                review.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=self.env._(
                        "Decide on the credit application of %(customer)s", customer=review.partner_id.name
                    ),
                )

    # ------------------------------------------------------------------
    # Decisions
    # ------------------------------------------------------------------

    def _decide(self, state, reason=None, limit=None, prepayment=None):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager decides on a credit application."))
        if self.state != "submitted":
            raise UserError(self.env._("%(name)s is already decided or cancelled.", name=self.name))
        reason = self.decision_reason if reason is None else reason
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise UserError(self.env._("Give the reason for the decision; it is kept on the application."))
        limit = self.decided_limit if limit is None else limit
        prepayment = self.prepayment_percent if prepayment is None else prepayment
        currency = self.company_id.currency_id
        values = {
            "state": state,
            "decision_reason": reason,
            "decided_by_id": self.env.uid,
            "decision_date": fields.Datetime.now(),
        }
        if state == "approved" and self.kind == "application":
            limit = self.requested_limit  # a periodic review is approved with the limit decided: kept or changed
        if state != "rejected":
            if limit < 0:
                raise UserError(self.env._("A credit limit cannot be negative."))
            if state == "approved_lower" and currency.compare_amounts(limit, self.requested_limit) >= 0:
                raise UserError(self.env._("Approve lower needs a limit below the requested one."))
            if state == "approved_prepayment" and not 0 < prepayment <= 100:
                raise UserError(self.env._("The prepayment is a percentage between 0 and 100."))
            values.update(decided_limit=limit, prepayment_percent=prepayment if state == "approved_prepayment" else 0.0)
        self.sudo().write(values)
        if state != "rejected":
            self.partner_id.with_company(self.company_id).with_context(
                credit_limit_reason=self.env._("%(name)s: %(reason)s", name=self.name, reason=reason)
            ).write({"credit_limit": values["decided_limit"], "use_partner_credit_limit": True})
        self.activity_ids.action_feedback(feedback=reason)
        labels = dict(self._fields["state"]._description_selection(self.env))
        self.message_post(
            body=self.env._(
                "%(decision)s by %(user)s%(limit)s. Reason: %(reason)s",
                decision=labels[state],
                user=self.env.user.name,
                limit=(
                    self.env._(": limit %(limit)s", limit=format_amount(self.env, values["decided_limit"], currency))
                    if state != "rejected"
                    else ""
                ),
                reason=reason,
            ),
            partner_ids=self.requested_by_id.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        return True

    def action_approve(self, reason=None):
        return self._decide("approved", reason)

    def action_approve_lower(self, reason=None, limit=None):
        return self._decide("approved_lower", reason, limit=limit)

    def action_approve_prepayment(self, reason=None, percent=None):
        return self._decide("approved_prepayment", reason, prepayment=percent)

    def action_reject(self, reason=None):
        return self._decide("rejected", reason)

    def action_cancel(self):
        for review in self:
            if review.state != "submitted":
                raise UserError(self.env._("%(name)s is already decided or cancelled.", name=review.name))
            if review.requested_by_id != self.env.user and not self.env.user.has_group(
                "credit_control.group_credit_control_manager"
            ):
                raise AccessError(self.env._("Only the requester or a credit manager cancels an application."))
            review.sudo().write({"state": "cancelled"})
            review.sudo().activity_ids.unlink()
            review.sudo().message_post(
                body=self.env._("Cancelled by %(user)s.", user=self.env.user.name), subtype_xmlid="mail.mt_note"
            )
        return True

    # ------------------------------------------------------------------
    # Periodic reviews: a step of the daily run
    # ------------------------------------------------------------------

    @api.model
    def _credit_due_reviews_sql(self, company, today):
        """The customers of ``company`` whose periodic review is due ``today``, one row each (named columns
        partner_id, decided_on, reviewed_on, interval_months, rating_date, max_age_months, by_interval, by_rating).

        By the segment's frequency: the last decided review or application (approved in any way, or rejected) is
        ``review_interval_months`` old or more; a customer never reviewed counts from its last limit change, else
        from its creation. By the rating: the bureau rating is older than ``rating_max_age_months`` and so is the
        no decision was made since it became too old (a decision on the old rating waits that long again for a
        new one). Customers that have an
        open application or review in the company are left out: at most one open review per customer."""
        key = str(company.id)
        return SQL(
            """
            WITH decided AS (
                SELECT partner_id, MAX(decision_date)::date AS decided_on
                  FROM credit_review
                 WHERE company_id = %(company)s AND state = ANY(%(decided)s)
              GROUP BY partner_id
            ), limit_set AS (
                SELECT partner_id, MAX(create_date)::date AS changed_on
                  FROM credit_limit_history
                 WHERE company_id = %(company)s
              GROUP BY partner_id
            ), customer AS (
                SELECT cp.id AS partner_id, decided.decided_on,
                       COALESCE(decided.decided_on, limit_set.changed_on, cp.create_date::date) AS reviewed_on,
                       seg.review_interval_months AS interval_months,
                       cp.credit_rating_date AS rating_date,
                       seg.rating_max_age_months AS max_age_months
                  FROM res_partner cp
                  JOIN credit_segment seg ON seg.id = (cp.credit_segment_id ->> %(key)s)::int
             LEFT JOIN decided ON decided.partner_id = cp.id
             LEFT JOIN limit_set ON limit_set.partner_id = cp.id
                 WHERE cp.active
                   AND cp.id = cp.commercial_partner_id
                   AND (cp.company_id IS NULL OR cp.company_id = %(company)s)
                   AND (seg.review_interval_months > 0 OR seg.rating_max_age_months > 0)
                   AND NOT EXISTS (
                        SELECT 1 FROM credit_review open_review
                         WHERE open_review.partner_id = cp.id
                           AND open_review.company_id = %(company)s
                           AND open_review.state = 'submitted'
                   )
            ), due AS (
                SELECT customer.*,
                       interval_months > 0
                           AND reviewed_on <= %(today)s::date - make_interval(months => interval_months)
                           AS by_interval,
                       max_age_months > 0
                           AND rating_date < %(today)s::date - make_interval(months => max_age_months)
                           AND (decided_on IS NULL
                                OR decided_on < rating_date + make_interval(months => max_age_months)
                                OR decided_on <= %(today)s::date - make_interval(months => max_age_months))
                           AS by_rating
                  FROM customer
            )
            SELECT * FROM due WHERE by_interval OR by_rating ORDER BY partner_id
            """,
            company=company.id,
            key=key,
            decided=sorted(DECISIONS),
            today=today,
        )

    @api.model
    def _credit_open_periodic_reviews(self, company):
        """Open today's periodic reviews of ``company``, in the company's language: for every customer whose review
        is due (``_credit_due_reviews_sql``) and that has a limit or an exposure, a review asking its current
        limit again, with why it is due, and an activity for its collector (for the company's credit managers
        when it has none). Set-based: the same number of statements for 2 customers or 2,000.

        Returns the reviews opened. A second run the same day opens nothing: the customers now have an open review.
        """
        today = fields.Date.context_today(self)
        Review = self.with_company(company).with_context(lang=company._credit_note_lang()).sudo()
        self.env["credit.review"].flush_model()
        self.env["credit.limit.history"].flush_model()
        self.env["res.partner"].flush_model()
        rows = self.env.execute_query_dict(Review._credit_due_reviews_sql(company, today))
        if not rows:
            return self.browse()
        partners = Review.env["res.partner"].browse([row["partner_id"] for row in rows])
        limits = {partner.id: partner.credit_limit for partner in partners}
        no_limit = partners.filtered(lambda p: company.currency_id.compare_amounts(limits[p.id], 0.0) <= 0)
        exposure = no_limit._credit_exposure_by_partner(company) if no_limit else {}
        rows = [
            row
            for row in rows
            if row["partner_id"] not in no_limit.ids
            or company.currency_id.compare_amounts(exposure.get(row["partner_id"], 0.0), 0.0) > 0
        ]
        if not rows:
            return self.browse()
        reviews = Review.with_context(credit_review_activities_scheduled=True, mail_create_nosubscribe=True).create(
            [
                {
                    "kind": "review",
                    "partner_id": row["partner_id"],
                    "company_id": company.id,
                    "requested_limit": max(limits[row["partner_id"]], 0.0),
                    "request_reason": Review._credit_review_due_reason(row, today),
                }
                for row in rows
            ]
        )
        Review._credit_schedule_review_activities(reviews, company, today)
        return reviews

    @api.model
    def _credit_review_due_reason(self, row, today):
        """Why a periodic review is due, one line per cause (a row of ``_credit_due_reviews_sql``)."""

        def months_since(date):
            age = relativedelta(today, date)
            return age.years * 12 + age.months

        reasons = []
        if row["by_interval"]:
            if row["decided_on"]:
                reasons.append(
                    self.env._(
                        "Periodic review: last review %(months)s months ago", months=months_since(row["reviewed_on"])
                    )
                )
            else:
                reasons.append(
                    self.env._(
                        "Periodic review: not reviewed yet in %(months)s months",
                        months=months_since(row["reviewed_on"]),
                    )
                )
        if row["by_rating"]:
            reasons.append(self.env._("Rating of %(months)s months old", months=months_since(row["rating_date"])))
        return "\n".join(reasons)

    @api.model
    def _credit_schedule_review_activities(self, reviews, company, today):
        """A review activity on each periodic review: for the customer's collector in the company, else for each
        credit manager of the company. Made in one ``create``; no email per activity (the daily run would send one
        per customer): the activities are on the users' to-do list and the *Reviews Due* menu."""
        managers = (
            self.env.ref("credit_control.group_credit_control_manager")
            .sudo()
            .users.filtered(lambda user: company in user.company_ids and not user.share and user.active)
        )
        collectors = {
            partner.id: partner.credit_collector_id
            for partner in reviews.partner_id.with_company(company).sudo()
            if partner.credit_collector_id.active
        }
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_review")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": review.id,
                "activity_type_id": activity_type.id,
                "user_id": user.id,
                "summary": self.env._("Review the credit limit of %(customer)s", customer=review.partner_id.name),
                "note": Markup("<br/>").join(review.request_reason.split("\n")),
                "date_deadline": today,
            }
            for review in reviews
            for user in collectors.get(review.partner_id.id) or managers
        ]
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
