from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from .account_move import OPEN_DISPUTE_STATES
from .credit_arrangement_mixin import OPEN_INVOICE_DOMAIN, workflow

# A promise is for next week unless the customer says otherwise.
PROMISE_DEFAULT_DAYS = 7


class CreditPromise(models.Model):
    """The customer promises to pay an amount on some invoices by a date.

    While open, and until the date plus the company's grace days, the invoices' follow-up pauses.
    The daily check marks the promise kept (what was open fell by the amount) or broken (follow-up
    resumes, the collector is told). An invoice cancelled, reversed or deleted before it was paid cancels the
    promise: only real payments keep a promise.

    A promise asked on the portal beyond the company's limits (too far away, too small a share of what is
    open) is a *proposal*: it pauses nothing until the collector accepts it.
    """

    _name = "credit.promise"
    _description = "Promise to Pay"
    _inherit = ["credit.arrangement.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _credit_workflow_fields = ("state", "source", "residual_at_promise")
    _credit_fixed_fields = ("partner_id", "move_ids")
    _credit_closed_states = ("kept", "broken", "cancelled")
    _credit_live_states = ("proposed", "open")

    move_ids = fields.Many2many(
        "account.move",
        "credit_promise_account_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        domain=OPEN_INVOICE_DOMAIN,
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        tracking=True,
        help="What the customer promises to pay; at most what is still open on the invoices.",
    )
    date = fields.Date(
        string="Promised Date",
        required=True,
        tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=PROMISE_DEFAULT_DAYS),
    )
    date_grace_end = fields.Date(
        string="Follow-up Paused Until",
        compute="_compute_date_grace_end",
        store=True,
        help="The promised date plus the company's grace days: until then the invoices are not followed up.",
    )
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    residual_at_promise = fields.Monetary(
        string="Open When Promised",
        readonly=True,
        copy=False,
        help="What was open on the invoices at the promise.",
        groups="credit_control.group_credit_control_user",
    )
    note = fields.Text(groups="credit_control.group_credit_control_user")
    credit_action_id = fields.Many2one(
        "credit.action",
        string="Follow-up Action",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="credit_control.group_credit_control_user",
    )

    @api.depends("move_ids")
    def _compute_amount(self):
        for promise in self:
            promise.amount = promise.move_ids._origin._credit_open_residual() if promise.move_ids else 0.0

    @api.depends("date", "company_id.credit_promise_grace_days")
    def _compute_date_grace_end(self):
        for promise in self:
            promise.date_grace_end = promise.date and promise.date + timedelta(
                days=promise.company_id.credit_promise_grace_days
            )

    @api.depends("partner_id.name", "amount", "date")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "Promise %(amount)s by %(date)s",
                amount=promise._format(promise.amount),
                date=format_date(self.env, promise.date),
            )

    @api.constrains("partner_id", "move_ids", "amount", "date")
    def _check_terms(self):
        today = fields.Date.context_today(self)
        for promise in self.filtered(lambda p: p.state in ("proposed", "open")):
            promise._check_arrangement_invoices()
            disputed = promise.sudo().move_ids.filtered(
                lambda m: m.credit_dispute_ids.filtered(lambda d: d.state in OPEN_DISPUTE_STATES)
            )
            if disputed:
                raise UserError(
                    self.env._(
                        "%(invoices)s: disputed. A promise to pay waits until the dispute is settled; "
                        "leave that invoice out.",
                        invoices=", ".join(disputed.mapped("name")),
                    )
                )
            if promise.date < today:
                raise UserError(
                    self.env._(
                        "The promised date %(date)s is in the past: choose today or a later date.",
                        date=format_date(self.env, promise.date),
                    )
                )
            owed = promise.move_ids._credit_open_residual()
            if promise.currency_id.compare_amounts(promise.amount, 0.0) <= 0:
                raise UserError(self.env._("The promised amount must be more than zero."))
            if promise.currency_id.compare_amounts(promise.amount, owed) > 0:
                raise UserError(
                    self.env._(
                        "The promised amount %(amount)s is more than the %(owed)s still open on the invoices. "
                        "Lower the amount or add the other invoices.",
                        amount=promise._format(promise.amount),
                        owed=promise._format(owed),
                    )
                )

    @api.constrains("move_ids", "state")
    def _check_one_per_invoice(self):
        self._credit_check_one_live_record()

    @api.model
    def _defaults_from_action(self, action):
        """Also the amount: what the action followed up, at most what is still open on its invoices."""
        values = super()._defaults_from_action(action)
        values["amount"] = min(action.amount, self._action_open_invoices(action)._credit_open_residual())
        return values

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            workflow(promise).residual_at_promise = promise.move_ids._credit_open_residual()
        return promises

    def action_accept(self):
        """Accept a promise the customer proposed on the portal: from now on it pauses follow-up."""
        if self.filtered(lambda p: p.state != "proposed"):
            raise UserError(self.env._("Only proposed promises can be accepted."))
        self._workflow().write({"state": "open"})
        self._check_terms()
        for promise in self:
            promise.message_post(
                body=self.env._("Promise accepted by %(user)s.", user=self.env.user.name), subtype_xmlid="mail.mt_note"
            )
        self.activity_ids.action_feedback(feedback=self.env._("Promise accepted."))
        return True

    def action_cancel(self):
        if self.filtered(lambda p: p.state not in ("proposed", "open")):
            raise UserError(self.env._("Only open or proposed promises can be cancelled."))
        self._workflow().write({"state": "cancelled"})
        self.activity_ids.action_feedback(feedback=self.env._("Promise cancelled."))
        return True

    # ------------------------------------------------------------------
    # Daily check
    # ------------------------------------------------------------------

    @api.model
    def _check_promises(self, company, today=None):
        """Decide the open promises of ``company``: kept once what was open fell by the promised
        amount, broken when the grace days have passed without that. One search for the company;
        a second run the same day changes nothing. Returns (kept, broken)."""
        today = today or fields.Date.context_today(self)
        promises = self.search([("company_id", "=", company.id), ("state", "=", "open")])
        void = promises._credit_void_invoices()
        if void:
            void._cancel_void()
        kept, broken = self.browse(), self.browse()
        for promise in promises - void:
            if any(move.state != "posted" for move in promise.move_ids):
                continue  # reset to draft for a correction: decided once it is posted again
            paid = promise.residual_at_promise - promise.move_ids._credit_open_residual()
            if promise.currency_id.compare_amounts(paid, promise.amount) >= 0:
                kept |= promise
            elif promise.date_grace_end < today:
                broken |= promise
        if kept:
            kept._workflow().write({"state": "kept"})
            kept._message_log_batch(
                bodies={p.id: self.env._("Promise kept: the promised amount has been paid.") for p in kept}
            )
        if broken:
            broken._workflow().write({"state": "broken"})
            for promise in broken:
                user = promise.user_id or promise.partner_id.with_company(company).credit_collector_id
                body = self.env._(
                    "Promise broken: %(amount)s was promised by %(date)s and has not been paid. "
                    "Follow-up of the invoices resumes.",
                    amount=promise._format(promise.amount),
                    date=format_date(self.env, promise.date),
                )
                promise.message_post(body=body, subtype_xmlid="mail.mt_note")
                promise.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=today,
                    summary=self.env._("Promise to pay broken"),
                    note=body,
                    user_id=(user or self.env.user).id,
                )
        if kept or broken:
            self._update_kept_rate(company, (kept | broken).partner_id)
        return kept, broken

    @api.model
    def _update_kept_rate(self, company, partners):
        """Store each customer's share of decided promises that were kept (one SQL statement)."""
        self.flush_model(["partner_id", "company_id", "state"])
        key = str(company.id)
        self.env.cr.execute(
            SQL(
                """
                WITH rates AS (
                    SELECT partner_id,
                           ROUND(COUNT(*) FILTER (WHERE state = 'kept')::numeric / COUNT(*), 4) AS rate
                      FROM credit_promise
                     WHERE company_id = %(company)s
                       AND state IN ('kept', 'broken')
                       AND partner_id = ANY(%(partners)s)
                  GROUP BY partner_id
                )
                UPDATE res_partner p
                   SET credit_promise_kept_rate = COALESCE(p.credit_promise_kept_rate, '{}'::jsonb)
                                                  || jsonb_build_object(%(key)s, r.rate)
                  FROM rates r
                 WHERE p.id = r.partner_id
                """,
                company=company.id,
                partners=partners.ids,
                key=key,
            )
        )
        self.env["res.partner"].invalidate_model(["credit_promise_kept_rate"])

    # ------------------------------------------------------------------
    # API for the customer portal (called with sudo, after checking that the invoices are the user's)
    # ------------------------------------------------------------------

    @api.model
    def _portal_create(self, partner, invoices, date, amount=None):
        """Record the promise of ``partner`` (a portal user's partner) to pay ``amount`` (default: all
        that is open) on ``invoices`` by ``date``. Raises a ``UserError`` on invoices that are not the
        customer's open invoices, a disputed invoice, a date in the past or an amount above what is owed.

        Within the company's limits (horizon, minimum share of what is open) the promise is open and pauses
        follow-up at once; beyond them it is a proposal for the collector, who gets an activity."""
        if not date:
            raise UserError(self.env._("Choose the date you will pay."))
        date = fields.Date.to_date(date)
        invoices._credit_check_open_invoices(partner)
        company = invoices.company_id
        owed = invoices._credit_open_residual()
        promised = owed if amount is None else amount
        today = fields.Date.context_today(self)
        too_late = date > today + timedelta(days=company.credit_promise_max_days)
        too_small = company.currency_id.compare_amounts(promised, owed * company.credit_promise_min_percent / 100) < 0
        vals = {"date": date, "state": "proposed" if too_late or too_small else "open"}
        if amount is not None:
            vals["amount"] = amount
        promise = self._portal_new(partner, invoices, vals)
        body = self.env._(
            "%(partner)s promises to pay %(amount)s by %(date)s (customer portal).",
            partner=partner.display_name,
            amount=promise._format(promise.amount),
            date=format_date(self.env, promise.date),
        )
        promise.message_post(body=body, subtype_xmlid="mail.mt_note")
        if promise.state == "proposed":
            promise.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Accept or cancel the promise proposed on the portal"),
                note=self.env._(
                    "%(body)s It is beyond what the portal accepts by itself (at most %(days)s days ahead, at least "
                    "%(percent)s%% of what is open): follow-up is not paused until you accept it.",
                    body=body,
                    days=company.credit_promise_max_days,
                    percent=company.credit_promise_min_percent,
                ),
                user_id=promise.user_id.id,
            )
        return promise
