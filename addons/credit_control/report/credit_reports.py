from odoo import api, models
from odoo.exceptions import AccessError

from ..models.res_partner import CREDIT_AMOUNT_GROUPS, CREDIT_STAFF_GROUPS


class CreditReportMixin(models.AbstractModel):
    """Values of a credit control QWeb report, after checking that the user may see them.

    Odoo renders ``/report/html|pdf/<report>/<ids>`` for any logged-in user and reads the records as that user,
    but our reports read what they show with sudo (the open items, the aging, the KPIs). So every report of this
    addon has a ``report.credit_control.<template>`` model built on this mixin: the user must be able to read the
    records themselves (access rights and record rules) and belong to ``_credit_report_groups``. Printing with
    sudo (the daily run, the portal's own download of a customer's document) is not checked here.
    """

    _name = "credit.report.mixin"
    _description = "Credit Control Report: Access Check"

    _credit_report_model = None
    _credit_report_groups = CREDIT_STAFF_GROUPS

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env[self._credit_report_model].browse(docids or []).exists()
        self._credit_check_report_access(docs)
        return {"doc_ids": docs.ids, "doc_model": self._credit_report_model, "docs": docs}

    @api.model
    def _credit_check_report_access(self, docs):
        if self.env.su:
            return
        if self._credit_report_groups and not self.env.user.has_groups(self._credit_report_groups):
            raise AccessError(
                self.env._(
                    "You may not print %(report)s: it shows a customer's credit details. Ask credit control staff.",
                    report=self.env["ir.model"]._get(self._credit_report_model).name,
                )
            )
        docs.check_access("read")


class ReportCreditStatement(models.AbstractModel):
    """The customer statement: open items and aging, for those who may read receivables (as Odoo's credit limit)."""

    _name = "report.credit_control.report_credit_statement"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: Customer Statement"

    _credit_report_model = "res.partner"
    _credit_report_groups = CREDIT_AMOUNT_GROUPS


class ReportCreditLetter(models.AbstractModel):
    _name = "report.credit_control.report_credit_letter"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: Reminder Letter"

    _credit_report_model = "credit.action"


class ReportCreditPaymentPlan(models.AbstractModel):
    """The payment plan agreement: whoever may read the plan (its customer on the portal, credit staff)."""

    _name = "report.credit_control.report_credit_payment_plan"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: Payment Plan Agreement"

    _credit_report_model = "credit.payment.plan"
    _credit_report_groups = None


class ReportCreditCfo(models.AbstractModel):
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
        return dict(values, doc_ids=docs.ids, docs=docs)
