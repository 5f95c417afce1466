from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditSecurity(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Van Dijk België")["company"]
        cls.segment = cls.env["credit.segment"].create({"name": "Good payers", "company_id": cls.company.id})
        cls.segment_2 = cls.env["credit.segment"].create({"name": "Goede betalers BE", "company_id": cls.company_2.id})

    def test_salesman_reads_the_credit_status_but_cannot_change_it(self):
        self.customer.write({"credit_hold": True, "credit_hold_reason": "Unpaid", "credit_segment_id": self.segment.id})
        self._invoice(self.customer, 120.0, due_in=-5)
        as_sales = self.customer.with_user(self.salesman)
        self.assertTrue(as_sales.credit_hold)
        self.assertEqual(as_sales.credit_status, "hold")
        # the status, not the reason, the segment or the amounts (those are credit staff's and accounting's)
        for name in ("credit_hold_reason", "credit_segment_id", "credit_exposure", "credit_overdue_amount"):
            with self.assertRaises(AccessError, msg=name):
                as_sales.read([name])
        self.assertAlmostEqual(self.customer.with_user(self.collector).credit_overdue_amount, 120.0, places=2)
        for vals in (
            {"credit_hold": False},
            {"credit_collector_id": self.salesman.id},
            {"credit_segment_id": False},
            {"credit_segment_mode": "manual"},
            {"credit_rating": "AAA"},
        ):
            with self.assertRaises(AccessError, msg=vals):
                as_sales.write(vals)
        with self.assertRaises(AccessError):
            self.env["credit.segment"].with_user(self.salesman).create({"name": "Mine"})
        # ordinary partner fields stay editable for sales
        as_sales.write({"phone": "+31 30 123 45 67"})

    def test_only_credit_managers_set_limits_and_segments(self):
        billing = new_test_user(
            self.env, login="billing", groups="account.group_account_invoice,sales_team.group_sale_salesman"
        )
        for user in (billing, self.collector):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).write({"credit_limit": 10000.0})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).write({"credit_segment_id": self.segment.id})
        with self.assertRaises(AccessError):
            self.env["credit.segment"].with_user(self.collector).create({"name": "Mine"})
        self.customer.with_user(self.manager).write({"credit_limit": 10000.0, "credit_segment_id": self.segment.id})
        self.assertEqual(self.customer.credit_limit, 10000.0)

    def test_collector_handles_hold_collector_channel_and_rating(self):
        self.customer.with_user(self.collector).write(
            {
                "credit_hold": True,
                "credit_hold_reason": "Promise broken",
                "credit_collector_id": self.collector.id,
                "credit_channel": "phone",
                "credit_rating": "B",
                "credit_rating_source": "Graydon",
            }
        )
        self.assertEqual(self.customer.credit_channel, "phone")

    def test_statistics_cannot_be_written_by_hand(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.manager).write({"credit_overdue_amount": 0.0})

    def test_segments_and_overrides_are_company_bound(self):
        self.manager.company_ids = [Command.link(self.company_2.id)]
        Segment = self.env["credit.segment"].with_user(self.manager)
        visible = Segment.with_context(allowed_company_ids=self.company.ids).search([])
        self.assertIn(self.segment, visible)
        self.assertNotIn(self.segment_2, visible)
        self.assertIn(self.segment_2, Segment.with_context(allowed_company_ids=self.company_2.ids).search([]))

        self.customer.credit_hold = True
        order = self._order(self.customer, 100.0)
        self.env["credit.override.approve"].with_user(self.manager).create(
            {"order_id": order.id, "reason": "ok", "confirm_order": False}
        ).action_approve()
        Override = self.env["credit.override"].with_user(self.manager)
        self.assertTrue(Override.with_context(allowed_company_ids=self.company.ids).search([]))
        self.assertFalse(Override.with_context(allowed_company_ids=self.company_2.ids).search([]))

    def test_credit_hold_is_per_company(self):
        self.customer.credit_hold = True
        self.assertFalse(self.customer.with_company(self.company_2).credit_hold)
        self.assertFalse(self._order(self.customer, 10.0, company=self.company_2).credit_block_reason)
        self.assertTrue(self._order(self.customer, 10.0).credit_block_reason)

    def test_every_model_has_access_rules(self):
        models = self.env["ir.model"].search([("model", "=like", "credit.%")])
        self.assertTrue(models)
        for model in models:
            if self.env[model.model]._abstract:
                continue  # a mixin has no table and no records of its own
            self.assertTrue(model.access_ids, f"{model.model} has no access rights")
            staff = self.env.ref("credit_control.group_credit_control_user") | self.env.ref(
                "credit_control.group_credit_control_manager"
            )
            self.assertTrue(model.access_ids.group_id & staff, model.model)
