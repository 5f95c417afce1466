from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..tools import credit_kpi
from ..tools.credit_kpi_period import (
    days_in_month,
    month_end,
    month_start,
    previous_month_end,
    working_days,
)
from .credit_csat_mixin import CSAT_MODELS, CSAT_SATISFIED
from .credit_followup_run import may_commit

SCOPES = [("company", "Company"), ("segment", "Segment"), ("collector", "Collector")]
# The KPIs, in the order the form, the definitions and the CFO report show them.
KPI_FIELDS = (
    "dso_count_back",
    "dso_standard",
    "bpdso",
    "add_days",
    "cei",
    "percent_current",
    "promise_kept_rate",
    "dispute_cycle_days",
    "actions_per_day",
    "csat",
)
# Moves whose receivable lines are sales: customer invoices, credit notes (negative) and receipts.
SALE_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")
# Disputes count as closed by a decision; a cancelled dispute was withdrawn, not handled.
CLOSED_DISPUTE_STATES = ("resolved", "rejected")
ZERO = Decimal(0)


class CreditKpiSnapshot(models.Model):
    """Credit KPIs of one month, for a company, one of its segments or one of its collectors.

    Stored once a month by a scheduled action (and on demand through ``credit.kpi.compute``), so that the
    dashboard charts their trend and the CFO report compares months. One company and month is computed by a
    handful of aggregate queries for the company and all its segments and collectors at once
    (``_compute_month``); the formulas are the pure functions of ``tools/credit_kpi.py``.

    Choices, stated once:

    * Money is in company currency, from the receivable journal items (``balance``), taxes included, so that
      receivables and sales compare like with like.
    * Sales of a month: the receivable lines of posted customer invoices, receipts and credit notes (negative)
      dated in that month.
    * Receivables at a date: every posted receivable item dated up to that date, less the partial
      reconciliations whose later side is dated up to that date. Current receivables are the part of those
      not yet due on the last day of the month (due that day or later); unapplied credits count in the
      bucket of their own date.
    * A customer's segment and collector are those it has today in that company: history is not
      reconstructed, so moving a customer to another segment moves its past figures with it on the next
      recomputation.
    """

    _name = "credit.kpi.snapshot"
    _description = "Credit KPI Snapshot"
    _order = "date_to desc, company_id, scope, segment_id, collector_id, id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    scope = fields.Selection(SCOPES, required=True, readonly=True, index=True, default="company")
    segment_id = fields.Many2one("credit.segment", readonly=True, index="btree_not_null", ondelete="cascade")
    collector_id = fields.Many2one("res.users", readonly=True, index="btree_not_null", ondelete="cascade")
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="Month", required=True, readonly=True, index=True, help="The last day of the month.")

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    receivables = fields.Monetary(
        readonly=True,
        help="What customers owed at the end of the month: open receivable items, net of unapplied credits.",
    )
    receivables_current = fields.Monetary(
        string="Current Receivables",
        readonly=True,
        help="The part of the receivables not yet due at the end of the month.",
    )
    receivables_opening = fields.Monetary(
        string="Opening Receivables",
        readonly=True,
        help="What customers owed at the end of the previous month.",
    )
    sales = fields.Monetary(
        readonly=True,
        help="Customer invoices less credit notes of the month, taxes included (as receivables are).",
    )
    promises_kept = fields.Integer(readonly=True, help="Promises to pay due in the month that were kept.")
    promises_broken = fields.Integer(readonly=True, help="Promises to pay due in the month that were broken.")
    disputes_opened = fields.Integer(readonly=True, help="Disputes opened in the month.")
    disputes_closed = fields.Integer(readonly=True, help="Disputes resolved or rejected in the month.")
    actions_done = fields.Integer(
        readonly=True, help="Follow-up actions done in the month: emails, letters, messages, calls, holds."
    )
    working_days = fields.Integer(readonly=True, aggregator="max", help="Monday to Friday days of the month.")
    csat_ratings = fields.Integer(
        string="Ratings Received",
        readonly=True,
        help="Customer ratings of disputes, payment plans and follow-up calls given in the month.",
    )
    csat_satisfied = fields.Integer(
        string="Satisfied Ratings", readonly=True, help="Of the ratings received, those of 4 or 5 out of 5."
    )

    # ------------------------------------------------------------------
    # KPIs (empty when not measurable; averaged when grouped)
    # ------------------------------------------------------------------
    dso_count_back = fields.Float(
        string="DSO (Count-Back)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Days sales outstanding, count-back method: starting from the receivables at the end of the month, "
        "the sales of the month, then of the month before, are subtracted as long as they are covered in full, "
        "counting their days; the first month only partly covered adds that fraction of its days. "
        "Uses the month and the two before it, each with its real number of days.",
    )
    dso_standard = fields.Float(
        string="DSO (Standard)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Days sales outstanding, standard method: receivables at the end of the month divided by the sales "
        "of the month, times the days of the month.",
    )
    bpdso = fields.Float(
        string="Best Possible DSO",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="The DSO if every customer paid on the due date: receivables not yet due at the end of the month "
        "divided by the sales of the month, times the days of the month. Mostly reflects the payment terms.",
    )
    add_days = fields.Float(
        string="Average Days Delinquent",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="ADD: the standard DSO minus the best possible DSO, i.e. how many days later than the payment terms "
        "customers pay on average.",
    )
    cei = fields.Float(
        string="Collection Effectiveness (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="CEI: what was collected in the month (opening receivables + sales - closing receivables) as a "
        "percentage of what could be collected (opening receivables + sales - closing receivables not yet due). "
        "100% means every amount that fell due was collected.",
    )
    percent_current = fields.Float(
        string="Current (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="The share of the receivables at the end of the month that is not yet due.",
    )
    promise_kept_rate = fields.Float(
        string="Promises Kept (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Of the promises to pay whose promised date fell in the month and that are decided, the share "
        "kept (paid in full).",
    )
    dispute_cycle_days = fields.Float(
        string="Dispute Cycle Time (days)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Average number of days from opening to closing of the disputes resolved or rejected in the month.",
    )
    actions_per_day = fields.Float(
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Collector activity: the follow-up actions done in the month divided by its working days "
        "(Monday to Friday).",
    )

    csat = fields.Float(
        string="Customer Satisfaction (CSAT, %)",
        digits=(16, 2),
        readonly=True,
        aggregator="avg",
        help="Of the ratings customers gave in the month to a dispute resolved or rejected, a payment plan paid "
        "in full or a follow-up call, the share that is satisfied (4 or 5 out of 5; the survey's smileys give 5, 3 "
        "and 1), as Odoo's satisfaction percentage counts it. Asked where the segment has the survey on.",
    )

    # Whether each KPI could be measured: the views show *—* for one that could not (the ORM reads NULL as 0.0)
    dso_count_back_measured = fields.Boolean(string="DSO (Count-Back) Measured", compute="_compute_kpi_measured")
    dso_standard_measured = fields.Boolean(string="DSO (Standard) Measured", compute="_compute_kpi_measured")
    bpdso_measured = fields.Boolean(string="Best Possible DSO Measured", compute="_compute_kpi_measured")
    add_days_measured = fields.Boolean(string="Average Days Delinquent Measured", compute="_compute_kpi_measured")
    cei_measured = fields.Boolean(string="Collection Effectiveness Measured", compute="_compute_kpi_measured")
    percent_current_measured = fields.Boolean(string="Current Measured", compute="_compute_kpi_measured")
    promise_kept_rate_measured = fields.Boolean(string="Promises Kept Measured", compute="_compute_kpi_measured")
    dispute_cycle_days_measured = fields.Boolean(string="Dispute Cycle Time Measured", compute="_compute_kpi_measured")
    actions_per_day_measured = fields.Boolean(string="Actions per Day Measured", compute="_compute_kpi_measured")
    csat_measured = fields.Boolean(string="Customer Satisfaction Measured", compute="_compute_kpi_measured")

    @api.depends(*KPI_FIELDS)
    def _compute_kpi_measured(self):
        """Read from the table which KPIs are NULL (not measurable), in one query for all the snapshots."""
        stored = self.filtered("id")
        self.flush_model(KPI_FIELDS)
        rows = {
            row.pop("id"): row
            for row in self.env.execute_query_dict(
                SQL(
                    "SELECT id, %s FROM credit_kpi_snapshot WHERE id = ANY(%s)",
                    SQL(", ").join(
                        SQL("%s IS NOT NULL AS %s", SQL.identifier(name), SQL.identifier(name)) for name in KPI_FIELDS
                    ),
                    stored.ids,
                )
            )
        }
        for snapshot in self:
            measured = rows.get(snapshot.id, {})
            for name in KPI_FIELDS:
                snapshot[f"{name}_measured"] = measured.get(name, False)

    cfo_report_sent = fields.Datetime(
        string="CFO Report Sent On",
        readonly=True,
        copy=False,
        help="When the monthly CFO report of this month was queued for the recipients set in the settings.",
    )
    definitions = fields.Html(compute="_compute_definitions", sanitize=False)

    _sql_constraints = [
        (
            "month_scope_unique",
            "UNIQUE NULLS NOT DISTINCT (company_id, date_to, scope, segment_id, collector_id)",
            "There is already a snapshot of this month for this company, segment or collector.",
        ),
        (
            "scope_key_check",
            "CHECK ((scope = 'segment') = (segment_id IS NOT NULL) "
            "AND (scope = 'collector') = (collector_id IS NOT NULL))",
            "A segment snapshot has a segment, a collector snapshot a collector, a company snapshot neither.",
        ),
    ]

    @api.depends("date_to", "scope", "segment_id", "collector_id", "company_id")
    def _compute_display_name(self):
        for snapshot in self:
            month = format_date(self.env, snapshot.date_to, date_format="MMMM yyyy") if snapshot.date_to else ""
            what = {
                "segment": snapshot.segment_id.name,
                "collector": snapshot.collector_id.name,
            }.get(snapshot.scope, snapshot.company_id.name)
            snapshot.display_name = f"{month} · {what}"

    @api.depends_context("lang")
    def _compute_definitions(self):
        rows = Markup().join(
            Markup("<dt>%s</dt><dd>%s</dd>") % (description["string"], description.get("help", ""))
            for description in (self._fields[name].get_description(self.env) for name in KPI_FIELDS)
        )
        html = Markup('<dl class="o_credit_kpi_definitions">%s</dl>') % rows
        for snapshot in self:
            snapshot.definitions = html

    # ------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------

    @api.model
    def _compute_month(self, company, month_end_date):
        """(Re)compute the snapshots of ``company`` for the month of ``month_end_date``: one for the company,
        one per segment and one per collector that has customers with figures in the month.

        A fixed number of queries whatever the number of customers, segments and collectors. Idempotent: the
        month's previous snapshots of the company are replaced (the date a CFO report was sent is kept).
        Returns the new snapshots.
        """
        period = self._kpi_period(month_end_date)
        for model in (
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "res.partner",
            "credit.promise",
            "credit.dispute",
            "credit.action",
            "rating.rating",
        ):
            self.env[model].flush_model()
        totals = defaultdict(lambda: defaultdict(Decimal))
        totals["company", None, None] = defaultdict(Decimal)  # the company's snapshot exists even in an empty month
        disputes = defaultdict(list)

        def add(segment_id, collector_id, values):
            keys = [("company", None, None)]
            if segment_id:
                keys.append(("segment", segment_id, None))
            if collector_id:
                keys.append(("collector", None, collector_id))
            for key in keys:
                for name, value in values.items():
                    if name == "dispute_periods":
                        disputes[key].extend(value)
                    else:
                        # Odoo's cursor reads numeric columns as floats: back to exact decimals (repr is exact
                        # for sums of amounts to the cent)
                        totals[key][name] += Decimal(str(value or 0))

        key = str(company.id)
        for row in self.env.execute_query_dict(self._kpi_receivables_query(company, key, period)):
            add(row.pop("segment_id"), row.pop("collector_id"), row)
        for row in self.env.execute_query_dict(self._kpi_promises_query(company, key, period)):
            add(row.pop("segment_id"), row.pop("collector_id"), row)
        for row in self.env.execute_query_dict(self._kpi_actions_query(company, key, period)):
            add(row.pop("segment_id"), row.pop("collector_id"), row)
        for row in self.env.execute_query_dict(self._kpi_csat_query(company, key, period)):
            add(row.pop("segment_id"), row.pop("collector_id"), row)
        for row in self.env.execute_query_dict(self._kpi_disputes_query(company, key, period)):
            closed = row["date_closed"] and period["date_from"] <= row["date_closed"] <= period["date_to"]
            add(
                row["segment_id"],
                row["collector_id"],
                {
                    "disputes_opened": int(period["date_from"] <= row["date_opened"] <= period["date_to"]),
                    "disputes_closed": int(bool(closed)),
                    "dispute_periods": [(row["date_opened"], row["date_closed"])] if closed else [],
                },
            )

        segments = self.env["credit.segment"].browse({s for _scope, s, _c in totals if s}).exists()
        collectors = self.env["res.users"].browse({c for _scope, _s, c in totals if c}).exists()
        vals_list = [
            self._kpi_values(
                company, period, scope, segment_id, collector_id, figures, disputes[scope, segment_id, collector_id]
            )
            for (scope, segment_id, collector_id), figures in totals.items()
            if (not segment_id or segment_id in segments.ids) and (not collector_id or collector_id in collectors.ids)
        ]
        previous = self.search([("company_id", "=", company.id), ("date_to", "=", period["date_to"])])
        sent = previous.filtered(lambda s: s.scope == "company").cfo_report_sent
        previous.unlink()
        for vals in vals_list:
            if vals["scope"] == "company" and sent:
                vals["cfo_report_sent"] = sent
        return self.create(vals_list)

    @api.model
    def _kpi_period(self, day):
        """The dates of the month of ``day`` that the queries and formulas need."""
        closing = month_end(fields.Date.to_date(day))
        opening = previous_month_end(closing)
        before = previous_month_end(opening)
        return {
            "date_from": month_start(closing),
            "date_to": closing,
            "opening": opening,  # end of the previous month
            "before": before,  # end of the month before that
            "sales_from": month_start(before),  # the three months of the count-back DSO start here
            "days": [days_in_month(closing), days_in_month(opening), days_in_month(before)],
            "working_days": working_days(month_start(closing), closing),
        }

    def _kpi_receivables_query(self, company, key, period):
        """Receivables at the end of the month and of the month before, the part not yet due and the sales of
        the last three months, per segment and collector, in one pass over the receivable items."""
        return SQL(
            """
            WITH reconciled AS (
                SELECT line_id,
                       SUM(amount) FILTER (WHERE max_date <= %(opening)s) AS until_opening,
                       SUM(amount) FILTER (WHERE max_date <= %(closing)s) AS until_closing,
                       MAX(max_date) AS last_date
                  FROM (SELECT debit_move_id AS line_id, amount, max_date
                          FROM account_partial_reconcile
                         WHERE company_id = %(company)s
                     UNION ALL
                        SELECT credit_move_id, -amount, max_date
                          FROM account_partial_reconcile
                         WHERE company_id = %(company)s) AS sides
              GROUP BY line_id
            ),
            items AS (
                SELECT (cp.credit_segment_id ->> %(key)s)::int AS segment_id,
                       (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                       aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_due,
                       aml.balance,
                       am.move_type IN %(sale_types)s AS is_sale,
                       aml.balance - COALESCE(rec.until_closing, 0) AS open_closing,
                       aml.balance - COALESCE(rec.until_opening, 0) AS open_opening
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN account_move am ON am.id = aml.move_id
             LEFT JOIN res_partner p ON p.id = aml.partner_id
             LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             LEFT JOIN reconciled rec ON rec.line_id = aml.id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND aml.date <= %(closing)s
                   -- an item settled before the previous month end weighs nothing here, unless it is a sale
                   -- of the three months
                   AND (NOT aml.reconciled OR aml.date >= %(sales_from)s OR rec.last_date > %(opening)s)
            )
            SELECT segment_id,
                   collector_id,
                   COALESCE(SUM(open_closing), 0) AS receivables,
                   COALESCE(SUM(open_closing) FILTER (WHERE date_due >= %(closing)s), 0) AS receivables_current,
                   COALESCE(SUM(open_opening) FILTER (WHERE date <= %(opening)s), 0) AS receivables_opening,
                   COALESCE(SUM(balance) FILTER (WHERE is_sale AND date > %(opening)s), 0) AS sales,
                   COALESCE(SUM(balance) FILTER (WHERE is_sale AND date > %(before)s AND date <= %(opening)s), 0)
                       AS sales_1,
                   COALESCE(SUM(balance) FILTER (WHERE is_sale AND date >= %(sales_from)s AND date <= %(before)s), 0)
                       AS sales_2
              FROM items
          GROUP BY segment_id, collector_id
            """,
            company=company.id,
            key=key,
            closing=period["date_to"],
            opening=period["opening"],
            before=period["before"],
            sales_from=period["sales_from"],
            sale_types=SALE_MOVE_TYPES,
        )

    def _kpi_promises_query(self, company, key, period):
        return SQL(
            """
            SELECT (cp.credit_segment_id ->> %(key)s)::int AS segment_id,
                   (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                   COUNT(*) FILTER (WHERE pr.state = 'kept') AS promises_kept,
                   COUNT(*) FILTER (WHERE pr.state = 'broken') AS promises_broken
              FROM credit_promise pr
              JOIN res_partner cp ON cp.id = pr.partner_id
             WHERE pr.company_id = %(company)s
               AND pr.state IN ('kept', 'broken')
               AND pr.date BETWEEN %(date_from)s AND %(date_to)s
          GROUP BY 1, 2
            """,
            company=company.id,
            key=key,
            date_from=period["date_from"],
            date_to=period["date_to"],
        )

    def _kpi_actions_query(self, company, key, period):
        return SQL(
            """
            SELECT (cp.credit_segment_id ->> %(key)s)::int AS segment_id,
                   (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                   COUNT(*) AS actions_done
              FROM credit_action act
              JOIN res_partner cp ON cp.id = act.partner_id
             WHERE act.company_id = %(company)s
               AND act.state = 'done'
               AND act.executed_on >= %(start)s
               AND act.executed_on < %(stop)s
          GROUP BY 1, 2
            """,
            company=company.id,
            key=key,
            start=datetime.combine(period["date_from"], time.min),
            stop=datetime.combine(period["date_to"] + timedelta(days=1), time.min),
        )

    def _kpi_csat_query(self, company, key, period):
        """The customer ratings of the company's disputes, payment plans and calls given in the month, and how many
        are satisfied, per segment and collector of the rating customer."""
        return SQL(
            """
            SELECT (cp.credit_segment_id ->> %(key)s)::int AS segment_id,
                   (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                   COUNT(*) AS csat_ratings,
                   COUNT(*) FILTER (WHERE r.rating >= %(satisfied)s) AS csat_satisfied
              FROM rating_rating r
              JOIN res_partner p ON p.id = r.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE r.credit_company_id = %(company)s
               AND r.res_model IN %(models)s
               AND r.consumed
               AND r.rating >= 1
               AND r.credit_rated_on >= %(start)s
               AND r.credit_rated_on < %(stop)s
          GROUP BY 1, 2
            """,
            company=company.id,
            key=key,
            models=CSAT_MODELS,
            satisfied=CSAT_SATISFIED,
            start=datetime.combine(period["date_from"], time.min),
            stop=datetime.combine(period["date_to"] + timedelta(days=1), time.min),
        )

    def _kpi_disputes_query(self, company, key, period):
        return SQL(
            """
            SELECT (cp.credit_segment_id ->> %(key)s)::int AS segment_id,
                   (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                   d.date_opened,
                   CASE WHEN d.state IN %(closed_states)s THEN d.date_closed END AS date_closed
              FROM credit_dispute d
              JOIN res_partner cp ON cp.id = d.partner_id
             WHERE d.company_id = %(company)s
               AND (d.date_opened BETWEEN %(date_from)s AND %(date_to)s
                    OR (d.state IN %(closed_states)s AND d.date_closed BETWEEN %(date_from)s AND %(date_to)s))
            """,
            company=company.id,
            key=key,
            closed_states=CLOSED_DISPUTE_STATES,
            date_from=period["date_from"],
            date_to=period["date_to"],
        )

    @api.model
    def _kpi_values(self, company, period, scope, segment_id, collector_id, figures, dispute_periods):
        """The values of one snapshot from its summed figures, through the pure KPI formulas."""
        # A segment or collector whose customers hold more credits than debts has no receivables to measure:
        # the formulas take amounts of zero or more.
        closing = max(figures["receivables"], ZERO)
        current = min(max(figures["receivables_current"], ZERO), closing)
        opening = max(figures["receivables_opening"], ZERO)
        sales = [max(figures[name], ZERO) for name in ("sales", "sales_1", "sales_2")]
        days = period["days"][0]
        dso = credit_kpi.dso_standard(closing, sales[0], days)
        bpdso = credit_kpi.best_possible_dso(current, sales[0], days)
        kpis = {
            "dso_count_back": credit_kpi.dso_count_back(closing, list(zip(sales, period["days"], strict=True))),
            "dso_standard": dso,
            "bpdso": bpdso,
            "add_days": credit_kpi.average_days_delinquent(dso, bpdso),
            "cei": credit_kpi.collection_effectiveness_index(opening, sales[0], closing, current),
            "percent_current": credit_kpi.percent_current(current, closing),
            "promise_kept_rate": credit_kpi.promise_kept_rate(figures["promises_kept"], figures["promises_broken"]),
            "dispute_cycle_days": credit_kpi.average_cycle_time(dispute_periods),
            "actions_per_day": credit_kpi.actions_per_day(figures["actions_done"], period["working_days"]),
            "csat": credit_kpi.customer_satisfaction(figures["csat_satisfied"], figures["csat_ratings"]),
        }
        vals = {
            "company_id": company.id,
            "scope": scope,
            "segment_id": segment_id,
            "collector_id": collector_id,
            "date_from": period["date_from"],
            "date_to": period["date_to"],
            "receivables": float(figures["receivables"]),
            "receivables_current": float(figures["receivables_current"]),
            "receivables_opening": float(figures["receivables_opening"]),
            "sales": float(figures["sales"]),
            "promises_kept": int(figures["promises_kept"]),
            "promises_broken": int(figures["promises_broken"]),
            "disputes_opened": int(figures["disputes_opened"]),
            "disputes_closed": int(figures["disputes_closed"]),
            "actions_done": int(figures["actions_done"]),
            "working_days": period["working_days"],
            "csat_ratings": int(figures["csat_ratings"]),
            "csat_satisfied": int(figures["csat_satisfied"]),
        }
        # a KPI that cannot be measured is left empty (NULL), so that averages over months skip it
        vals.update({name: float(value) for name, value in kpis.items() if value is not None})
        return vals

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_kpi_snapshot(self):
        """Monthly, on the 1st: the snapshots of the month that just ended, for every company, then the CFO report
        to the company's recipients (queued once per month). Committed per company when run as a scheduled
        action, so a crash keeps the companies done; a rerun recomputes the month and sends nothing twice."""
        auto_commit = may_commit(self.env)
        closing = previous_month_end(fields.Date.context_today(self))
        companies = self.env["res.company"].search([])
        for done, company in enumerate(companies, start=1):
            snapshots = self.with_company(company)._compute_month(company, closing)
            snapshots.filtered(lambda s: s.scope == "company")._send_cfo_report()
            if auto_commit:
                # Safe: the company's month is complete (snapshots and queued report) and is recomputed
                # identically by a rerun.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(companies) - done)
        return True

    def _send_cfo_report(self):
        """Queue the CFO report of these company snapshots to their company's recipients (mail.mail, delivered
        by the mail queue), unless it was sent for that month already."""
        template = self.env.ref("credit_control.mail_template_credit_cfo_report")
        todo = self.filtered(
            lambda s: s.scope == "company" and not s.cfo_report_sent and s.company_id.credit_cfo_recipient_ids
        )
        for snapshot in todo:
            template.send_mail(snapshot.id, force_send=False)
        todo.write({"cfo_report_sent": fields.Datetime.now()})
        return todo

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def _company_snapshot(self):
        """The company snapshot of this snapshot's month."""
        self.ensure_one()
        if self.scope == "company":
            return self
        return self.search(
            [("company_id", "=", self.company_id.id), ("date_to", "=", self.date_to), ("scope", "=", "company")],
            limit=1,
        )

    def _company_snapshot_as_of(self, day):
        """The company snapshot of the last month closed on or before ``day``, for this snapshot's company."""
        self.ensure_one()
        return self.search(
            [("company_id", "=", self.company_id.id), ("scope", "=", "company"), ("date_to", "<=", day)],
            order="date_to desc",
            limit=1,
        )

    def action_print_cfo_report(self):
        companies = self.browse()
        for snapshot in self:
            companies |= snapshot._company_snapshot()
        if not companies:
            raise UserError(self.env._("Compute the month's KPIs first: the CFO report needs the company snapshot."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Print CFO Report"),
            "res_model": "credit.cfo.report.print",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_snapshot_ids": companies.ids},
        }

    def action_open_disputes_by_root_cause(self):
        """The dispute analysis of the period's disputes, by root cause."""
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dispute_analysis_action")
        domain = [
            ("company_id", "in", self.company_id.ids),
            ("date_opened", ">=", min(self.mapped("date_from"))),
            ("date_opened", "<=", max(self.mapped("date_to"))),
        ]
        action["domain"] = domain
        action["context"] = {"group_by": ["reason_category"], "pivot_row_groupby": ["reason_category"]}
        return action

    # ------------------------------------------------------------------
    # CFO report
    # ------------------------------------------------------------------

    def _cfo_report_values(self):
        """What the CFO report shows for this company snapshot (see ``report.credit_control.report_credit_cfo``)."""
        self.ensure_one()
        return self.env["report.credit_control.report_credit_cfo"]._cfo_values(self)
