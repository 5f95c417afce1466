from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date

from ..tools.installments import split_amount
from .credit_arrangement_mixin import OPEN_INVOICE_DOMAIN, workflow


class CreditPaymentPlan(models.Model):
    """A payment arrangement: what is open on some invoices, paid in installments.

    Draft until a credit manager approves it (or, requested from the portal, automatically within the
    limits of the customer's segment); while active the invoices are not followed up. Payments on the
    invoices fill the installments oldest first. An installment still unpaid after the grace days breaks
    the plan and follow-up resumes at the plan's resume level; all paid, the plan is done.
    """

    _name = "credit.payment.plan"
    _description = "Payment Plan"
    _inherit = ["credit.arrangement.mixin", "portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _credit_sequence_code = "credit.payment.plan"
    _credit_workflow_fields = (
        "state",
        "source",
        "approved_by_id",
        "date_approved",
        "date_closed",
        "amount_total",
        "amount_paid",
    )
    _credit_closed_states = ("done", "broken", "cancelled")
    _credit_live_states = ("draft", "active")

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: self.env._("New")
    )
    move_ids = fields.Many2many(
        "account.move",
        "credit_payment_plan_account_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        required=True,
        domain=OPEN_INVOICE_DOMAIN,
    )
    amount_total = fields.Monetary(
        string="Total",
        compute="_compute_amount_total",
        store=True,
        readonly=True,
        tracking=True,
        help="What was open on the invoices when the plan was made.",
    )
    amount_paid = fields.Monetary(string="Paid", compute="_compute_amount_paid", store=True)
    installment_count = fields.Integer(string="Installments", default=3, required=True)
    date_first = fields.Date(
        string="First Installment",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )
    interval_number = fields.Integer(string="Every", default=1, required=True)
    interval_unit = fields.Selection([("weeks", "Weeks"), ("months", "Months")], default="months", required=True)
    installment_ids = fields.One2many("credit.payment.plan.installment", "plan_id", string="Schedule", copy=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("done", "Done"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    resume_level_id = fields.Many2one(
        "credit.policy.level",
        string="Resume Follow-up At",
        compute="_compute_resume_level_id",
        store=True,
        readonly=False,
        tracking=True,
        help="When the plan breaks, the next follow-up run proposes this level for the invoices. "
        "Empty: follow-up resumes where it was.",
        groups="credit_control.group_credit_control_user",
    )
    approved_by_id = fields.Many2one(
        "res.users", readonly=True, copy=False, groups="credit_control.group_credit_control_user"
    )
    date_approved = fields.Date(readonly=True, copy=False, groups="credit_control.group_credit_control_user")
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    note = fields.Text(groups="credit_control.group_credit_control_user")

    @api.depends("move_ids")
    def _compute_amount_total(self):
        for plan in self:
            plan.amount_total = plan.move_ids._origin._credit_open_residual() if plan.move_ids else 0.0

    @api.depends("installment_ids.amount_paid")
    def _compute_amount_paid(self):
        for plan in self:
            plan.amount_paid = sum(plan.installment_ids.mapped("amount_paid"))

    @api.depends("partner_id", "company_id")
    def _compute_resume_level_id(self):
        for plan in self:
            company = plan.company_id or self.env.company
            segment = plan.partner_id.commercial_partner_id.with_company(company).sudo().credit_segment_id
            policy = segment.policy_id or company.credit_default_policy_id
            plan.resume_level_id = policy.credit_plan_break_level_id

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"

    @api.depends("name", "partner_id.name")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._("Payment plan %(name)s", name=plan.name)

    @api.constrains("partner_id", "move_ids", "installment_count", "interval_number")
    def _check_invoices(self):
        for plan in self.filtered(lambda p: p.state == "draft"):
            plan._check_arrangement_invoices()
            if plan.installment_count < 1 or plan.interval_number < 1:
                raise UserError(self.env._("A payment plan needs at least one installment and an interval of one."))

    @api.constrains("move_ids", "state")
    def _check_one_per_invoice(self):
        self._credit_check_one_live_record()

    def _amount_in_words(self):
        """The total in words in the customer's language ("Duizend Euro's" for a Dutch customer): Odoo's
        ``amount_to_text`` takes the language of its context (num2words, and the currency's unit names)."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        return self.currency_id.with_context(lang=lang).amount_to_text(self.amount_total)

    def _get_report_base_filename(self):
        """The name of the agreement's PDF (the portal's *Agreement* download)."""
        self.ensure_one()
        return self.env._("Payment plan %(name)s", name=self.name)

    def write(self, vals):
        if "move_ids" in vals and self.filtered(lambda p: p.state != "draft"):
            raise UserError(self.env._("The invoices of an approved payment plan cannot be changed."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # Schedule and approval
    # ------------------------------------------------------------------

    def _installment_dates(self):
        self.ensure_one()
        step = (
            relativedelta(weeks=self.interval_number)
            if self.interval_unit == "weeks"
            else relativedelta(months=self.interval_number)
        )
        return [self.date_first + step * index for index in range(self.installment_count)]

    def action_compute_schedule(self):
        """Split the total into equal installments to the cent; the last one takes the remainder."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only the schedule of a draft payment plan can be computed."))
            try:
                amounts = split_amount(plan.amount_total, plan.installment_count, plan.currency_id.decimal_places)
            except ValueError as error:
                raise UserError(
                    self.env._(
                        "%(total)s cannot be split into %(count)s installments: %(error)s",
                        total=plan._format(plan.amount_total),
                        count=plan.installment_count,
                        error=error,
                    )
                ) from error
            plan.installment_ids.unlink()
            plan.installment_ids = [
                Command.create({"sequence": index, "date": date, "amount": float(amount)})
                for index, (date, amount) in enumerate(zip(plan._installment_dates(), amounts, strict=True))
            ]
        return True

    def _check_schedule(self):
        for plan in self:
            if not plan.installment_ids:
                raise UserError(self.env._("Compute the schedule of %(plan)s first.", plan=plan.name))
            scheduled = sum(plan.installment_ids.mapped("amount"))
            if plan.currency_id.compare_amounts(scheduled, plan.amount_total):
                raise UserError(
                    self.env._(
                        "The installments of %(plan)s add up to %(scheduled)s, not to the total of %(total)s. "
                        "Correct the amounts or compute the schedule again.",
                        plan=plan.name,
                        scheduled=plan._format(scheduled),
                        total=plan._format(plan.amount_total),
                    )
                )
            if any(
                plan.currency_id.compare_amounts(amount, 0.0) <= 0 for amount in plan.installment_ids.mapped("amount")
            ):
                raise UserError(self.env._("Every installment must be more than zero."))

    def action_activate(self):
        """Approve the plan (credit managers only): the invoices' follow-up pauses while it runs."""
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can approve a payment plan."))
        self._activate()
        return True

    def _activate(self, automatic=False):
        if self.filtered(lambda p: p.state != "draft"):
            raise UserError(self.env._("Only draft payment plans can be approved."))
        self._check_schedule()
        self._workflow().write(
            {
                "state": "active",
                "approved_by_id": False if automatic else self.env.user.id,
                "date_approved": fields.Date.context_today(self),
            }
        )
        for plan in self:
            plan.message_post(
                body=self.env._("Payment plan approved automatically, within the limits of the customer's segment.")
                if automatic
                else self.env._("Payment plan approved by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        self.activity_ids.action_feedback(feedback=self.env._("Payment plan approved."))

    def action_cancel(self):
        if self.filtered(lambda p: p.state not in ("draft", "active")):
            raise UserError(self.env._("Only draft or active payment plans can be cancelled."))
        self._workflow().write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
        return True

    def action_send_for_signature(self):
        """The email composer with the agreement (PDF) attached, to send to the customer for signature."""
        self.ensure_one()
        template = self.env.ref("credit_control.mail_template_credit_payment_plan")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    # ------------------------------------------------------------------
    # Payments, and the daily check
    # ------------------------------------------------------------------

    def _allocate_payments(self, today=None):
        """Fill the installments with what has been paid on the invoices since the plan was made
        (total minus what is still open), oldest installment first. Writes only what changed."""
        today = today or fields.Date.context_today(self)
        for plan in self - self._credit_void_invoices():
            currency = plan.currency_id
            paid = currency.round(plan.amount_total - plan.move_ids._credit_open_residual())
            remaining = min(max(paid, 0.0), plan.amount_total)
            for installment in plan.installment_ids.sorted(lambda i: (i.date, i.sequence, i.id)):
                allocated = currency.round(min(installment.amount, remaining))
                remaining = currency.round(remaining - allocated)
                if currency.compare_amounts(allocated, installment.amount) >= 0:
                    state = "paid"
                else:
                    state = "late" if installment.date < today else "pending"
                if state != installment.state or currency.compare_amounts(allocated, installment.amount_paid):
                    workflow(installment).write({"amount_paid": allocated, "state": state})

    @api.model
    def _refresh_payments(self, moves):
        """After a payment is (un)reconciled: refill the installments of the active plans of ``moves``."""
        if not moves:
            return
        plans = self.sudo().search([("move_ids", "in", moves.ids), ("state", "=", "active")])
        plans._allocate_payments()
        if plans:
            # an installment paid: its check leaves the collector's Today at once
            self.env["credit.action"].sudo().search(
                [("payment_plan_id", "in", plans.ids), ("state", "in", ("proposed", "failed"))]
            )._credit_withdraw_settled_checks()

    @api.model
    def _check_plans(self, company, today=None):
        """The daily check of ``company``'s active plans: allocate payments, close the plans paid in
        full, break those with an installment unpaid after the grace days, and remind the customer of
        installments due soon. One search per kind; a second run the same day changes nothing.
        Returns (done, broken)."""
        today = today or fields.Date.context_today(self)
        plans = self.search([("company_id", "=", company.id), ("state", "=", "active")])
        void = plans._credit_void_invoices()
        if void:
            void._cancel_void()
        plans -= void
        plans = plans.filtered(lambda p: all(move.state == "posted" for move in p.move_ids))
        plans._allocate_payments(today)
        done = plans.filtered(
            lambda p: (
                all(i.state == "paid" for i in p.installment_ids)
                or p.currency_id.is_zero(p.move_ids._credit_open_residual())
            )
        )
        limit = today - timedelta(days=company.credit_plan_grace_days)
        broken = (plans - done).filtered(lambda p: any(i.state != "paid" and i.date < limit for i in p.installment_ids))
        if done:
            done._workflow().write({"state": "done", "date_closed": today})
            done._message_log_batch(bodies={p.id: self.env._("Payment plan paid in full.") for p in done})
        if broken:
            broken._break(today)
        self._send_installment_reminders(company, today)
        return done, broken

    def _break(self, today):
        """The customer did not keep to the plan: follow-up of the invoices resumes, the collector is told.

        The items are put on the level just before the plan's resume level, so that the next follow-up
        run proposes the resume level itself (once the items are that many days past due, normally at
        once). Without a resume level the items keep their level: follow-up resumes where it was.
        """
        self._workflow().write({"state": "broken", "date_closed": today})
        for plan in self:
            level = plan.resume_level_id
            if level:
                previous = level.policy_id.level_ids.filtered(lambda lvl, level=level: lvl.days < level.days)
                previous = previous.sorted(lambda lvl: (lvl.days, lvl.sequence, lvl.id))[-1:]
                items = plan.move_ids.line_ids.filtered(
                    lambda line: line.account_type == "asset_receivable" and not line.reconciled
                )
                items._credit_write_followup({"credit_level_id": previous.id})
            late = plan.installment_ids.filtered(lambda i: i.state != "paid")[:1]
            body = self.env._(
                "Payment plan broken: the installment of %(amount)s due on %(date)s has not been paid. "
                "Follow-up of the invoices resumes%(level)s.",
                amount=plan._format(late.amount - late.amount_paid),
                date=format_date(self.env, late.date),
                level=self.env._(" at %(level)s", level=level.name) if level else "",
            )
            plan.message_post(body=body, subtype_xmlid="mail.mt_note")
            user = plan.user_id or plan.partner_id.with_company(plan.company_id).credit_collector_id or self.env.user
            plan.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("Payment plan broken"),
                note=body,
                user_id=user.id,
            )

    @api.model
    def _send_installment_reminders(self, company, today):
        """Email the customer about each installment due within the company's reminder days; once."""
        last_day = today + timedelta(days=company.credit_plan_reminder_days)
        installments = self.env["credit.payment.plan.installment"].search(
            [
                ("company_id", "=", company.id),
                ("plan_id.state", "=", "active"),
                ("state", "!=", "paid"),
                ("reminder_sent", "=", False),
                ("date", ">=", today),
                ("date", "<=", last_day),
            ]
        )
        if not installments:
            return installments
        template = self.env.ref("credit_control.mail_template_credit_plan_installment")
        rendered = template._generate_template(installments.ids, ("subject", "body_html", "partner_to"))
        for installment in installments:
            values = rendered[installment.id]
            installment.plan_id.with_context(mail_notify_force_send=False).message_post(
                body=values["body_html"],
                subject=values["subject"],
                partner_ids=values.get("partner_ids") or installment.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )
        workflow(installments).write({"reminder_sent": True})
        return installments

    # ------------------------------------------------------------------
    # API for the customer portal (called with sudo, after checking that the invoices are the user's)
    # ------------------------------------------------------------------

    @api.model
    def _portal_request(self, partner, invoices, installment_count):
        """A payment plan requested by ``partner`` (a portal user's partner) for ``invoices``.

        Allowed within the limits of the customer's segment (number of installments, amount); the plan
        is approved at once when the segment says so, otherwise it waits in draft for a credit manager
        (the collector gets an activity). Raises a ``UserError`` otherwise.
        """
        commercial = invoices._credit_check_open_invoices(partner)
        company = invoices.company_id
        segment = commercial.with_company(company).credit_segment_id
        total = invoices._credit_open_residual()
        # the segment's maximum is for everything the customer pays in installments, not per request
        running = self.sudo().search(
            [("partner_id", "=", commercial.id), ("company_id", "=", company.id), ("state", "in", ("draft", "active"))]
        )
        total_under_plans = total + sum(running.mapped("amount_total")) - sum(running.mapped("amount_paid"))
        maximum = segment.credit_plan_max_installments
        if not maximum:
            raise UserError(self.env._("A payment plan cannot be arranged online for your account. Please contact us."))
        if not 1 <= installment_count <= maximum:
            raise UserError(
                self.env._(
                    "A payment plan can have at most %(maximum)s installments. Choose fewer installments.",
                    maximum=maximum,
                )
            )
        if (
            segment.credit_plan_max_amount
            and company.currency_id.compare_amounts(total_under_plans, segment.credit_plan_max_amount) > 0
        ):
            raise UserError(
                self.env._(
                    "A payment plan for %(total)s cannot be arranged online (at most %(maximum)s, with your other "
                    "payment plans). Please contact us, or choose fewer invoices.",
                    total=format_amount(self.env, total_under_plans, company.currency_id),
                    maximum=format_amount(self.env, segment.credit_plan_max_amount, company.currency_id),
                )
            )
        plan = self._portal_new(partner, invoices, {"installment_count": installment_count})
        plan.action_compute_schedule()
        plan.message_post(
            body=self.env._(
                "%(partner)s requested a payment plan of %(count)s installments for %(total)s (customer portal).",
                partner=partner.display_name,
                count=installment_count,
                total=plan._format(plan.amount_total),
            ),
            subtype_xmlid="mail.mt_note",
        )
        if segment.credit_plan_auto_approve:
            plan._activate(automatic=True)
        else:
            plan.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve the payment plan requested on the portal"),
                user_id=plan.user_id.id,
            )
        return plan
