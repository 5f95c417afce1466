from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

# What the requester may still change while the application waits for a decision.
REQUEST_FIELDS = {"requested_limit", "expected_monthly_volume", "request_reason", "order_id"}
DECISIONS = {"approved", "approved_lower", "approved_prepayment", "rejected"}


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
        for vals in vals_list:
            # the workflow decides; nobody creates a decided application, and the requester is who asks
            for name in ("state", "decided_limit", "prepayment_percent", "decision_reason", "decided_by_id"):
                vals.pop(name, None)
            vals.pop("decision_date", None)
            vals["requested_by_id"] = self.env.uid
            if vals.get("kind") == "review" and not self.env.user.has_group("credit_control.group_credit_control_user"):
                vals["kind"] = "application"
            if (vals.get("requested_limit") or 0.0) < 0:
                raise UserError(self.env._("The requested limit cannot be negative."))
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            vals["name"] = self.env["ir.sequence"].with_company(company).sudo().next_by_code("credit.review") or "/"
        reviews = super().create(vals_list)
        reviews._notify_credit_managers()
        return reviews

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
        if state == "approved":
            limit = self.requested_limit
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
