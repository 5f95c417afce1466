from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools.credit_kpi_period import month_ends, month_start, previous_month_end

# At most three years at once: each month is a handful of aggregate queries over the book.
MAX_MONTHS = 36


class CreditKpiCompute(models.TransientModel):
    """Compute (or refresh) the monthly KPI snapshots of a company for a range of months, then show them."""

    _name = "credit.kpi.compute"
    _description = "Compute Credit KPIs"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, domain=lambda self: self._company_domain()
    )
    date_from = fields.Date(
        string="From Month",
        required=True,
        default=lambda self: month_start(previous_month_end(fields.Date.context_today(self))) - relativedelta(months=5),
        help="Any day of the first month to compute (by default the six months that ended last).",
    )
    date_to = fields.Date(
        string="To Month",
        required=True,
        default=lambda self: previous_month_end(fields.Date.context_today(self)),
        help="Any day of the last month to compute; only months that have ended.",
    )

    @api.model
    def _company_domain(self):
        return [("id", "in", self.env.user.company_ids.ids)]

    def _months(self):
        self.ensure_one()
        months = month_ends(self.date_from, self.date_to)
        if not months:
            raise UserError(self.env._("The first month must not come after the last month."))
        if months[-1] >= fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "KPIs are computed for months that have ended: choose %(month)s or an earlier month as the "
                    "last month.",
                    month=format_date(self.env, previous_month_end(fields.Date.context_today(self))),
                )
            )
        if len(months) > MAX_MONTHS:
            raise UserError(
                self.env._("Compute at most %(count)s months at once.", count=MAX_MONTHS),
            )
        return months

    def action_compute(self):
        self.ensure_one()
        months = self._months()
        Snapshot = self.env["credit.kpi.snapshot"].with_company(self.company_id)
        for month in months:
            Snapshot._compute_month(self.company_id, month)
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_kpi_dashboard_action")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("date_to", ">=", months[0]),
            ("date_to", "<=", months[-1]),
        ]
        return action
