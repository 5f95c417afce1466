from odoo import api, models
from odoo.exceptions import AccessError

from .res_partner import CREDIT_STAFF_GROUPS


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
