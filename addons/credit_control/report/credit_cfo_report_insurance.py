from odoo import api, models


class ReportCreditCfo(models.AbstractModel):
    """The insured part of the receivables on the CFO report: what the credit insurers cover of them."""

    _inherit = "report.credit_control.report_credit_cfo"

    @api.model
    def _cfo_values(self, snapshot, day=None):
        values = super()._cfo_values(snapshot, day)
        values["receivables_insured"] = self._cfo_insured(snapshot.company_id, values["date"])
        return values

    @api.model
    def _cfo_insured(self, company, day, open_items=None):
        """The insured part of the receivables at the end of ``day``: per customer min(balance, insured limit) ×
        coverage of its cover valid that day, a customer whose balance is a credit having none."""
        open_items = self._open_items_as_of(company, day) if open_items is None else open_items
        balances = {}
        for partner, _bucket, amount, _days, _is_credit in open_items:
            balances[partner] = balances.get(partner, 0.0) + amount
        partners = self.env["res.partner"].union(*balances)
        covering = self.env["credit.insurance"]._covering(partners, company, day)
        return company.currency_id.round(
            sum(
                covering[partner.id]._insured_amount(balance)
                for partner, balance in balances.items()
                if partner.id in covering
            )
        )
