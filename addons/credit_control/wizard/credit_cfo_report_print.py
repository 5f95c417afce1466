from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class CreditCfoReportPrint(models.TransientModel):
    """Print the CFO report of the snapshots' companies as of one reference date, in one language."""

    _name = "credit.cfo.report.print"
    _description = "Print CFO Report"

    snapshot_ids = fields.Many2many("credit.kpi.snapshot", string="Snapshots", required=True)
    date = fields.Date(
        string="As Of",
        required=True,
        default=fields.Date.context_today,
        help="Every figure of the report is as of this day: receivables, aging, overdue customers, disputes and "
        "plans at its end; the KPIs, sales and actions of the last month closed by then.",
    )
    lang = fields.Selection(
        selection="_selection_lang",
        string="Language",
        required=True,
        default=lambda self: self._default_lang(),
        help="The recipient's language: every label, month name, number and date of the report is in it.",
    )

    @api.model
    def _selection_lang(self):
        return self.env["res.lang"].get_installed()

    @api.model
    def _default_lang(self):
        active = {code for code, _name in self.env["res.lang"].get_installed()}
        lang = self.env.company.partner_id.lang
        return lang if lang in active else self.env.lang

    def action_print(self):
        self.ensure_one()
        snapshots = self.env["credit.kpi.snapshot"]
        for snapshot in self.snapshot_ids:
            snapshots |= snapshot._company_snapshot_as_of(self.date)
        if not snapshots:
            raise UserError(
                self.env._(
                    "No month closed on or before %(date)s has its KPIs computed: compute them first, or choose a "
                    "later date.",
                    date=format_date(self.env, self.date),
                )
            )
        report = self.env.ref("credit_control.action_report_credit_cfo")
        return report.report_action(snapshots, data={"date": fields.Date.to_string(self.date), "lang": self.lang})
