import logging

from odoo import api, fields, models

from .credit_followup_run import CRASHES

_logger = logging.getLogger(__name__)


class CreditFollowupRun(models.Model):
    """The daily run's credit-insurance step: warn the collector a week before an insured item passes its insurer's
    notification deadline."""

    _inherit = "credit.followup.run"

    @api.model
    def _prepare_company(self, company):
        result = super()._prepare_company(company)
        self._prepare_company_insurance(company)
        return result

    @api.model
    def _prepare_company_insurance(self, company):
        """Guarded like the other preparation steps: a failure is written on the company's run and the follow-up
        goes on."""
        name = self.env._("Insurer notifications")
        try:
            with self.env.cr.savepoint():
                self.env["credit.insurance"].with_company(company)._schedule_notification_activities(company)
        except CRASHES:
            raise
        except Exception as error:
            _logger.exception("credit_control: %s of %s failed", name, company.name)
            today = fields.Date.context_today(self)
            self._record_company_failure(company, today, self.env._("%(step)s: %(error)s", step=name, error=error))
