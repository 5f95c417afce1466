from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

# What the collector checks on *Today* about a promise or a payment plan, and the channel of that row: a manual
# check of the payment, or a call.
ARRANGEMENT_CHECKS = [
    ("promise_due", "Promise Due"),
    ("promise_broken", "Promise Broken"),
    ("installment_due", "Installment Due"),
    ("installment_late", "Installment Late"),
]
ARRANGEMENT_CHECK_CHANNELS = {
    "promise_due": "manual",
    "promise_broken": "phone",
    "installment_due": "manual",
    "installment_late": "phone",
}
# broken promises older than this get no call on *Today* (a new install does not call about last year)
BROKEN_PROMISE_DAYS = 30


class CreditAction(models.Model):
    """Promises and payment plans on the collector's *Today*: a promise due (check the payment), a broken promise
    (call), an installment due (check the payment) or late (call) is a follow-up action of its own, linked to its
    promise or plan, so that the collector works one list with the same approve, skip, cancel and call log.

    Such an action has no level and no open items: it takes no follow-up step, pauses nothing and never holds back
    a reminder. The daily run proposes it once (``arrangement_key`` is unique) and withdraws it when the promise is
    kept or the installment paid."""

    _inherit = "credit.action"

    arrangement_check = fields.Selection(
        ARRANGEMENT_CHECKS, string="Check", readonly=True, index="btree_not_null", copy=False
    )
    arrangement_key = fields.Char(
        readonly=True,
        copy=False,
        help="What the check is about (kind, record and day): the daily run proposes each check once.",
    )
    summary = fields.Char(string="To Do", readonly=True, help="What the collector is asked to do.")
    promise_id = fields.Many2one("credit.promise", readonly=True, index="btree_not_null", ondelete="restrict")
    payment_plan_id = fields.Many2one("credit.payment.plan", readonly=True, index="btree_not_null", ondelete="restrict")
    installment_id = fields.Many2one(
        "credit.payment.plan.installment", readonly=True, index="btree_not_null", ondelete="set null"
    )

    _sql_constraints = [
        ("arrangement_key_unique", "UNIQUE(arrangement_key)", "A promise or plan is checked once a day."),
        (
            "level_or_arrangement",
            "CHECK(level_id IS NOT NULL OR arrangement_check IS NOT NULL)",
            "A follow-up action is a step of a level or the check of a promise or plan.",
        ),
    ]

    @api.depends("promise_id.move_ids", "payment_plan_id.move_ids")
    def _compute_invoice_ids(self):
        # a check has no items: its invoices are its promise's or plan's (a call's promise or dispute starts there)
        result = super()._compute_invoice_ids()
        for action in self.filtered("arrangement_check"):
            action.invoice_ids = action.sudo().promise_id.move_ids or action.sudo().payment_plan_id.move_ids
        return result

    # ------------------------------------------------------------------
    # Proposed by the daily run
    # ------------------------------------------------------------------

    @api.model
    def _credit_propose_arrangement_checks(self, company, today=None):
        """The daily run's part, after the promise and plan checks: withdraw the checks that are settled, then
        propose today's (promises due or broken, installments due or late). A second run the same day proposes
        nothing new. Returns the actions created."""
        today = today or fields.Date.context_today(self)
        self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("state", "in", ("proposed", "failed")),
                ("arrangement_check", "!=", False),
            ]
        )._credit_withdraw_settled_checks()
        Promise = self.env["credit.promise"].sudo()
        promises_due = Promise.search([("company_id", "=", company.id), ("state", "=", "open"), ("date", "<=", today)])
        promises_broken = Promise.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "broken"),
                ("date", ">=", today - timedelta(days=BROKEN_PROMISE_DAYS)),
            ]
        )
        installments = (
            self.env["credit.payment.plan.installment"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("plan_id.state", "=", "active"),
                    ("state", "!=", "paid"),
                    ("date", "<=", today),
                ]
            )
        )
        candidates = [(promise, "promise_due") for promise in promises_due]
        candidates += [(promise, "promise_broken") for promise in promises_broken]
        candidates += [
            (installment, "installment_due" if installment.date >= today else "installment_late")
            for installment in installments
        ]
        keys = {self._credit_arrangement_key(record, check): (record, check) for record, check in candidates}
        existing = self.sudo().search_fetch([("arrangement_key", "in", list(keys))], ["arrangement_key"])
        for key in existing.mapped("arrangement_key"):
            keys.pop(key)
        if not keys:
            return self.browse()
        partners = self.env["res.partner"].browse({record.partner_id.id for record, _check in keys.values()})
        contacts = self.env["credit.followup.run"]._invoice_contacts(set(partners.ids))
        vals_list = []
        for key, (record, check) in keys.items():
            partner = record.partner_id.with_company(company)
            is_promise = check.startswith("promise")
            arrangement = record if is_promise else record.plan_id
            amount = record.amount if is_promise else record.amount - record.amount_paid
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "recipient_id": contacts[partner.id],
                    "company_id": company.id,
                    "channel": ARRANGEMENT_CHECK_CHANNELS[check],
                    "date": today,
                    "user_id": (arrangement.user_id or partner.credit_collector_id).id or False,
                    "amount": amount,
                    "amount_overdue": amount,
                    "priority": amount,
                    "arrangement_check": check,
                    "arrangement_key": key,
                    "summary": self._credit_check_summary(record, check),
                    "promise_id": record.id if is_promise else False,
                    "payment_plan_id": False if is_promise else arrangement.id,
                    "installment_id": False if is_promise else record.id,
                }
            )
        return self.sudo().create(vals_list)

    @api.model
    def _credit_arrangement_key(self, record, check):
        """One check per promise or installment: a promise due is checked again only when its date moves."""
        if check == "promise_due":
            return f"{check}:{record.id}:{record.date}"
        return f"{check}:{record.id}"

    @api.model
    def _credit_check_summary(self, record, check):
        if check == "promise_due":
            return self.env._(
                "Promise due %(date)s: check the payment of %(amount)s",
                date=format_date(self.env, record.date),
                amount=record._format(record.amount),
            )
        if check == "promise_broken":
            return self.env._(
                "Promise broken: call the customer (%(amount)s promised by %(date)s)",
                amount=record._format(record.amount),
                date=format_date(self.env, record.date),
            )
        plan = record.plan_id
        amount = plan._format(record.amount - record.amount_paid)
        if check == "installment_due":
            return self.env._(
                "Installment due: check the payment of %(amount)s (%(plan)s)", amount=amount, plan=plan.display_name
            )
        return self.env._(
            "Installment late: call the customer (%(amount)s due on %(date)s, %(plan)s)",
            amount=amount,
            date=format_date(self.env, record.date),
            plan=plan.display_name,
        )

    # ------------------------------------------------------------------
    # Withdrawn when settled
    # ------------------------------------------------------------------

    def _credit_check_settled_reason(self):
        """Why this check is no longer to do (the promise kept, the installment paid, ...), or False."""
        self.ensure_one()
        check = self.arrangement_check
        if check in ("promise_due", "promise_broken"):
            promise = self.sudo().promise_id
            states = dict(promise._fields["state"]._description_selection(self.env))
            if check == "promise_due" and (
                promise.state != "open" or self.arrangement_key.split(":")[2] != str(promise.date)
            ):
                if promise.state == "open":
                    return self.env._("The promise was moved to %(date)s.", date=format_date(self.env, promise.date))
                return self.env._("The promise is %(state)s.", state=states[promise.state].lower())
            if promise.currency_id.is_zero(promise.move_ids._credit_open_residual()):
                return self.env._("The promised invoices are paid.")
            return False
        installment = self.sudo().installment_id
        plan = self.sudo().payment_plan_id
        if not installment or installment.state == "paid":
            return self.env._("The installment is paid.")
        if plan.state != "active":
            states = dict(plan._fields["state"]._description_selection(self.env))
            return self.env._("The payment plan is %(state)s.", state=states[plan.state].lower())
        if check == "installment_due" and installment.date < fields.Date.context_today(self):
            return self.env._("The installment is late: a call replaces this check.")
        return False

    def _credit_withdraw_settled_checks(self):
        """Withdraw those of these checks that are settled: cancelled, never executed, with the reason as their
        result and in their chatter. Returns the actions withdrawn."""
        withdrawn = self.browse()
        for action in self.filtered(lambda a: a.arrangement_check and a.state in ("proposed", "failed")):
            reason = action._credit_check_settled_reason()
            if not reason:
                continue
            result = self.env._("Withdrawn: %(reason)s", reason=reason)
            action.sudo().write(
                {
                    "state": "cancelled",
                    "result": result,
                    "executed_by_id": self.env.user.id,
                    "executed_on": fields.Datetime.now(),
                }
            )
            action.sudo().message_post(body=result, subtype_xmlid="mail.mt_note")
            withdrawn |= action
        return withdrawn

    # ------------------------------------------------------------------
    # Approved or logged by the collector
    # ------------------------------------------------------------------

    def _execute_arrangement_check(self):
        """Take a check: a payment check is done on approval (the collector has looked); a call gets its call
        activity, with the number to dial, and is done when logged with its outcome."""
        self.ensure_one()
        if self.channel != "phone":
            return self.env._("Checked by %(user)s: %(summary)s", user=self.env.user.name, summary=self.summary)
        user = self.user_id or self.env.user
        invoices = self.sudo().invoice_ids
        rows = Markup("").join(
            Markup("<li>%s (%s)</li>") % (move.name, self._format(move.amount_residual_signed)) for move in invoices
        )
        activity = self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.summary,
            note=self._call_header_html() + Markup("<p>%s</p><ul>%s</ul>") % (self.summary, rows),
            user_id=user.id,
            date_deadline=self.date,
        )
        activity.credit_action_id = self
        self.sudo().call_activity_id = activity
        return self.env._("Activity for %(user)s.", user=user.name)

    def action_open_promise(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "credit.promise",
            "res_id": self.promise_id.id,
            "view_mode": "form",
        }

    def action_open_payment_plan(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "credit.payment.plan",
            "res_id": self.payment_plan_id.id,
            "view_mode": "form",
        }
