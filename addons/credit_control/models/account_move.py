from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools import payment_prediction
from .res_partner import CREDIT_STAFF_GROUPS

# Disputes, promises and plans that pause the follow-up of an invoice while in these states.
OPEN_DISPUTE_STATES = ("new", "in_progress")
OPEN_PROMISE_STATES = ("open",)
ACTIVE_PLAN_STATES = ("active",)
# An open invoice: posted and not (fully) paid. Its open items are ``account.move.line._credit_open_item_sql``.
OPEN_INVOICE_PAYMENT_STATES = ("not_paid", "partial")
# Who may see, on an invoice, the disputes, promises and plans that cover it.
CREDIT_GROUPS = "credit_control.group_credit_control_user,sales_team.group_sale_salesman"

# Payment prediction: the customer's payments of the last two years count, a payment's weight halves every
# half-life, and the segment's behaviour counts as PRIOR_WEIGHT payments of the customer's own. A segment
# (or the company) needs PRIOR_MIN_PAYMENTS payments before its behaviour is used as the prior.
PREDICTION_HISTORY_DAYS = 730
PREDICTION_HALF_LIFE_DAYS = 180
PREDICTION_PRIOR_WEIGHT = 3.0
PREDICTION_PRIOR_MIN_PAYMENTS = 5
PREDICTION_CHUNK = 5000
PREDICTION_BASES = [
    ("history", "Own payment history"),
    ("segment", "Segment (no own history)"),
    ("company", "Company average (no own history)"),
    ("default", "No history: the due date"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_action_count = fields.Integer(
        string="Follow-up Actions", compute="_compute_credit_action_count", groups=CREDIT_STAFF_GROUPS
    )
    credit_dispute_ids = fields.Many2many(
        "credit.dispute",
        "credit_dispute_account_move_rel",
        "move_id",
        "dispute_id",
        string="Disputes",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_promise_ids = fields.Many2many(
        "credit.promise",
        "credit_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Promises",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_plan_ids = fields.Many2many(
        "credit.payment.plan",
        "credit_payment_plan_account_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_pause_info = fields.Char(
        string="Follow-up Paused",
        compute="_compute_credit_pause_info",
        help="The open dispute, promise to pay or active payment plan that covers this invoice.",
        groups=CREDIT_GROUPS,
    )

    # Payment prediction (stored by the nightly run, see _credit_compute_predictions)
    credit_expected_payment_date = fields.Date(
        string="Expected Payment",
        index=True,
        readonly=True,
        copy=False,
        help="When the customer is expected to pay this invoice (its last open installment): the due date plus "
        "the days late expected from the customer's payment history, at the last prediction run.",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_expected_days_late = fields.Float(
        digits=(16, 1),
        readonly=True,
        copy=False,
        help="Days after the due date the customer is expected to pay (negative: before it): a mean of its "
        "past payments, recent ones weighing more, pulled towards its segment's behaviour when it has little history.",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_prediction_std = fields.Float(
        string="Uncertainty (± days)",
        digits=(16, 1),
        readonly=True,
        copy=False,
        help="Standard deviation of the expected days late: about two in three payments fall within this many "
        "days of the expected date.",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_prediction_basis = fields.Selection(
        PREDICTION_BASES,
        readonly=True,
        copy=False,
        help="What the prediction rests on: the customer's own payments (pulled towards its segment's), or, "
        "without own payments, its segment's behaviour, the company's, or nothing (then the due date).",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_prediction_weight = fields.Float(
        string="Weight of Own History",
        digits=(16, 2),
        readonly=True,
        copy=False,
        help="Share of the customer's own payments in the prediction; the rest is its segment's behaviour.",
        groups=CREDIT_STAFF_GROUPS,
    )

    def init(self):
        result = super().init()
        # The credit check counts its customer's draft invoices and credit notes in the exposure
        # (``res.partner._credit_exposure_and_overdue``): found per customer, not among all draft entries.
        create_index(
            self.env.cr,
            "account_move_credit_draft_invoice_idx",
            self._table,
            ["commercial_partner_id", "company_id"],
            where="state = 'draft' AND move_type IN ('out_invoice', 'out_refund')",
        )
        return result

    def _compute_credit_action_count(self):
        for move in self:
            move.credit_action_count = len(move.line_ids.credit_action_ids)

    @api.depends(
        "credit_dispute_ids.state",
        "credit_promise_ids.state",
        "credit_promise_ids.date_grace_end",
        "credit_plan_ids.state",
    )
    def _compute_credit_pause_info(self):
        for move, covered in self._credit_pause_records().items():
            move.credit_pause_info = ", ".join(record.display_name for record in covered) or False

    def _credit_pause_records(self, today=None):
        """{invoice: [the disputes, plans and promises that pause its follow-up on ``today``]}.

        What pauses follow-up, for the ORM (the invoice's banner, the portal's badges); the daily run's SQL
        says the same in ``account.move.line._credit_exclusion_sql``: an open dispute, an active payment
        plan, an open promise to pay until its date plus the grace days, the customer's insolvency case from its
        judgment date (sudo: a portal customer sees the badge, not the case), the customer's reply still to handle
        until its ``pause_until``.
        """
        today = today or fields.Date.context_today(self)
        cases = self.env["credit.insolvency"]._credit_active_cases(self.commercial_partner_id, self.company_id, today)
        replies = self.env["credit.reply"]._credit_pausing(self.commercial_partner_id, self.company_id, today)
        return {
            move: [
                *move.credit_dispute_ids.filtered(lambda d: d.state in OPEN_DISPUTE_STATES),
                *move.credit_plan_ids.filtered(lambda p: p.state in ACTIVE_PLAN_STATES),
                *move.credit_promise_ids.filtered(
                    lambda p: p.state in OPEN_PROMISE_STATES and (not p.date_grace_end or today <= p.date_grace_end)
                ),
                *cases.filtered(
                    lambda c, m=move: c.partner_id == m.commercial_partner_id and c.company_id == m.company_id
                ),
                *replies.filtered(
                    lambda r, m=move: r.partner_id == m.commercial_partner_id and r.company_id == m.company_id
                ),
            ]
            for move in self
        }

    @api.model
    def _credit_open_invoice_domain(self):
        """What an open invoice is: a posted customer invoice not (fully) paid."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_INVOICE_PAYMENT_STATES),
        ]

    def action_credit_view_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_action_history_action")
        action["domain"] = [("id", "in", self.line_ids.credit_action_ids.ids)]
        return action

    def action_credit_dispute(self):
        """The dispute form, prefilled with this invoice (the invoice form's Dispute button)."""
        self._credit_check_open_invoices(self.commercial_partner_id[:1])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "credit.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_move_ids": self.ids,
            },
        }

    def action_credit_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dispute_action")
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id, "default_move_ids": self.ids}
        return action

    # ------------------------------------------------------------------
    # Helpers for disputes, promises and payment plans
    # ------------------------------------------------------------------

    def _credit_check_open_invoices(self, partner):
        """Raise a ``UserError`` unless these are open posted customer invoices of ``partner``'s
        commercial entity, all in one company."""
        commercial = partner.commercial_partner_id
        if not self:
            raise UserError(self.env._("Choose at least one open invoice."))
        wrong = self.filtered(
            lambda m: m.move_type != "out_invoice" or m.state != "posted" or m.commercial_partner_id != commercial
        )
        if wrong:
            raise UserError(
                self.env._(
                    "%(invoices)s: not a posted invoice of %(customer)s. Choose only that customer's open invoices.",
                    invoices=", ".join(wrong.mapped("display_name")),
                    customer=commercial.display_name,
                )
            )
        paid = self.filtered(lambda m: m.payment_state in ("paid", "in_payment", "reversed") or not m.amount_residual)
        if paid:
            raise UserError(
                self.env._(
                    "%(invoices)s: already paid. Choose only invoices that are still open.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        if len(self.company_id) > 1:
            raise UserError(self.env._("Choose invoices of one company only."))
        return commercial

    def _credit_open_residual(self):
        """What is still open on these invoices, in company currency."""
        company = self.company_id[:1] or self.env.company
        return company.currency_id.round(sum(self.mapped("amount_residual_signed")))

    def _credit_responsible_user(self, partner):
        """Who handles a customer's request about these invoices: the customer's collector, else the
        invoices' salesperson, else the current user (an administrator when that is a portal user)."""
        company = self.company_id[:1] or self.env.company
        user = partner.commercial_partner_id.with_company(company).sudo().credit_collector_id
        user = user or self.invoice_user_id.filtered(lambda u: not u.share)[:1]
        if not user:
            user = self.env.user if not self.env.user.share else self.env.ref("base.user_admin")
        return user

    # ------------------------------------------------------------------
    # Posting, and credit notes that resolve a dispute
    # ------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.line_ids._credit_refresh_partner_statistics()
        refunds = posted.filtered(lambda m: m.move_type == "out_refund")
        if refunds:
            self.env["credit.dispute"].sudo().search(
                [("credit_note_id", "in", refunds.ids), ("state", "in", OPEN_DISPUTE_STATES)]
            )._resolve_by_credit_note()
        return posted

    def _reverse_moves(self, default_values_list=None, cancel=False):
        """A credit note made from a dispute (``credit_dispute_id`` in the context, set by the dispute's
        *Credit Note* button on Odoo's reversal wizard) is linked to it; posting it resolves the dispute."""
        dispute = self._credit_dispute_from_context()
        reverse_moves = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        if dispute:
            credit_notes = reverse_moves.filtered(lambda m: m.move_type == "out_refund")
            if credit_notes:
                dispute._link_credit_notes(credit_notes)
        return reverse_moves

    def _credit_dispute_from_context(self):
        """The dispute named by ``credit_dispute_id`` in the context (sudo), once checked: the current user is
        credit staff of the dispute's company, the dispute is open and covers every invoice credited here.
        Anyone can put an id in a context, so nothing is trusted before that. Raises otherwise."""
        dispute_id = self.env.context.get("credit_dispute_id")
        if not dispute_id or not self:  # the reversal wizard reverses in batches, some of them empty
            return self.env["credit.dispute"]
        if not isinstance(dispute_id, int) or not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit staff can resolve a dispute with a credit note."))
        dispute = self.env["credit.dispute"].sudo().browse(dispute_id).exists()
        if (
            not dispute
            or dispute.company_id not in self.env.user.company_ids
            or dispute.state not in OPEN_DISPUTE_STATES
            or self - dispute.move_ids
        ):
            raise UserError(
                self.env._(
                    "This credit note cannot resolve that dispute: credit only the invoices of an open dispute of "
                    "your company, from the dispute's Credit Note button."
                )
            )
        return dispute

    def button_draft(self):
        """An invoice reset to draft for a correction keeps its promises and plans (decided once it is posted
        again); see ``unlink`` for one that is deleted."""
        lines = self.line_ids
        result = super().button_draft()
        lines.exists()._credit_refresh_partner_statistics()
        return result

    def unlink(self):
        """A deleted invoice will not be paid: its open promises and draft or active plans are cancelled
        (never kept or done)."""
        self._credit_cancel_arrangements()
        return super().unlink()

    def _credit_cancel_arrangements(self):
        """Cancel the open promises and draft or active payment plans of these invoices, which will not be paid."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            return
        for model, states in (("credit.promise", ("proposed", "open")), ("credit.payment.plan", ("draft", "active"))):
            records = self.env[model].sudo().search([("move_ids", "in", invoices.ids), ("state", "in", states)])
            for record in records:
                record._cancel_void(record.move_ids & invoices)

    # ------------------------------------------------------------------
    # Payment prediction (nightly, set-based)
    # ------------------------------------------------------------------

    @api.model
    def _credit_payment_history(self, company, date_from, date_to):
        """The paid customer invoice items of ``company`` paid from ``date_from`` to ``date_to``, in one query.

        Rows (commercial partner id, its segment id, due date, paid date, days late, invoice date), oldest
        payment first. The paid date is the date of the item's last partial reconciliation (as for the
        statistics); days late = paid date - due date, negative when paid early. An invoice cancelled by its
        credit note was not paid and does not count.
        """
        for model in ("account.move.line", "account.partial.reconcile", "account.move", "res.partner"):
            self.env[model].flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT cp.id, (cp.credit_segment_id ->> %(key)s)::int, aml.date_maturity, paid.date,
                       paid.date - aml.date_maturity, m.invoice_date
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 CROSS JOIN LATERAL (
                        SELECT MAX(apr.max_date) AS date
                          FROM account_partial_reconcile apr
                         WHERE apr.debit_move_id = aml.id
                 ) paid
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND aml.reconciled
                   AND aml.balance > 0
                   AND aml.date_maturity IS NOT NULL
                   AND m.move_type = 'out_invoice'
                   AND m.payment_state != 'reversed'
                   AND paid.date BETWEEN %(date_from)s AND %(date_to)s
              ORDER BY paid.date, aml.id
                """,
                key=str(company.id),
                company=company.id,
                date_from=date_from,
                date_to=date_to,
            )
        )

    @api.model
    def _credit_compute_predictions(self, company, today=None):
        """Predict when every open customer invoice of ``company`` will be paid, and store it; then the
        customers' expected overdue amounts. Set-based: one query for the payment history of all customers,
        one for the open invoices, one UPDATE per chunk of invoices, one to clear paid ones, one for the
        customers - whatever the number of customers (the loop in between runs no query).

        The invoice gets the date of its last open installment (due date + expected days late, never before
        the invoice date). Returns the number of open invoices predicted.
        """
        today = today or fields.Date.context_today(self)
        history = self._credit_payment_history(company, today - timedelta(days=PREDICTION_HISTORY_DAYS), today)
        by_partner = defaultdict(list)
        segment_sums = defaultdict(lambda: [0, 0.0, 0.0])
        company_sums = [0, 0.0, 0.0]
        for partner_id, segment_id, _due, paid_date, days_late, _invoice_date in history:
            by_partner[partner_id].append((paid_date, days_late))
            for sums in (segment_sums[segment_id], company_sums):
                sums[0] += 1
                sums[1] += days_late
                sums[2] += days_late * days_late
        company_prior = payment_prediction.prior_from_sums(*company_sums)
        segment_priors = {
            segment_id: payment_prediction.prior_from_sums(*sums)
            for segment_id, sums in segment_sums.items()
            if segment_id
        }
        key = str(company.id)
        open_moves = self.env.execute_query(
            SQL(
                """
                SELECT m.id, cp.id, (cp.credit_segment_id ->> %(key)s)::int, MAX(aml.date_maturity), m.invoice_date
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND aml.amount_residual > 0
                   AND aml.date_maturity IS NOT NULL
                   AND m.move_type = 'out_invoice'
              GROUP BY m.id, cp.id, m.invoice_date
                """,
                key=key,
                company=company.id,
            )
        )
        predictions = {}
        values = []
        for move_id, partner_id, segment_id, last_due, invoice_date in open_moves:
            if partner_id not in predictions:
                prior, source = payment_prediction.choose_prior(
                    segment_priors.get(segment_id), company_prior, min_count=PREDICTION_PRIOR_MIN_PAYMENTS
                )
                prediction = payment_prediction.expected_days_late(
                    by_partner.get(partner_id, []),
                    today,
                    half_life_days=PREDICTION_HALF_LIFE_DAYS,
                    prior_mean=prior.mean,
                    prior_weight=PREDICTION_PRIOR_WEIGHT,
                    prior_std=prior.std,
                )
                rounded = payment_prediction.Prediction(
                    payment_prediction.round_days(prediction.days_late),
                    payment_prediction.round_days(prediction.std_days),
                    prediction.weight,
                )
                share = prediction.weight / (prediction.weight + PREDICTION_PRIOR_WEIGHT)
                basis = "history" if prediction.weight else source
                predictions[partner_id] = (rounded, basis, round(share, 2))
            rounded, basis, share = predictions[partner_id]
            expected = payment_prediction.expected_payment_date(last_due, rounded, invoice_date)
            values.append((move_id, expected, rounded.days_late, rounded.std_days, basis, share))
        # paid (or reset) invoices keep no prediction: they are no longer expected
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move
                   SET credit_expected_payment_date = NULL, credit_expected_days_late = NULL,
                       credit_prediction_std = NULL, credit_prediction_basis = NULL, credit_prediction_weight = NULL
                 WHERE company_id = %(company)s
                   AND credit_expected_payment_date IS NOT NULL
                   AND (state != 'posted' OR payment_state NOT IN %(open_states)s)
                """,
                company=company.id,
                open_states=OPEN_INVOICE_PAYMENT_STATES,
            )
        )
        for start in range(0, len(values), PREDICTION_CHUNK):
            chunk = values[start : start + PREDICTION_CHUNK]
            columns = list(zip(*chunk, strict=True))
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_move m
                       SET credit_expected_payment_date = v.expected, credit_expected_days_late = v.days,
                           credit_prediction_std = v.std, credit_prediction_basis = v.basis,
                           credit_prediction_weight = v.share
                      FROM unnest(%s::int[], %s::date[], %s::numeric[], %s::numeric[], %s::varchar[], %s::numeric[])
                           AS v(id, expected, days, std, basis, share)
                     WHERE m.id = v.id
                       AND (m.credit_expected_payment_date, m.credit_expected_days_late, m.credit_prediction_std,
                            m.credit_prediction_basis, m.credit_prediction_weight)
                           IS DISTINCT FROM (v.expected, v.days, v.std, v.basis, v.share)
                    """,
                    *(list(column) for column in columns),
                )
            )
        self.invalidate_model(
            [
                "credit_expected_payment_date",
                "credit_expected_days_late",
                "credit_prediction_std",
                "credit_prediction_basis",
                "credit_prediction_weight",
            ]
        )
        self.env["res.partner"]._credit_compute_expected_overdue(company, today)
        return len(values)

    def action_credit_refresh_predictions(self):
        """Recompute the payment predictions of the current company now (managers)."""
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can refresh the payment predictions."))
        count = self.sudo()._credit_compute_predictions(self.env.company)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Payment predictions refreshed for %(count)s open invoices.", count=count),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
