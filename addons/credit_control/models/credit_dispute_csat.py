from odoo import models

# Imported for its class: the mixin must be in the registry before the models that inherit it.
from .credit_csat_mixin import CreditCsatMixin  # noqa: F401
from .credit_kpi_snapshot import CLOSED_DISPUTE_STATES


class CreditDispute(models.Model):
    """A dispute resolved or rejected asks the customer to rate how it was handled (see ``credit.csat.mixin``)."""

    _name = "credit.dispute"
    _inherit = ["credit.csat.mixin", "credit.dispute"]  # the mixin first: it brings mail.thread's subclass rating.mixin
    _csat_template = "credit_control.mail_template_credit_rating_request_dispute"

    def _close(self, state, resolution=None):
        result = super()._close(state, resolution)
        if state in CLOSED_DISPUTE_STATES:
            self._csat_send_request()
        return result
