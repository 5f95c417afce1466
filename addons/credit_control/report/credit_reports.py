from odoo import models

from ..models.res_partner import CREDIT_AMOUNT_GROUPS


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


class ReportCreditClaim(models.AbstractModel):
    """The claim to the trustee of an insolvency case: credit staff only."""

    _name = "report.credit_control.report_credit_claim"
    _inherit = "credit.report.mixin"
    _description = "Credit Control Report: Claim to the Trustee"

    _credit_report_model = "credit.insolvency"
