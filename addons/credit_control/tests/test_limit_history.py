from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, CreditControlCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestLimitHistory(CreditControlCommon):
    def _history(self, partner, user=None):
        return (
            self.env["credit.limit.history"].with_user(user or self.env.user).search([("partner_id", "=", partner.id)])
        )

    def _change(self, partner, limit, reason, user=None):
        wizard = (
            self.env["credit.limit.change"]
            .with_user(user or self.manager)
            .create({"partner_id": partner.id, "new_limit": limit, "reason": reason})
        )
        return wizard.action_apply()

    def test_change_with_a_reason_is_kept(self):
        self._change(self.customer, 15000.0, "Jaarlijkse review: Graydon A, twee jaar stipt")
        self.assertEqual(self.customer.credit_limit, 15000.0)
        self._change(self.customer, 5000.0, "Twee facturen 60 dagen te laat")
        history = self._history(self.customer)
        self.assertRecordValues(
            history,
            [
                {"old_limit": 15000.0, "new_limit": 5000.0, "change": -10000.0, "user_id": self.manager.id},
                {"old_limit": 0.0, "new_limit": 15000.0, "change": 15000.0, "user_id": self.manager.id},
            ],
        )
        self.assertEqual(history[0].reason, "Twee facturen 60 dagen te laat")
        self.assertEqual(history.company_id, self.company)
        note = self.customer.message_ids[0].body
        self.assertIn("Credit limit for", note)
        self.assertNotIn("5,000", note)  # amounts stay out of the chatter every employee reads

    def test_every_path_is_kept_and_no_change_no_row(self):
        self.customer.with_user(self.manager).write({"credit_limit": 2500.0})
        self.customer.with_user(self.manager).write({"credit_limit": 2500.0})
        partner = self.Partner.with_user(self.manager).create({"name": "Nieuwe klant BV", "credit_limit": 1000.0})
        self.assertRecordValues(
            self._history(self.customer), [{"old_limit": 0.0, "new_limit": 2500.0, "reason": "changed on the customer"}]
        )
        self.assertRecordValues(self._history(partner), [{"old_limit": 0.0, "new_limit": 1000.0}])

    def test_only_a_credit_manager_changes_a_limit_with_a_reason(self):
        with self.assertRaises(AccessError):
            self._change(self.customer, 1.0, "meer verkopen", user=self.salesman)
        with self.assertRaises(AccessError):
            self._change(self.customer, 1.0, "meer verkopen", user=self.collector)
        with self.assertRaisesRegex(UserError, "reason"):
            self._change(self.customer, 1000.0, "  ")
        with self.assertRaisesRegex(UserError, "negative"):
            self._change(self.customer, -1.0, "fout")
        self.assertFalse(self._history(self.customer))

    def test_history_is_never_changed_nor_deleted(self):
        self._change(self.customer, 1000.0, "start")
        row = self._history(self.customer)
        with self.assertRaises(AccessError):
            row.write({"reason": "anders"})
        with self.assertRaises(UserError):
            row.unlink()
        with self.assertRaises(AccessError):
            self.env["credit.limit.history"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "company_id": self.company.id, "new_limit": 9.0}
            )

    def test_limits_are_per_company_and_so_is_the_history(self):
        other = self.env["res.company"].create({"name": "Kredietbeheer België", "currency_id": self.currency.id})
        self.manager.company_ids = [Command.link(other.id)]
        only_here = new_test_user(
            self.env,
            login="collector_nl",
            groups="credit_control.group_credit_control_user",
            company_ids=[Command.set(self.company.ids)],
            company_id=self.company.id,
        )
        wizard = (
            self.env["credit.limit.change"]
            .with_user(self.manager)
            .with_company(other)
            .create({"partner_id": self.customer.id, "new_limit": 7000.0, "reason": "Belgische vestiging"})
        )
        wizard.action_apply()
        self.assertEqual(self.customer.with_company(other).credit_limit, 7000.0)
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 0.0)
        self.assertEqual(self._history(self.customer).company_id, other)
        self.assertFalse(self._history(self.customer, user=only_here))
