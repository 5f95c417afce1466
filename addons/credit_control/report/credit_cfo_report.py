from odoo import api, fields, models
from odoo.tools import SQL, format_date, formatLang

from ..models.credit_kpi_snapshot import KPI_FIELDS
from ..tools.svg_chart import bar_chart


class ReportCreditCfo(models.AbstractModel):
    """The values of the monthly CFO report (``credit_control.report_credit_cfo``), one set per company snapshot,
    for credit staff only (``credit.report.mixin``)."""

    _name = "report.credit_control.report_credit_cfo"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: CFO Report"

    _credit_report_model = "credit.kpi.snapshot"

    @api.model
    def _get_report_values(self, docids, data=None):
        """The report is of a company as of one reference date (``data['date']``, chosen when printing; by default the
        snapshot's month end), in one language (``data['lang']``; by default the company's). Its monthly figures are
        those of the last company snapshot that ends on or before that date; a segment's or collector's snapshot
        (an id typed in the URL, say) falls back to its company's snapshot of the same month, or to nothing."""
        data = data or {}
        values = super()._get_report_values(docids, data=data)
        try:
            day = fields.Date.to_date(data.get("date")) if data.get("date") else None
        except (TypeError, ValueError):  # a date typed in a URL: the snapshot's month end, as without one
            day = None
        docs = self.env["credit.kpi.snapshot"]
        for snapshot in values["docs"]:
            docs |= snapshot._company_snapshot_as_of(day) if day else snapshot._company_snapshot()
        values_by_snapshot = {}
        langs = {}
        for snapshot in docs:
            lang = self._cfo_lang(snapshot.company_id, data.get("lang"))
            langs[snapshot.id] = lang
            values_by_snapshot[snapshot.id] = self.with_context(lang=lang)._cfo_values(snapshot, day)
        return dict(values, doc_ids=docs.ids, docs=docs, values_by_snapshot=values_by_snapshot, langs=langs)

    @api.model
    def _cfo_lang(self, company, lang=None):
        """The report's one language: the one chosen when printing if it is active, else the company's."""
        active = {code for code, _name in self.env["res.lang"].get_installed()}
        for code in (lang, company.partner_id.lang, self.env.lang):
            if code in active:
                return code
        return "en_US"

    @api.model
    def _open_items_as_of(self, company, day):
        """[(customer, bucket, open amount, most days overdue, is credit)] of the company's receivables as they
        stood at the end of ``day``: every posted receivable item dated up to that day, less its reconciliations
        dated up to that day (``max_date``), aged at that day. Open credits (credit notes, unallocated payments) are
        *not due*, as in the aging, and apart, so that they can be netted per customer. One aggregate query."""
        rows = self.env.execute_query(
            SQL(
                """
                WITH reconciled AS (
                    SELECT line_id,
                           SUM(amount) FILTER (WHERE max_date <= %(day)s) AS until_day,
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
                    SELECT cp.id AS partner_id,
                           aml.balance - COALESCE(rec.until_day, 0) AS open,
                           %(day)s::date - COALESCE(aml.date_maturity, aml.date) AS days
                      FROM account_move_line aml
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 LEFT JOIN reconciled rec ON rec.line_id = aml.id
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND aml.date <= %(day)s
                       -- an item settled by that day weighs nothing
                       AND (NOT aml.reconciled OR rec.last_date > %(day)s)
                )
                SELECT partner_id,
                       CASE
                           WHEN open < 0 OR days <= 0 THEN '0_not_due'
                           WHEN days <= 30 THEN '1_30'
                           WHEN days <= 60 THEN '31_60'
                           WHEN days <= 90 THEN '61_90'
                           ELSE '91_plus'
                       END AS bucket,
                       SUM(open),
                       MAX(days) FILTER (WHERE open > 0 AND days > 0),
                       open < 0 AS is_credit
                  FROM items
                 WHERE open != 0
              GROUP BY 1, 2, 5
                """,
                company=company.id,
                day=day,
            )
        )
        Partner = self.env["res.partner"]
        return [
            (Partner.browse(partner_id), bucket, amount, days or 0, is_credit)
            for partner_id, bucket, amount, days, is_credit in rows
        ]

    @api.model
    def _top_overdue(self, company, limit=10):
        """[(customer, overdue amount, most days overdue)] of the customers who owe the most overdue today, net of
        their open credits (credit notes, unallocated payments; the aging has them in the not-due bucket), as the
        statistics net them: a customer whose credits cover its overdue invoices is not among them."""
        return self._top_overdue_as_of(company, fields.Date.context_today(self), limit=limit)

    @api.model
    def _top_overdue_as_of(self, company, day, open_items=None, limit=10):
        """[(customer, overdue amount, most days overdue)] at the end of ``day``, net of the customer's open credits
        as ``_top_overdue`` nets them."""
        open_items = self._open_items_as_of(company, day) if open_items is None else open_items
        currency = company.currency_id
        overdue, credits, days = {}, {}, {}
        for partner, bucket, amount, most, is_credit in open_items:
            if is_credit:
                credits[partner] = credits.get(partner, 0.0) + amount
            elif bucket != "0_not_due":
                overdue[partner] = overdue.get(partner, 0.0) + amount
                days[partner] = max(days.get(partner, 0), most)
        net = [
            (partner, currency.round(amount + credits.get(partner, 0.0)), days[partner])
            for partner, amount in overdue.items()
            if currency.round(amount + credits.get(partner, 0.0)) > 0
        ]
        return sorted(net, key=lambda row: (-row[1], row[0].id))[:limit]

    @api.model
    def _cfo_values(self, snapshot, day=None):
        """What the CFO report shows for this company snapshot as of ``day`` (by default the snapshot's month end),
        read with aggregates (no per-record reads), labelled in the context's language.

        Stocks (receivables, aging, overdue customers, open disputes, active plans) are as they stood at the end of
        ``day``; flows (KPIs, sales, actions, broken plans) are those of the snapshot's month, the last month closed
        by then."""
        snapshot.ensure_one()
        day = day or snapshot.date_to
        company = snapshot.company_id
        currency = company.currency_id
        Aging = self.env["credit.aging.report"]
        bucket_labels = dict(Aging._fields["bucket"]._description_selection(self.env))
        open_items = self._open_items_as_of(company, day)
        aging_rows = {}
        for _partner, bucket, amount, _days, _is_credit in open_items:
            aging_rows[bucket] = aging_rows.get(bucket, 0.0) + amount
        aging = [(label, currency.round(aging_rows.get(bucket, 0.0))) for bucket, label in bucket_labels.items()]
        aging_total = currency.round(sum(amount for _label, amount in aging))
        top_overdue = self._top_overdue_as_of(company, day, open_items)
        trend = snapshot.search(
            [("company_id", "=", company.id), ("scope", "=", "company"), ("date_to", "<=", snapshot.date_to)],
            order="date_to desc",
            limit=6,
        ).sorted("date_to")
        # read from the table itself: a KPI that could not be measured is NULL there (the ORM reads it as 0.0);
        # ``= ANY`` of a list, never ``IN`` of a tuple, so that an empty trend (no company snapshot up to this
        # month) is an empty result and not broken SQL
        snapshot.flush_model([*KPI_FIELDS, "receivables", "receivables_opening", "sales"])
        trend_values = {
            row.pop("id"): {name: None if value is None else float(value) for name, value in row.items()}
            for row in self.env.execute_query_dict(
                SQL(
                    "SELECT id, %s FROM credit_kpi_snapshot WHERE id = ANY(%s)",
                    SQL(", ").join(
                        SQL.identifier(name) for name in (*KPI_FIELDS, "receivables", "receivables_opening", "sales")
                    ),
                    trend.ids,
                )
            )
        }
        Dispute = self.env["credit.dispute"].sudo()
        cause_labels = dict(Dispute._fields["reason_category"]._description_selection(self.env))
        disputes = [
            (cause_labels.get(cause, cause), count, amount)
            for cause, count, amount in Dispute._read_group(
                [
                    ("company_id", "=", company.id),
                    ("date_opened", "<=", day),
                    "|",
                    ("state", "in", ("new", "in_progress")),
                    ("date_closed", ">", day),
                ],
                ["reason_category"],
                ["__count", "amount:sum"],
            )
        ]
        Plan = self.env["credit.payment.plan"].sudo()
        plan_domain = [("company_id", "=", company.id)]
        active = Plan._read_group(
            [
                *plan_domain,
                ("date_approved", "<=", day),
                "|",
                ("state", "=", "active"),
                "&",
                ("state", "in", ("done", "broken", "cancelled")),
                ("date_closed", ">", day),
            ],
            [],
            ["__count", "amount_total:sum", "amount_paid:sum"],
        )[0]
        broken = Plan._read_group(
            [
                *plan_domain,
                ("state", "=", "broken"),
                ("date_closed", ">=", snapshot.date_from),
                ("date_closed", "<=", snapshot.date_to),
            ],
            [],
            ["__count", "amount_total:sum", "amount_paid:sum"],
        )[0]
        Action = self.env["credit.action"]
        channel_labels = dict(Action._fields["channel"]._description_selection(self.env))
        state_labels = dict(Action._fields["state"]._description_selection(self.env))
        actions = [
            (channel_labels.get(channel, channel), state_labels.get(state, state), count, amount)
            for channel, state, count, amount in Action._read_group(
                [("company_id", "=", company.id), ("date", ">=", snapshot.date_from), ("date", "<=", snapshot.date_to)],
                ["channel", "state"],
                ["__count", "amount:sum"],
                order="channel, state",
            )
        ]
        return {
            "lang": self.env.lang,
            "date": day,
            "date_text": format_date(self.env, day, date_format="long"),
            "month_text": format_date(self.env, snapshot.date_to, date_format="MMMM yyyy"),
            "currency": currency,
            "receivables": aging_total,
            "receivables_not_due": currency.round(aging_rows.get("0_not_due", 0.0)),
            "sales": snapshot.sales,
            "aging": aging,
            "aging_total": aging_total,
            "top_overdue": top_overdue,
            "trend": trend,
            "trend_values": trend_values,
            "charts": self._cfo_charts(trend, trend_values, currency),
            "kpis": [(name, snapshot._fields[name].get_description(self.env)["string"]) for name in KPI_FIELDS],
            "kpi_digits": {name: snapshot._fields[name].get_digits(self.env)[1] for name in KPI_FIELDS},
            "disputes": disputes,
            "disputes_count": sum(row[1] for row in disputes),
            "disputes_amount": sum(row[2] for row in disputes),
            "plans_active": {"count": active[0], "open": (active[1] or 0.0) - (active[2] or 0.0)},
            "plans_broken": {"count": broken[0], "open": (broken[1] or 0.0) - (broken[2] or 0.0)},
            "actions": actions,
            "actions_count": sum(row[2] for row in actions),
        }

    @api.model
    def _cfo_charts(self, trend, trend_values, currency):
        """[(title, SVG)] of the trends over the months of ``trend``: DSO, overdue share, CEI, cash collected and CSAT,
        labelled in the context's language (month names, number formats)."""

        def number(value, digits=1):
            return formatLang(self.env, value, digits=digits)

        def series(measure, text):
            points = []
            for month in trend:
                value = measure(trend_values[month.id])
                label = format_date(self.env, month.date_to, date_format="MMM yy")
                points.append((label, value, "" if value is None else text(value)))
            return bar_chart(points)

        def overdue_percent(values):
            current = values["percent_current"]
            return None if current is None else 100.0 - current

        def collected(values):
            if values["receivables"] is None or values["receivables_opening"] is None or values["sales"] is None:
                return None
            return values["receivables_opening"] + values["sales"] - values["receivables"]

        return [
            (self.env._("DSO (days)"), series(lambda v: v["dso_standard"], number)),
            (self.env._("Overdue (% of receivables)"), series(overdue_percent, number)),
            (self.env._("Collection effectiveness (CEI, %)"), series(lambda v: v["cei"], number)),
            (
                self.env._("Cash collected (%(currency)s)", currency=currency.symbol or currency.name),
                series(collected, lambda value: number(value, digits=0)),
            ),
            (
                self.env._("Customer satisfaction (CSAT, %)"),
                series(lambda v: v["csat"], lambda value: number(value, digits=2)),
            ),
        ]
