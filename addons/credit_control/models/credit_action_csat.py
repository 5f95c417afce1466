from odoo import models

# Imported for its class: the mixin must be in the registry before the models that inherit it.
from .credit_csat_mixin import CreditCsatMixin  # noqa: F401

# The call outcomes after which the customer is asked to rate the call: those where somebody was reached.
CSAT_CALL_OUTCOMES = ("reached", "promise", "dispute")


class CreditAction(models.Model):
    """A follow-up call logged with the customer reached asks the customer to rate the call (see
    ``credit.csat.mixin`` and ``credit.action.call._log``)."""

    _name = "credit.action"
    _inherit = ["credit.csat.mixin", "credit.action"]  # the mixin first: it brings mail.thread's subclass rating.mixin
    _csat_template = "credit_control.mail_template_credit_rating_request_call"

    def _rating_get_partner(self):
        """The contact the call was for (the customer's invoicing contact when the call was planned)."""
        return self.recipient_id or super()._rating_get_partner()

    def _csat_after_call(self):
        """Ask for a rating of the calls just logged where the customer was reached (once per call)."""
        return self.filtered(
            lambda a: a.channel == "phone" and a.call_outcome in CSAT_CALL_OUTCOMES
        )._csat_send_request()
