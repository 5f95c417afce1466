from odoo import api, models
from odoo.tools import format_date


class ReportCreditCfo(models.AbstractModel):
    """The provision for doubtful debts on the CFO report: the last one posted by the report's day, and its ratio
    to the receivables it was made on."""

    _inherit = "report.credit_control.report_credit_cfo"

    @api.model
    def _cfo_values(self, snapshot, day=None):
        values = super()._cfo_values(snapshot, day)
        values.update(self._cfo_provision(snapshot.company_id, values["date"], values["receivables"]))
        return values

    @api.model
    def _cfo_provision(self, company, day, receivables=None):
        """{'provision', 'provision_date', 'provision_date_text', 'provision_percent'} of the company's last
        posted provision entry dated up to ``day`` (its month end), the percent of the receivables at that
        month end (``receivables`` when it is ``day`` itself); all None without a provision."""
        move = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("credit_provision_date", "!=", False),
                    ("credit_provision_date", "<=", day),
                    ("state", "=", "posted"),
                ],
                order="credit_provision_date desc, id desc",
                limit=1,
            )
        )
        if not move:
            return {"provision": None, "provision_date": None, "provision_date_text": "", "provision_percent": None}
        currency = company.currency_id
        provision = currency.round(sum(move.line_ids.mapped("credit")))
        provision_day = move.credit_provision_date
        if receivables is None or provision_day != day:
            receivables = sum(amount for _p, _b, amount, _d, _c in self._open_items_as_of(company, provision_day))
        receivables = currency.round(receivables)
        return {
            "provision": provision,
            "provision_date": provision_day,
            "provision_date_text": format_date(self.env, provision_day),
            "provision_percent": round(100.0 * provision / receivables, 1) if receivables > 0 else None,
        }
