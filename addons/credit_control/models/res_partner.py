import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError
from odoo.tools import SQL, config, format_date, formatLang

from ..tools import channel_ranking, payment_anomaly

_logger = logging.getLogger(__name__)

# Fields a salesperson may read but only credit staff may write.
CREDIT_USER_FIELDS = {
    "credit_collector_id",
    "credit_channel",
    "credit_hold",
    "credit_hold_reason",
    "credit_rating",
    "credit_rating_date",
    "credit_rating_source",
}
CREDIT_MANAGER_FIELDS = {
    "credit_limit",
    "use_partner_credit_limit",
    "credit_segment_id",
    "credit_segment_mode",
    "credit_proposed_segment_id",
    "credit_rejected_segment_id",
}
# Written only by the statistics run (SQL) - never by a user.
CREDIT_STAT_FIELDS = {
    "credit_open_amount",
    "credit_overdue_amount",
    "credit_avg_days_late",
    "credit_late_ratio",
    "credit_promise_kept_rate",
    "credit_expected_overdue",
}
# Behaviour is measured on the items that fell due in this many days before today.
BEHAVIOUR_WINDOW_DAYS = 365
# Written only by the nightly early-warning and best-channel steps (SQL and system writes) - never by a user.
CREDIT_SIGNAL_FIELDS = {
    "credit_warning_date",
    "credit_warning_reason",
    "credit_best_channel",
    "credit_best_channel_evidence",
}
# Early warnings (rule: tools/payment_anomaly.is_late_anomaly): the days late of the items paid in the last
# ANOMALY_RECENT_DAYS days are compared with those paid in the ANOMALY_BASELINE_DAYS before them (15 months in all).
ANOMALY_RECENT_DAYS = 90
ANOMALY_BASELINE_DAYS = 365
# A customer warned about its payments is not warned again within this many days, nor while the warning is open.
WARNING_QUIET_DAYS = 90
# Best channel (tools/channel_ranking.best_channel): the reminders done in the last BEST_CHANNEL_HISTORY_DAYS days;
# one counts as paid when all the items it covered were paid within BEST_CHANNEL_WINDOW_DAYS days.
BEST_CHANNEL_HISTORY_DAYS = 365
BEST_CHANNEL_WINDOW_DAYS = 30
BEST_CHANNEL_CHANNELS = ["email", "letter", "sms", "whatsapp", "phone"]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Segment and collector (per company)
    # ------------------------------------------------------------------
    credit_segment_id = fields.Many2one(
        "credit.segment",
        company_dependent=True,
        domain="[('company_id', 'in', [current_company_id, False])]",
    )
    credit_segment_mode = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual (locked)"), ("proposed", "Proposed, then confirmed")],
        string="Segment Assignment",
        company_dependent=True,
        help="Automatic: the nightly run moves the customer between segments. "
        "Manual: the segment stays as set. Proposed: the nightly run proposes a segment "
        "that a credit manager confirms or rejects.",
    )
    credit_proposed_segment_id = fields.Many2one("credit.segment", string="Proposed Segment", company_dependent=True)
    credit_rejected_segment_id = fields.Many2one(
        "credit.segment",
        string="Rejected Segment",
        company_dependent=True,
        help="The last proposal a credit manager rejected; it is not proposed again.",
    )
    credit_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("credit_control.group_credit_control_user").id)],
    )
    credit_channel = fields.Selection(
        [
            ("email", "Email"),
            ("letter", "Letter"),
            ("sms", "SMS"),
            ("whatsapp", "WhatsApp"),
            ("phone", "Phone"),
        ],
        string="Preferred Channel",
        default="email",
        help="How the customer prefers to be contacted about payments.",
    )

    # ------------------------------------------------------------------
    # Credit hold (per company)
    # ------------------------------------------------------------------
    credit_hold = fields.Boolean(
        string="On Credit Hold",
        company_dependent=True,
        help="No sale order of this customer can be confirmed without a credit manager's override.",
    )
    credit_hold_reason = fields.Char(string="Hold Reason", company_dependent=True)

    # ------------------------------------------------------------------
    # Behaviour statistics (per company, stored by the nightly run)
    # ------------------------------------------------------------------
    credit_open_amount = fields.Float(
        string="Open Amount",
        company_dependent=True,
        readonly=True,
        digits="Account",
        help="Open receivable balance in company currency, at the last statistics run.",
    )
    credit_overdue_amount = fields.Float(
        string="Overdue Amount",
        company_dependent=True,
        readonly=True,
        digits="Account",
        help="Receivable balance past its due date in company currency, at the last statistics run.",
    )
    credit_avg_days_late = fields.Float(
        string="Average Days Late",
        company_dependent=True,
        readonly=True,
        digits=(16, 1),
        help="Average number of days after the due date that the items due in the last 12 months were "
        "paid (or, when still open, have been overdue until today). Paid on time counts as 0.",
    )
    credit_late_ratio = fields.Float(
        string="Late Ratio",
        company_dependent=True,
        readonly=True,
        digits=(16, 4),
        help="Share of the items due in the last 12 months that were paid late or are still overdue.",
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
    )

    credit_promise_kept_rate = fields.Float(
        string="Promises Kept",
        company_dependent=True,
        readonly=True,
        digits=(16, 4),
        help="Share of the customer's promises to pay that were kept, of those kept or broken.",
    )

    # ------------------------------------------------------------------
    # External rating
    # ------------------------------------------------------------------
    credit_rating = fields.Char(help="Grade or score from an external credit bureau, e.g. 'A', 'BB+' or '72'.")
    credit_rating_date = fields.Date(string="Rating Date")
    credit_rating_source = fields.Char(string="Rating Source", help="The bureau, e.g. Graydon, Creditsafe, D&B.")

    # ------------------------------------------------------------------
    # Early warnings and best channel (per company, stored by the nightly run)
    # ------------------------------------------------------------------
    credit_warning_date = fields.Date(
        string="Last Warning",
        company_dependent=True,
        readonly=True,
        help="When the collector was last warned that this customer pays clearly later than usual or that its "
        "credit rating dropped.",
    )
    credit_warning_reason = fields.Char(string="Warning Reason", company_dependent=True, readonly=True)
    credit_best_channel = fields.Selection(
        [
            ("email", "Email"),
            ("letter", "Letter"),
            ("sms", "SMS"),
            ("whatsapp", "WhatsApp"),
            ("phone", "Phone"),
        ],
        string="Suggested Channel",
        company_dependent=True,
        readonly=True,
        help="The reminder channel after which this customer (or, without enough history, its segment) paid "
        "most often and soonest in the last 12 months.",
    )
    credit_best_channel_evidence = fields.Char(string="Channel Evidence", company_dependent=True, readonly=True)

    # ------------------------------------------------------------------
    # Live figures (not stored: they move with every order and payment)
    # ------------------------------------------------------------------
    credit_currency_id = fields.Many2one("res.currency", compute="_compute_credit_currency_id")
    credit_exposure = fields.Monetary(
        string="Exposure",
        compute="_compute_credit_exposure",
        currency_field="credit_currency_id",
        help="Open receivables + draft invoices + confirmed orders not yet invoiced, in company currency.",
    )
    credit_available = fields.Monetary(
        string="Available Credit",
        compute="_compute_credit_exposure",
        currency_field="credit_currency_id",
        help="Credit limit minus exposure; empty when the customer has no credit limit.",
    )
    credit_over_limit = fields.Boolean(
        string="Over Credit Limit",
        compute="_compute_credit_exposure",
        search="_search_credit_over_limit",
    )
    credit_status = fields.Selection(
        [("ok", "OK"), ("overdue", "Overdue"), ("over_limit", "Over Limit"), ("hold", "On Hold")],
        compute="_compute_credit_exposure",
        help="The most serious of: on credit hold, over the credit limit, amounts overdue.",
    )

    credit_action_count = fields.Integer(string="Follow-up Actions", compute="_compute_credit_action_count")
    credit_can_edit = fields.Boolean(compute="_compute_credit_can_edit")
    credit_can_manage = fields.Boolean(compute="_compute_credit_can_edit")

    def _compute_credit_action_count(self):
        counts = dict(
            self.env["credit.action"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.credit_action_count = counts.get(partner.commercial_partner_id, 0)

    def action_credit_view_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_action_history_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    # Disputes, promises to pay and payment plans (smart buttons)
    credit_dispute_count = fields.Integer(string="Disputes", compute="_compute_credit_arrangement_counts")
    credit_promise_count = fields.Integer(string="Promises", compute="_compute_credit_arrangement_counts")
    credit_plan_count = fields.Integer(string="Payment Plans", compute="_compute_credit_arrangement_counts")

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
        limits = {p.id: p.credit_limit for p in commercial.sudo()}
        for partner in self:
            cp = partner.commercial_partner_id._origin
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
    # Set-based amounts (SQL; one query per figure for any number of partners)
    # ------------------------------------------------------------------

    def _credit_exposure_by_partner(self, company):
        """Exposure per commercial partner of ``self`` in ``company``'s currency.

        Open posted receivables + draft customer invoices/credit notes (lines not coming from a
        sale order, those are counted on the order) + confirmed orders' amount not yet invoiced.
        """
        if not self.ids:
            return {}
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.env["sale.order"].flush_model()
        params = {"company": company.id, "partners": list(self.ids)}
        result = defaultdict(float)
        queries = [
            # open receivables (residual, company currency; credit notes and payments net out)
            SQL(
                """
                SELECT p.commercial_partner_id, SUM(aml.amount_residual)
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND p.commercial_partner_id = ANY(%(partners)s)
              GROUP BY p.commercial_partner_id
                """,
                **params,
            ),
            # draft invoices and credit notes, converted with the move's own rate
            SQL(
                """
                SELECT m.commercial_partner_id,
                       SUM(l.price_total * CASE WHEN m.amount_total = 0 THEN 0
                                                ELSE m.amount_total_signed / m.amount_total END)
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE m.company_id = %(company)s
                   AND m.state = 'draft'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND l.display_type = 'product'
                   AND m.commercial_partner_id = ANY(%(partners)s)
                   AND NOT EXISTS (SELECT 1 FROM sale_order_line_invoice_rel r WHERE r.invoice_line_id = l.id)
              GROUP BY m.commercial_partner_id
                """,
                **params,
            ),
            # confirmed orders, not yet invoiced (taxes included), in company currency
            SQL(
                """
                SELECT p.commercial_partner_id,
                       SUM(sol.untaxed_amount_to_invoice
                           * CASE WHEN sol.price_subtotal = 0 THEN 1 ELSE sol.price_total / sol.price_subtotal END
                           / COALESCE(NULLIF(so.currency_rate, 0), 1))
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s
                   AND so.state = 'sale'
                   AND sol.untaxed_amount_to_invoice <> 0
                   AND p.commercial_partner_id = ANY(%(partners)s)
              GROUP BY p.commercial_partner_id
                """,
                **params,
            ),
        ]
        for query in queries:
            for partner_id, amount in self.env.execute_query(query):
                result[partner_id] += amount or 0.0
        return {pid: company.currency_id.round(amount) for pid, amount in result.items()}

    def _credit_overdue_by_partner(self, company, days=0, today=None):
        """Receivable balance due more than ``days`` days before ``today``, per commercial partner.

        Credits already due net out; the result is never more than the whole open balance (an
        unallocated payment or a credit note covers overdue invoices) nor less than zero.
        """
        if not self.ids:
            return {}
        today = today or fields.Date.context_today(self)
        self.env["account.move.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id,
                       LEAST(COALESCE(SUM(aml.amount_residual)
                                      FILTER (WHERE aml.date_maturity < %(limit_date)s::date - %(days)s), 0),
                             SUM(aml.amount_residual))
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND p.commercial_partner_id = ANY(%(partners)s)
              GROUP BY p.commercial_partner_id
                """,
                company=company.id,
                limit_date=today,
                days=days,
                partners=list(self.ids),
            )
        )
        return {pid: max(company.currency_id.round(amount or 0.0), 0.0) for pid, amount in rows}

    @api.model
    def _credit_partner_filters(self, partner_ids):
        """SQL conditions that restrict a per-customer statistics statement to the commercial partners
        ``partner_ids``: one on the items' partner (alias ``p``), one on the partners updated (alias ``rp``).
        Empty conditions when ``partner_ids`` is None (all customers)."""
        if partner_ids is None:
            return SQL(""), SQL("")
        return (
            SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)),
            SQL("AND rp.id = ANY(%s)", list(partner_ids)),
        )

    @api.model
    def _credit_compute_statistics(self, company, partner_ids=None, today=None):
        """Recompute the stored behaviour statistics of ``company`` in one SQL statement.

        ``partner_ids``: restrict to these commercial partners (e.g. after a payment); all
        partners with receivables otherwise. The number of queries does not depend on the number
        of partners. Returns the number of partners whose figures changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        key = str(company.id)
        partner_filter, target_filter = self._credit_partner_filters(partner_ids)
        query = SQL(
            """
            WITH items AS (
                SELECT p.commercial_partner_id AS partner_id,
                       aml.amount_residual,
                       aml.balance,
                       aml.reconciled,
                       aml.date_maturity,
                       CASE
                         WHEN aml.balance <= 0 OR aml.date_maturity >= %(today)s
                              OR aml.date_maturity < %(today)s::date - %(window)s THEN NULL
                         WHEN aml.reconciled THEN GREATEST(
                              (SELECT MAX(apr.max_date) FROM account_partial_reconcile apr
                                WHERE apr.debit_move_id = aml.id) - aml.date_maturity, 0)
                         ELSE %(today)s::date - aml.date_maturity
                       END AS days_late
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND (NOT aml.reconciled OR aml.date_maturity >= %(today)s::date - %(window)s)
                   %(partner_filter)s
            ),
            stats AS (
                SELECT partner_id,
                       ROUND(COALESCE(SUM(amount_residual) FILTER (WHERE NOT reconciled), 0)::numeric, 2)
                           AS open_amount,
                       -- overdue items, net of credits already due; never more than the customer owes
                       ROUND(GREATEST(LEAST(
                             COALESCE(SUM(amount_residual)
                                      FILTER (WHERE NOT reconciled AND date_maturity < %(today)s), 0),
                             COALESCE(SUM(amount_residual) FILTER (WHERE NOT reconciled), 0)), 0)::numeric, 2)
                           AS overdue,
                       ROUND(COALESCE(AVG(days_late), 0)::numeric, 1) AS avg_days_late,
                       ROUND(COALESCE(COUNT(*) FILTER (WHERE days_late > 0)::numeric
                             / NULLIF(COUNT(days_late), 0), 0), 4) AS late_ratio
                  FROM items
              GROUP BY partner_id
            ),
            target AS (
                SELECT rp.id,
                       COALESCE(s.open_amount, 0) AS open_amount,
                       COALESCE(s.overdue, 0) AS overdue,
                       COALESCE(s.avg_days_late, 0) AS avg_days_late,
                       COALESCE(s.late_ratio, 0) AS late_ratio
                  FROM res_partner rp
             LEFT JOIN stats s ON s.partner_id = rp.id
                 WHERE (s.partner_id IS NOT NULL OR rp.credit_open_amount ? %(key)s
                        OR rp.credit_overdue_amount ? %(key)s OR rp.credit_avg_days_late ? %(key)s)
                   %(target_filter)s
            )
            UPDATE res_partner p
               SET credit_open_amount = COALESCE(p.credit_open_amount, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.open_amount),
                   credit_overdue_amount = COALESCE(p.credit_overdue_amount, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.overdue),
                   credit_avg_days_late = COALESCE(p.credit_avg_days_late, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.avg_days_late),
                   credit_late_ratio = COALESCE(p.credit_late_ratio, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.late_ratio)
              FROM target t
             WHERE p.id = t.id
               AND ((p.credit_open_amount ->> %(key)s)::numeric IS DISTINCT FROM t.open_amount
                 OR (p.credit_overdue_amount ->> %(key)s)::numeric IS DISTINCT FROM t.overdue
                 OR (p.credit_avg_days_late ->> %(key)s)::numeric IS DISTINCT FROM t.avg_days_late
                 OR (p.credit_late_ratio ->> %(key)s)::numeric IS DISTINCT FROM t.late_ratio)
            """,
            today=today,
            window=BEHAVIOUR_WINDOW_DAYS,
            company=company.id,
            key=key,
            partner_filter=partner_filter,
            target_filter=target_filter,
        )
        self.env.cr.execute(query)
        changed = self.env.cr.rowcount
        self.invalidate_model(list(CREDIT_STAT_FIELDS))
        return changed

    @api.model
    def _credit_compute_expected_overdue(self, company, today=None, partner_ids=None):
        """Store each customer's expected overdue amount in ``company`` (see the field's help) in one SQL
        statement, from the open items and their invoices' stored predictions. ``partner_ids``: only these
        commercial partners. Returns the number of partners whose figure changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        key = str(company.id)
        partner_filter, target_filter = self._credit_partner_filters(partner_ids)
        self.env.cr.execute(
            SQL(
                """
                WITH stats AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           ROUND(GREATEST(LEAST(
                                 COALESCE(SUM(aml.amount_residual) FILTER (
                                     WHERE aml.date_maturity < %(today)s
                                        OR ROUND(COALESCE(m.credit_expected_days_late, 0)) > 0), 0),
                                 SUM(aml.amount_residual)), 0)::numeric, 2) AS expected_overdue
                      FROM account_move_line aml
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND NOT aml.reconciled
                       %(partner_filter)s
                  GROUP BY p.commercial_partner_id
                ),
                target AS (
                    SELECT rp.id, COALESCE(s.expected_overdue, 0) AS expected_overdue
                      FROM res_partner rp
                 LEFT JOIN stats s ON s.partner_id = rp.id
                     WHERE (s.partner_id IS NOT NULL OR rp.credit_expected_overdue ? %(key)s)
                       %(target_filter)s
                )
                UPDATE res_partner p
                   SET credit_expected_overdue = COALESCE(p.credit_expected_overdue, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, t.expected_overdue)
                  FROM target t
                 WHERE p.id = t.id
                   AND (p.credit_expected_overdue ->> %(key)s)::numeric IS DISTINCT FROM t.expected_overdue
                """,
                today=today,
                company=company.id,
                key=key,
                partner_filter=partner_filter,
                target_filter=target_filter,
            )
        )
        self.invalidate_model(["credit_expected_overdue"])
        return self.env.cr.rowcount

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

    @api.model_create_multi
    def create(self, vals_list):
        # Defaults (channel, assignment mode) are filled in for everyone; only real values are checked.
        harmless = {"credit_channel", "credit_segment_mode"}
        for vals in vals_list:
            self._credit_check_write_access({k: v for k, v in vals.items() if v and k not in harmless})
        return super().create(vals_list)

    def write(self, vals):
        self._credit_check_write_access(vals)
        tracked = self._credit_track_before(vals)
        ratings = {partner.id: partner.credit_rating for partner in self} if "credit_rating" in vals else {}
        if (
            "credit_segment_id" in vals
            and "credit_segment_mode" not in vals
            and not self.env.context.get("credit_segment_system")
        ):
            # A segment chosen by hand is locked, otherwise the nightly run would move it back.
            vals = dict(vals, credit_segment_mode="manual")
        result = super().write(vals)
        self._credit_track_after(tracked)
        if ratings:
            self._credit_warn_rating_drops(ratings)
        return result

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
                    body = self.env._(
                        "Credit hold set for %(company)s by %(user)s. Reason: %(reason)s",
                        company=company.name,
                        user=self.env.user.name,
                        reason=partner.credit_hold_reason or self.env._("none given"),
                    )
                else:
                    body = self.env._(
                        "Credit hold released for %(company)s by %(user)s.",
                        company=company.name,
                        user=self.env.user.name,
                    )
                # a note in the chatter, without notifying followers (the daily run may hold thousands)
                partner._message_log(body=body)

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

    def action_credit_refresh_statistics(self):
        """Recompute this customer's statistics now instead of waiting for the nightly run."""
        self._credit_compute_statistics(self.env.company, partner_ids=self.commercial_partner_id.ids)
        return True

    # ------------------------------------------------------------------
    # Early warnings: paying later than usual, a dropped credit rating
    # ------------------------------------------------------------------

    @api.model
    def _credit_detect_anomalies(self, company, today=None):
        """Warn about the customers of ``company`` who pay their recent invoices clearly later than before.

        One query fetches, per customer, the days late of the receivable items paid (last partial
        reconciliation) in the last ``ANOMALY_RECENT_DAYS`` days and in the ``ANOMALY_BASELINE_DAYS`` before;
        ``tools.payment_anomaly.is_late_anomaly`` decides. A customer warned in the last ``WARNING_QUIET_DAYS``
        days, or whose warning activity is still open, is not warned again. Returns the customers warned.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH paid AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           MAX(apr.max_date) AS paid_date,
                           GREATEST(MAX(apr.max_date) - aml.date_maturity, 0) AS days_late
                      FROM account_move_line aml
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND aml.reconciled
                       AND aml.balance > 0
                       AND aml.date_maturity IS NOT NULL
                       AND apr.max_date > %(today)s::date - %(history)s
                  GROUP BY p.commercial_partner_id, aml.id
                    HAVING MAX(apr.max_date) <= %(today)s
                )
                SELECT partner_id,
                       ARRAY_AGG(days_late ORDER BY paid_date) FILTER (WHERE paid_date <= %(today)s::date - %(recent)s),
                       ARRAY_AGG(days_late ORDER BY paid_date) FILTER (WHERE paid_date > %(today)s::date - %(recent)s)
                  FROM paid
              GROUP BY partner_id
                HAVING COUNT(*) FILTER (WHERE paid_date > %(today)s::date - %(recent)s) > 0
                """,
                company=company.id,
                today=today,
                history=ANOMALY_RECENT_DAYS + ANOMALY_BASELINE_DAYS,
                recent=ANOMALY_RECENT_DAYS,
            )
        )
        evidence_by_partner = {}
        for partner_id, baseline, recent in rows:
            anomaly, evidence = payment_anomaly.is_late_anomaly(baseline or [], recent or [])
            if anomaly:
                evidence_by_partner[partner_id] = evidence
        partners = self.browse(list(evidence_by_partner)).with_company(company)._credit_may_warn(today)

        def number(value):
            return formatLang(self.env, value, digits=1)

        warnings = {}
        for partner in partners:
            evidence = evidence_by_partner[partner.id]
            note = self.env._(
                "In the last %(recent_days)s days %(recent_count)s payments were on average %(recent_mean)s days "
                "late, against %(baseline_mean)s days (standard deviation %(baseline_std)s, %(baseline_count)s "
                "payments) in the %(baseline_days)s days before: %(excess)s days later, more than the margin of "
                "%(margin)s days.",
                recent_days=ANOMALY_RECENT_DAYS,
                recent_count=evidence["recent_count"],
                recent_mean=number(evidence["recent_mean"]),
                baseline_mean=number(evidence["baseline_mean"]),
                baseline_std=number(evidence["baseline_std"]),
                baseline_count=evidence["baseline_count"],
                baseline_days=ANOMALY_BASELINE_DAYS,
                excess=number(evidence["excess"]),
                margin=number(evidence["margin"]),
            )
            warnings[partner.id] = {
                "summary": self.env._("Early warning: paying later than usual"),
                "note": note,
                "reason": self.env._(
                    "Paying later than usual: %(recent_mean)s days late on average recently, against "
                    "%(baseline_mean)s before",
                    recent_mean=number(evidence["recent_mean"]),
                    baseline_mean=number(evidence["baseline_mean"]),
                ),
            }
        partners._credit_raise_warnings(company, today, warnings)
        _logger.info("credit_control: %s early warnings on payment behaviour in %s", len(partners), company.name)
        return partners

    def _credit_may_warn(self, today):
        """The customers of ``self`` (in the current company) not warned in the last ``WARNING_QUIET_DAYS`` days
        and without an open warning activity."""
        if not self:
            return self
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        open_warnings = {
            activity.res_id
            for activity in self.env["mail.activity"]
            .sudo()
            .search_fetch(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ],
                ["res_id"],
            )
        }
        quiet_from = today - timedelta(days=WARNING_QUIET_DAYS)
        return self.filtered(
            lambda p: p.id not in open_warnings and not (p.credit_warning_date and p.credit_warning_date > quiet_from)
        )

    def _credit_warn_rating_drops(self, old_ratings):
        """After a write of ``credit_rating``: warn at once about every customer whose rating dropped
        (``tools.payment_anomaly.rating_dropped``); a rising or unreadable rating does nothing."""
        dropped = self.filtered(lambda p: payment_anomaly.rating_dropped(old_ratings.get(p.id), p.credit_rating))
        if not dropped:
            return
        company = self.env.company
        today = fields.Date.context_today(self)
        warnings = {}
        for partner in dropped:
            note = self.env._(
                "Credit rating dropped from %(old)s to %(new)s (source: %(bureau)s, rating date: %(date)s).",
                old=old_ratings[partner.id],
                new=partner.credit_rating,
                bureau=partner.credit_rating_source or self.env._("not given"),
                date=format_date(self.env, partner.credit_rating_date) or self.env._("not given"),
            )
            warnings[partner.commercial_partner_id.id] = {
                "summary": self.env._("Early warning: credit rating dropped"),
                "note": note,
                "reason": self.env._(
                    "Credit rating dropped from %(old)s to %(new)s",
                    old=old_ratings[partner.id],
                    new=partner.credit_rating,
                ),
            }
        self.browse(list(warnings)).with_company(company)._credit_raise_warnings(company, today, warnings)

    def _credit_pending_warning_proposals(self):
        """The customers of ``self`` whose segment proposal comes from an early warning, not yet decided."""
        return self.filtered(
            lambda p: (
                p.credit_warning_date
                and p.credit_proposed_segment_id
                and p.credit_proposed_segment_id == p.credit_segment_id.warning_segment_id
            )
        )

    def _credit_raise_warnings(self, company, today, warnings):
        """Warn about the customers of ``self``: ``warnings`` maps each one's id to its summary, note (the
        evidence) and reason.

        The customer's collector (or the responsible user) gets a *Credit Warning* activity; the segment that the
        customer's segment names for warnings is proposed to the credit manager, without changing the assignment
        (a customer in automatic mode switches to proposed so the nightly run does not undo a confirmed proposal;
        a manual lock stays); the chatter tells both. Set-based: a few writes for the whole set.
        """
        if not self:
            return
        partners = self.with_company(company).sudo().with_context(credit_segment_system=True)
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        admin = self.env.ref("base.user_admin")
        Move = self.env["account.move"].with_company(company)
        activity_vals, bodies = [], {}
        proposals, to_proposed_mode = defaultdict(list), []
        for partner in partners:
            warning = warnings[partner.id]
            user = Move._credit_responsible_user(partner)
            if user._is_superuser():  # the nightly run's own user reads no activities
                user = admin
            activity_vals.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "summary": warning["summary"],
                    "note": Markup("<p>%s</p>") % warning["note"],
                    "user_id": user.id,
                    "date_deadline": today,
                }
            )
            body = Markup("<p><strong>%s</strong></p><p>%s</p>") % (warning["summary"], warning["note"])
            target = partner.credit_segment_id.warning_segment_id
            if target and target != partner.credit_segment_id:
                if partner.credit_proposed_segment_id != target:
                    proposals[target.id].append(partner.id)
                if (partner.credit_segment_mode or "auto") == "auto":
                    to_proposed_mode.append(partner.id)
                body += Markup("<p>%s</p>") % self.env._(
                    "Segment %(segment)s proposed for %(company)s; waiting for a credit manager.",
                    segment=target.name,
                    company=company.name,
                )
            bodies[partner.id] = body
        self.env["mail.activity"].sudo().create(activity_vals)
        for target_id, partner_ids in proposals.items():
            partners.browse(partner_ids).write({"credit_proposed_segment_id": target_id})
        if to_proposed_mode:
            partners.browse(to_proposed_mode).write({"credit_segment_mode": "proposed"})
        partners.write({"credit_warning_date": today})
        for reason, group in partners.grouped(lambda p: warnings[p.id]["reason"]).items():
            group.write({"credit_warning_reason": reason})
        partners._message_log_batch(bodies=bodies)

    # ------------------------------------------------------------------
    # Best channel: which reminder channel gets the customer to pay
    # ------------------------------------------------------------------

    @api.model
    def _credit_compute_best_channels(self, company, today=None):
        """Store per customer of ``company`` the reminder channel that worked best, with its evidence.

        Observations (one query for all customers): the done reminders (``BEST_CHANNEL_CHANNELS``) of the last
        ``BEST_CHANNEL_HISTORY_DAYS`` days, with the days from the reminder to the payment of the last of the
        items it covered, or None when they were not all paid within ``BEST_CHANNEL_WINDOW_DAYS`` days (a
        reminder whose window is still running and that is not paid yet is left out). A segment's observations
        are those of its customers. ``tools.channel_ranking.best_channel`` chooses. Written with one UPDATE; the
        number of queries does not depend on the number of customers. Returns the number of customers changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner", "credit.action"):
            self.env[model].flush_model()
        key = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT act.partner_id,
                       (cp.credit_segment_id ->> %(key)s)::int,
                       act.channel,
                       CASE WHEN paid.all_paid AND paid.paid_date <= act.date + %(window)s
                            THEN GREATEST(paid.paid_date - act.date, 0) END
                  FROM credit_action act
                  JOIN res_partner cp ON cp.id = act.partner_id
                  CROSS JOIN LATERAL (
                        SELECT BOOL_AND(aml.reconciled) AS all_paid, MAX(apr.max_date) AS paid_date
                          FROM credit_action_account_move_line_rel rel
                          JOIN account_move_line aml ON aml.id = rel.line_id
                     LEFT JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                         WHERE rel.action_id = act.id
                  ) paid
                 WHERE act.company_id = %(company)s
                   AND act.state = 'done'
                   AND act.channel = ANY(%(channels)s)
                   AND act.date > %(today)s::date - %(history)s
                   AND act.date <= %(today)s
                   AND (act.date <= %(today)s::date - %(window)s
                        OR (paid.all_paid AND paid.paid_date <= %(today)s))
              ORDER BY act.id
                """,
                key=key,
                window=BEST_CHANNEL_WINDOW_DAYS,
                company=company.id,
                channels=BEST_CHANNEL_CHANNELS,
                today=today,
                history=BEST_CHANNEL_HISTORY_DAYS,
            )
        )
        customer_obs, segment_obs = defaultdict(list), defaultdict(list)
        for partner_id, segment_id, channel, days in rows:
            customer_obs[partner_id].append((channel, days))
            if segment_id:
                segment_obs[segment_id].append((channel, days))
        # every customer of a segment with history, and those holding a suggestion that may have to go
        members = self.env.execute_query(
            SQL(
                """
                SELECT id, (credit_segment_id ->> %(key)s)::int
                  FROM res_partner
                 WHERE (credit_segment_id ->> %(key)s)::int = ANY(%(segments)s)
                    OR credit_best_channel ? %(key)s
                    OR id = ANY(%(partners)s)
                """,
                key=key,
                segments=list(segment_obs),
                partners=list(customer_obs),
            )
        )
        segments = self.env["credit.segment"].browse(list(segment_obs))
        names = {segment.id: segment.name for segment in segments}
        channel_labels = dict(self._fields["credit_best_channel"]._description_selection(self.env))
        ids, channels, evidences = [], [], []
        for partner_id, segment_id in members:
            channel, source, row = channel_ranking.best_channel(
                customer_obs.get(partner_id, []), segment_obs.get(segment_id, [])
            )
            if channel:
                ids.append(partner_id)
                channels.append(channel)
                evidences.append(
                    self._credit_channel_evidence(channel_labels[channel], source, row, names.get(segment_id))
                )
        changed = 0
        if ids:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p
                       SET credit_best_channel = COALESCE(p.credit_best_channel, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, v.channel),
                           credit_best_channel_evidence = COALESCE(p.credit_best_channel_evidence, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, v.evidence)
                      FROM unnest(%(ids)s::int[], %(channels)s::varchar[], %(evidences)s::varchar[])
                           AS v(id, channel, evidence)
                     WHERE p.id = v.id
                       AND ((p.credit_best_channel ->> %(key)s) IS DISTINCT FROM v.channel
                         OR (p.credit_best_channel_evidence ->> %(key)s) IS DISTINCT FROM v.evidence)
                    """,
                    key=key,
                    ids=ids,
                    channels=channels,
                    evidences=evidences,
                )
            )
            changed += self.env.cr.rowcount
        if len(ids) < len(members):
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner
                       SET credit_best_channel = credit_best_channel - %(key)s,
                           credit_best_channel_evidence = credit_best_channel_evidence - %(key)s
                     WHERE credit_best_channel ? %(key)s
                       AND NOT id = ANY(%(ids)s)
                    """,
                    key=key,
                    ids=ids,
                )
            )
            changed += self.env.cr.rowcount
        self.invalidate_model(["credit_best_channel", "credit_best_channel_evidence"])
        return changed

    @api.model
    def _credit_channel_evidence(self, channel_label, source, row, segment_name):
        """The evidence of a suggested channel in words, e.g. 'SMS: paid after 4 of 5 reminders, median 3 days
        (customer history)'."""
        median_days = row["median_days"]
        values = {
            "channel": channel_label,
            "paid": row["paid_count"],
            "count": row["count"],
            "days": formatLang(self.env, median_days, digits=1 if median_days % 1 else 0),
        }
        if source == "customer":
            return self.env._(
                "%(channel)s: paid after %(paid)s of %(count)s reminders, median %(days)s days (customer history)",
                **values,
            )
        return self.env._(
            "%(channel)s: paid after %(paid)s of %(count)s reminders, median %(days)s days (segment %(segment)s)",
            segment=segment_name,
            **values,
        )

    # ------------------------------------------------------------------
    # Daily run
    # ------------------------------------------------------------------

    @api.model
    def _cron_credit_followup(self):
        """The daily credit control run, company by company: statistics, segments, promises and plans, follow-up.

        Statistics and segments are committed per company, the follow-up per batch of customers,
        so a crash never loses finished work; a rerun the same day finds nothing new (idempotent).
        """
        # Commit only when run as a scheduled action (not inside an install, a test or an RPC call).
        auto_commit = (
            bool(self.env.context.get("ir_cron_progress_id"))
            and not config["test_enable"]
            and not modules.module.current_test
        )
        for company in self.env["res.company"].search([]):
            self.with_company(company)._credit_compute_statistics(company)
            self.env["credit.segment"].with_company(company)._assign_segments(company)
            # early warnings and the best channel, on today's statistics and segments
            self.with_company(company)._credit_detect_anomalies(company)
            self.with_company(company)._credit_compute_best_channels(company)
            # promises and plans decided first: a broken one resumes follow-up in today's run
            self.env["credit.promise"].with_company(company)._check_promises(company)
            self.env["credit.payment.plan"].with_company(company)._check_plans(company)
            # payment predictions and expected overdue amounts, which rank the worklist of today's follow-up
            self.env["account.move"].with_company(company)._credit_compute_predictions(company)
            if auto_commit:
                # Safe: this company's statistics, segments, promises and plans are complete and consistent here.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env["credit.action"].with_company(company)._run_followup(company, auto_commit=auto_commit)
        return True
