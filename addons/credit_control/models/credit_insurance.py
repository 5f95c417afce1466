from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

# The states in which the insurer covers the customer.
COVERED_STATES = ("granted", "reduced")
# When the daily run warns the collector: this many days before an item passes the insurer's deadline.
NOTIFY_HORIZON_DAYS = 7
# An insurer's notification deadline when neither the insurer nor the policy says one (a common policy term).
DEFAULT_NOTIFY_DAYS = 90
# Written only through the buttons (the state) and the Report Overdue button (what was reported).
WORKFLOW_FIELDS = {"state", "reported_line_ids", "date_last_reported"}


class CreditInsurance(models.Model):
    """A credit insurer's cover of one customer in one company (Atradius, Allianz Trade, Coface, Credendo): the
    insured limit, the share of a loss the insurer pays (coverage) and the validity.

    Its state changes only through the buttons — requested, granted, reduced, withdrawn — and every change is
    tracked in the chatter; a cover is never deleted, it is withdrawn. The insured must report an item that is
    still unpaid ``notify_days`` days after its (original) due date, or loses the cover of it: the daily run gives
    the collector an activity a week before, and *Report Overdue* records what was reported."""

    _name = "credit.insurance"
    _description = "Credit Insurance"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "valid_from desc, id desc"
    _rec_name = "policy_number"
    _mail_post_access = "read"  # collectors, who read covers, log their contacts with the insurer

    # ------------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------------
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, tracking=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    insurer_id = fields.Many2one("res.partner", required=True, index=True, tracking=True)
    policy_number = fields.Char(required=True, tracking=True)
    insured_limit = fields.Monetary(
        tracking=True, help="The most the insurer covers of this customer's exposure (the credit limit it granted)."
    )
    coverage_percent = fields.Float(
        string="Coverage (%)", default=90.0, tracking=True, help="The share of a covered loss the insurer pays."
    )
    valid_from = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    valid_to = fields.Date(tracking=True, help="Empty: until the insurer withdraws the cover.")
    state = fields.Selection(
        [("requested", "Requested"), ("granted", "Granted"), ("reduced", "Reduced"), ("withdrawn", "Withdrawn")],
        default="requested",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    notify_days = fields.Integer(
        string="Notification Deadline (days)",
        compute="_compute_notify_days",
        store=True,
        readonly=False,
        tracking=True,
        help="An item still unpaid this many days after its original due date must be reported to the insurer, "
        "or its cover is lost. Taken from the insurer; change it here when this policy says otherwise.",
    )
    reported_line_ids = fields.Many2many(
        "account.move.line",
        "credit_insurance_reported_line_rel",
        "insurance_id",
        "line_id",
        string="Reported Items",
        readonly=True,
        copy=False,
    )
    date_last_reported = fields.Date(string="Last Reported", readonly=True, copy=False)
    note = fields.Text()

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("insurer_id")
    def _compute_notify_days(self):
        for insurance in self:
            insurance.notify_days = insurance.insurer_id.credit_insurer_notify_days or DEFAULT_NOTIFY_DAYS

    @api.depends("policy_number", "insurer_id", "partner_id")
    def _compute_display_name(self):
        for insurance in self:
            parts = [insurance.insurer_id.name, insurance.policy_number, insurance.partner_id.name]
            insurance.display_name = " – ".join(filter(None, parts))

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------
    @api.constrains("coverage_percent", "valid_from", "valid_to", "insured_limit", "notify_days")
    def _check_range(self):
        for insurance in self:
            if not 0 <= insurance.coverage_percent <= 100:
                raise ValidationError(self.env._("The coverage is a percentage between 0 and 100."))
            if insurance.valid_to and insurance.valid_to < insurance.valid_from:
                raise ValidationError(self.env._("The cover ends on or after it starts (Valid To ≥ Valid From)."))
            if insurance.insured_limit < 0 or insurance.notify_days < 0:
                raise ValidationError(self.env._("The insured limit and the notification deadline cannot be negative."))

    @api.constrains("partner_id", "company_id", "state", "valid_from", "valid_to")
    def _check_single_cover(self):
        """One granted or reduced cover per customer and company at a time: the insured part would count twice."""
        for insurance in self.filtered(lambda i: i.state in COVERED_STATES):
            domain = [
                ("id", "!=", insurance.id),
                ("partner_id", "=", insurance.partner_id.id),
                ("company_id", "=", insurance.company_id.id),
                ("state", "in", COVERED_STATES),
                "|",
                ("valid_to", "=", False),
                ("valid_to", ">=", insurance.valid_from),
            ]
            if insurance.valid_to:
                domain.append(("valid_from", "<=", insurance.valid_to))
            other = self.sudo().search(domain, limit=1)
            if other:
                raise ValidationError(
                    self.env._(
                        "%(customer)s already has a granted or reduced credit insurance in this period (%(other)s). "
                        "Withdraw it, or end it before this one starts.",
                        customer=insurance.partner_id.name,
                        other=other.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        for vals in vals_list:
            # a cover starts requested; the buttons grant, reduce or withdraw it, and the run records reports
            for name in WORKFLOW_FIELDS:
                vals.pop(name, None)
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) & WORKFLOW_FIELDS and not self.env.context.get("credit_insurance_workflow"):
            raise AccessError(self.env._("Change the state of a credit insurance with its buttons; each is logged."))
        if vals.get("partner_id"):
            vals = dict(vals, partner_id=self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id)
        if not self.env.context.get("credit_insurance_workflow") and any(i.state == "withdrawn" for i in self):
            raise UserError(self.env._("A withdrawn credit insurance is kept as it was; record a new one instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit insurances are kept with their history; withdraw them instead."))

    # ------------------------------------------------------------------
    # ACTION
    # ------------------------------------------------------------------

    def _set_state(self, state, allowed_from):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager changes a credit insurance."))
        labels = dict(self._fields["state"]._description_selection(self.env))
        for insurance in self:
            if insurance.state not in allowed_from:
                raise UserError(
                    self.env._(
                        "%(insurance)s is %(state)s: it cannot become %(new)s.",
                        insurance=insurance.display_name,
                        state=labels[insurance.state],
                        new=labels[state],
                    )
                )
        self.with_context(credit_insurance_workflow=True).write({"state": state})
        return True

    def action_grant(self):
        return self._set_state("granted", ("requested",))

    def action_reduce(self):
        """The insurer lowered its cover: set the new insured limit (or coverage) first, then *Reduce*."""
        return self._set_state("reduced", ("granted", "reduced"))

    def action_withdraw(self):
        return self._set_state("withdrawn", ("requested", "granted", "reduced"))

    def action_report_overdue(self):
        """Record that the items due for reporting (the ones the daily run warned about) were reported to the
        insurer today: they are kept on the cover, listed in the chatter, and the warning activity is done."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit staff report items to a credit insurer."))
        today = fields.Date.context_today(self)
        rows = self._notification_rows(today, insurances=self)
        if not rows:
            raise UserError(
                self.env._(
                    "%(insurance)s has no item to report: none is within %(days)s days of the insurer's deadline.",
                    insurance=self.display_name,
                    days=NOTIFY_HORIZON_DAYS,
                )
            )
        self._record_reported(rows, today)
        self._notification_activities().with_context(credit_insurance_reporting=True).action_feedback(
            feedback=self.env._("Reported to the insurer.")
        )
        return True

    def action_view_notifications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_insurance_notification_action")
        action["domain"] = [("insurance_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _covering(self, partners, company, day):
        """{commercial partner id: its granted or reduced cover valid on ``day`` in ``company``} (one query)."""
        if not partners:
            return {}
        insurances = self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("state", "in", COVERED_STATES),
                ("valid_from", "<=", day),
                "|",
                ("valid_to", "=", False),
                ("valid_to", ">=", day),
            ],
            order="valid_from desc, id desc",
        )
        covering = {}
        for insurance in insurances:
            covering.setdefault(insurance.partner_id.id, insurance)
        return covering

    def _insured_amount(self, exposure):
        """The insured part of ``exposure``: min(exposure, insured limit) × coverage, rounded; none of a credit."""
        self.ensure_one()
        currency = self.company_id.currency_id
        return currency.round(min(max(exposure, 0.0), self.insured_limit) * self.coverage_percent / 100.0)

    @api.model
    def _notification_sql(self, today, company_ids=None, insurance_ids=None):
        """The items that must be reported to an insurer by ``today`` + the horizon, one row per item with named
        columns: every open receivable item of a covered customer whose deadline (original due date + the cover's
        notification days) falls within the next week or has passed, and that was not reported under this cover.
        The one definition that the daily run, *Report Overdue* and *Insurer Notifications* share."""
        filters = [SQL("TRUE")]
        if company_ids is not None:
            filters.append(SQL("ins.company_id = ANY(%s)", list(company_ids)))
        if insurance_ids is not None:
            filters.append(SQL("ins.id = ANY(%s)", list(insurance_ids)))
        return SQL(
            """
            SELECT aml.id AS line_id,
                   aml.move_id,
                   ins.id AS insurance_id,
                   ins.insurer_id,
                   ins.partner_id,
                   ins.company_id,
                   ins.policy_number,
                   aml.date_maturity,
                   aml.date_maturity + ins.notify_days AS deadline,
                   %(today)s::date - aml.date_maturity AS days_overdue,
                   aml.amount_residual,
                   aml.company_currency_id
              FROM credit_insurance ins
              JOIN res_partner p ON p.commercial_partner_id = ins.partner_id
              JOIN account_move_line aml ON aml.partner_id = p.id AND aml.company_id = ins.company_id
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE ins.state IN %(states)s
               AND ins.valid_from <= %(today)s
               AND (ins.valid_to IS NULL OR ins.valid_to >= %(today)s)
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT aml.reconciled
               AND aml.amount_residual > 0
               AND aml.date_maturity + ins.notify_days <= %(horizon)s::date
               AND NOT EXISTS (
                       SELECT 1
                         FROM credit_insurance_reported_line_rel reported
                        WHERE reported.insurance_id = ins.id
                          AND reported.line_id = aml.id
                   )
               AND %(filters)s
            """,
            today=today,
            horizon=fields.Date.add(today, days=NOTIFY_HORIZON_DAYS),
            states=COVERED_STATES,
            filters=SQL(" AND ").join(filters),
        )

    @api.model
    def _notification_rows(self, today, company=None, insurances=None):
        for model in ("account.move.line", "credit.insurance"):
            self.env[model].flush_model()
        return self.env.execute_query_dict(
            SQL(
                "%s ORDER BY insurance_id, date_maturity, line_id",
                self._notification_sql(
                    today,
                    company_ids=company.ids if company else None,
                    insurance_ids=insurances.ids if insurances is not None else None,
                ),
            )
        )

    def _notification_activities(self):
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_insurer_notification")
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )

    def _record_reported(self, rows, today):
        """Keep the items of ``rows`` as reported under their cover and say so in its chatter."""
        lines_by_insurance = {}
        for row in rows:
            lines_by_insurance.setdefault(row["insurance_id"], []).append(row)
        Line = self.env["account.move.line"].sudo()
        for insurance in self.sudo().browse(list(lines_by_insurance)):
            insurance_rows = lines_by_insurance[insurance.id]
            insurance.with_context(credit_insurance_workflow=True).write(
                {
                    "reported_line_ids": [(4, row["line_id"]) for row in insurance_rows],
                    "date_last_reported": today,
                }
            )
            items = Markup("").join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(item)s, due %(due)s, %(amount)s open, deadline %(deadline)s",
                    item=Line.browse(row["line_id"]).move_id.name,
                    due=format_date(self.env, row["date_maturity"]),
                    amount=format_amount(self.env, row["amount_residual"], insurance.currency_id),
                    deadline=format_date(self.env, row["deadline"]),
                )
                for row in insurance_rows
            )
            insurance.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (
                    self.env._(
                        "Reported to %(insurer)s on %(date)s by %(user)s:",
                        insurer=insurance.insurer_id.name,
                        date=format_date(self.env, today),
                        user=self.env.user.name,
                    ),
                    items,
                ),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _schedule_notification_activities(self, company, today=None):
        """The daily run's step: the collector (the customer's, else a credit manager) gets one activity per cover
        (customer and insurer) with items to report within the week — from one query for all customers, and only
        when the cover has no such activity open yet, so that a second run never adds another."""
        today = today or fields.Date.context_today(self)
        rows = self._notification_rows(today, company=company)
        if not rows:
            return self.env["mail.activity"]
        by_insurance = {}
        for row in rows:
            by_insurance.setdefault(row["insurance_id"], []).append(row)
        insurances = self.sudo().browse(list(by_insurance))
        open_ids = set(insurances._notification_activities().mapped("res_id"))
        insurances = insurances.filtered(lambda i: i.id not in open_ids)
        if not insurances:
            return self.env["mail.activity"]
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_insurer_notification")
        managers = self.env.ref("credit_control.group_credit_control_manager").users.filtered(
            lambda user: company in user.company_ids and not user.share
        )
        fallback = managers.sorted("id")[:1] or self.env.ref("base.user_admin")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for insurance in insurances:
            insurance_rows = by_insurance[insurance.id]
            collector = insurance.partner_id.with_company(company).credit_collector_id
            total = sum(row["amount_residual"] for row in insurance_rows)
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": insurance.id,
                    "activity_type_id": activity_type.id,
                    "user_id": (collector if collector and not collector.share else fallback).id,
                    "date_deadline": min(row["deadline"] for row in insurance_rows),
                    "summary": self.env._(
                        "Report %(count)s overdue item(s) of %(customer)s to %(insurer)s",
                        count=len(insurance_rows),
                        customer=insurance.partner_id.name,
                        insurer=insurance.insurer_id.name,
                    ),
                    "note": self.env._(
                        "Policy %(policy)s: %(amount)s open past or near the insurer's deadline of %(days)s days "
                        "after the due date. Report it to the insurer, then click Report Overdue on the insurance.",
                        policy=insurance.policy_number,
                        amount=format_amount(self.env, total, insurance.currency_id),
                        days=insurance.notify_days,
                    ),
                }
            )
        return self.env["mail.activity"].sudo().create(vals_list)
