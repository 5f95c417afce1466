from datetime import timedelta

from freezegun import freeze_time

from odoo import fields

from .common import TODAY, CreditControlCommon


class CreditArrangementCommon(CreditControlCommon):
    """A follow-up policy (reminder at 7 days, a call at 21, a second reminder at 30) and helpers to
    travel in time through the daily check of promises and plans and the follow-up run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy(
            "Arrangements policy",
            {"name": "Reminder 1", "days": 7},
            {"name": "Call", "days": 21, "action_type": "phone"},
            {"name": "Reminder 2", "days": 30},
        )
        cls.reminder, cls.call, cls.reminder_2 = cls.policy.level_ids.sorted("days")
        cls.customer.with_user(cls.collector).credit_collector_id = cls.collector
        cls.Action = cls.env["credit.action"]

    def _at(self, days):
        return freeze_time(fields.Date.from_string(TODAY) + timedelta(days=days))

    def _daily(self, days=0):
        """The daily check of promises and plans, then the follow-up run, ``days`` from today.

        Returns the follow-up actions the run created."""
        with self._at(days):
            self.env["credit.promise"]._check_promises(self.company)
            self.env["credit.payment.plan"]._check_plans(self.company)
            return self.env["credit.followup.run"]._run_followup(self.company)

    def _item(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
