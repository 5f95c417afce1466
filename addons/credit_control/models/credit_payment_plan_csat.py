from odoo import api, models

# Imported for its class: the mixin must be in the registry before the models that inherit it.
from .credit_csat_mixin import CreditCsatMixin  # noqa: F401


class CreditPaymentPlan(models.Model):
    """A payment plan paid in full asks the customer to rate the arrangement (see ``credit.csat.mixin``)."""

    _name = "credit.payment.plan"
    _inherit = [
        "credit.csat.mixin",
        "credit.payment.plan",
    ]  # the mixin first: it brings mail.thread's subclass rating.mixin
    _csat_template = "credit_control.mail_template_credit_rating_request_plan"

    @api.model
    def _check_plans(self, company, today=None):
        done, broken = super()._check_plans(company, today=today)
        done._csat_send_request()
        return done, broken
