from odoo import api, models
from odoo.tools import SQL

from ..models.credit_kpi_snapshot import KPI_FIELDS


class ReportCreditCfo(models.AbstractModel):
    """The values of the monthly CFO report (``credit_control.report_credit_cfo``), one set per company snapshot,
    for credit staff only (``credit.report.mixin``)."""

    _name = "report.credit_control.report_credit_cfo"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: CFO Report"

    _credit_report_model = "credit.kpi.snapshot"

    @api.model
    def _get_report_values(self, docids, data=None):
        """The report is of a company month: a segment's or collector's snapshot (an id typed in the URL, say)
        falls back to its company's snapshot of the same month, or to nothing."""
        values = super()._get_report_values(docids, data=data)
        docs = self.env["credit.kpi.snapshot"].union(*(snapshot._company_snapshot() for snapshot in values["docs"]))
        return dict(
            values,
            doc_ids=docs.ids,
            docs=docs,
            values_by_snapshot={snapshot.id: self._cfo_values(snapshot) for snapshot in docs},
        )

    @api.model
    def _top_overdue(self, company, limit=10):
        """[(customer, overdue amount, most days overdue)] of the customers who owe the most overdue, net of their
        open credits (credit notes, unallocated payments; the aging has them in the not-due bucket), as the
        statistics net them: a customer whose credits cover its overdue invoices is not among them. Two
        aggregate queries, whatever the number of customers."""
        Aging = self.env["credit.aging.report"]
        overdue = Aging._read_group(
            [("company_id", "=", company.id), ("bucket", "!=", "0_not_due")],
            ["partner_id"],
            ["amount_residual:sum", "days_overdue:max"],
        )
        credits = dict(
            Aging._read_group(
                [
                    ("company_id", "=", company.id),
                    ("amount_residual", "<", 0),
                    ("partner_id", "in", [partner.id for partner, _amount, _days in overdue]),
                ],
                ["partner_id"],
                ["amount_residual:sum"],
            )
        )
        currency = company.currency_id
        net = [
            (partner, currency.round(amount + credits.get(partner, 0.0)), days)
            for partner, amount, days in overdue
            if currency.round(amount + credits.get(partner, 0.0)) > 0
        ]
        return sorted(net, key=lambda row: (-row[1], row[0].id))[:limit]

    @api.model
    def _cfo_values(self, snapshot):
        """What the CFO report shows for this company snapshot, read with aggregates (no per-record reads)."""
        snapshot.ensure_one()
        company = snapshot.company_id
        Aging = self.env["credit.aging.report"]
        bucket_labels = dict(Aging._fields["bucket"]._description_selection(self.env))
        aging_rows = dict(Aging._read_group([("company_id", "=", company.id)], ["bucket"], ["amount_residual:sum"]))
        aging = [(label, aging_rows.get(bucket, 0.0)) for bucket, label in bucket_labels.items()]
        top_overdue = self._top_overdue(company)
        trend = snapshot.search(
            [("company_id", "=", company.id), ("scope", "=", "company"), ("date_to", "<=", snapshot.date_to)],
            order="date_to desc",
            limit=6,
        ).sorted("date_to")
        # read from the table itself: a KPI that could not be measured is NULL there (the ORM reads it as 0.0);
        # ``= ANY`` of a list, never ``IN`` of a tuple, so that an empty trend (no company snapshot up to this
        # month) is an empty result and not broken SQL
        snapshot.flush_model(KPI_FIELDS)
        trend_values = {
            row.pop("id"): {name: None if value is None else float(value) for name, value in row.items()}
            for row in self.env.execute_query_dict(
                SQL(
                    "SELECT id, %s FROM credit_kpi_snapshot WHERE id = ANY(%s)",
                    SQL(", ").join(SQL.identifier(name) for name in KPI_FIELDS),
                    trend.ids,
                )
            )
        }
        Dispute = self.env["credit.dispute"]
        cause_labels = dict(Dispute._fields["reason_category"]._description_selection(self.env))
        disputes = [
            (cause_labels.get(cause, cause), count, amount)
            for cause, count, amount in Dispute._read_group(
                [("company_id", "=", company.id), ("state", "in", ("new", "in_progress"))],
                ["reason_category"],
                ["__count", "amount:sum"],
            )
        ]
        Plan = self.env["credit.payment.plan"]
        plan_domain = [("company_id", "=", company.id)]
        active = Plan._read_group(
            [*plan_domain, ("state", "=", "active")], [], ["__count", "amount_total:sum", "amount_paid:sum"]
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
            "currency": company.currency_id,
            "aging": aging,
            "aging_total": sum(amount for _label, amount in aging),
            "top_overdue": top_overdue,
            "trend": trend,
            "trend_values": trend_values,
            "kpis": [(name, snapshot._fields[name].get_description(self.env)["string"]) for name in KPI_FIELDS],
            "disputes": disputes,
            "disputes_count": sum(row[1] for row in disputes),
            "disputes_amount": sum(row[2] for row in disputes),
            "plans_active": {"count": active[0], "open": (active[1] or 0.0) - (active[2] or 0.0)},
            "plans_broken": {"count": broken[0], "open": (broken[1] or 0.0) - (broken[2] or 0.0)},
            "actions": actions,
            "actions_count": sum(row[2] for row in actions),
        }
