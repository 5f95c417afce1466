from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRiskPrepayment(CreditControlCommon):
    """A segment or a credit decision requires a prepayment: quotations ask it through Odoo's online payment,
    only a credit manager asks less, and a blocked quotation can be sent with the prepayment that makes it fit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "portal_confirmation_pay": False,
                "credit_overdue_block_days": 30,
                "credit_overdue_block_tolerance": 50.0,
            }
        )
        cls.segment = cls.env["credit.segment"].create(
            {"name": "Nieuwe klanten met risico", "partner_domain": "[('id', '=', 0)]", "prepayment_percent": 50.0}
        )
        cls.customer.write({"credit_segment_id": cls.segment.id, "credit_segment_mode": "manual"})
        cls.other_customer.email = "administratie@peeters.example.com"  # the payment's message is the customer's
        cls.payment_method = cls.env.ref("payment.payment_method_unknown")
        cls.provider = cls.env["payment.provider"].create(
            {
                "name": "Test provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [Command.set(cls.payment_method.ids)],
            }
        )
        # the provider books its payments in the bank journal, as account_payment's own tests set it up
        Method = cls.env.registry["account.payment.method"]
        information = Method._get_payment_method_information

        def _get_payment_method_information(self):
            return dict(information(self), none={"mode": "electronic", "type": ("bank",)})

        with patch.object(Method, "_get_payment_method_information", _get_payment_method_information):
            if not cls.env["account.payment.method"].search([("code", "=", "none"), ("payment_type", "=", "inbound")]):
                cls.env["account.payment.method"].sudo().create(
                    {"name": "Test method", "code": "none", "payment_type": "inbound"}
                )
            cls.provider.journal_id = cls.company_data["default_journal_bank"]

    def _pay_online(self, order, amount):
        """The customer pays ``amount`` of ``order`` on the portal: a done transaction, as Odoo's flow leaves it
        before its post-processing (confirmation of the order, then the payment)."""
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "amount": amount,
                "currency_id": order.currency_id.id,
                "partner_id": order.partner_id.id,
                "reference": f"{order.name}-{self.env['payment.transaction'].search_count([]) + 1}",
                "operation": "online_redirect",
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        tx._set_done()
        return tx

    def _exposure(self, partner):
        return partner._credit_exposure_by_partner(self.company).get(partner.id, 0.0)

    # ------------------------------------------------------------------
    # The customer's required prepayment
    # ------------------------------------------------------------------

    def test_required_prepayment_is_the_highest_of_segment_and_last_decision(self):
        self.assertEqual(self.customer.credit_prepayment_percent, 50.0)
        self.assertEqual(self.customer_contact.credit_prepayment_percent, 50.0)
        Review = self.env["credit.review"].with_user(self.salesman)

        def decide(action, **kwargs):
            review = Review.create({"partner_id": self.customer.id, "requested_limit": 5000, "request_reason": "x"})
            getattr(review.with_user(self.manager), action)(reason="Besluit", **kwargs)

        decide("action_approve_prepayment", percent=70.0)
        self.customer.invalidate_recordset(["credit_prepayment_percent"])
        self.assertEqual(self.customer.credit_prepayment_percent, 70.0)
        # a rejection changes nothing
        decide("action_reject")
        self.customer.invalidate_recordset(["credit_prepayment_percent"])
        self.assertEqual(self.customer.credit_prepayment_percent, 70.0)
        # a later approval without prepayment lifts the decision's requirement; the segment's stays
        decide("action_approve")
        self.customer.invalidate_recordset(["credit_prepayment_percent"])
        self.assertEqual(self.customer.with_user(self.salesman).credit_prepayment_percent, 50.0)
        # per company: another company has neither the segment nor the decisions
        other_company = self.env["res.company"].create({"name": "Onderdelen België"})
        self.assertEqual(self.customer._credit_prepayment_percent_by_partner(other_company), {self.customer.id: 0.0})

    def test_segment_prepayment_must_be_a_percentage(self):
        with self.assertRaises(UserError):
            self.segment.prepayment_percent = 120.0

    # ------------------------------------------------------------------
    # Quotations ask it through Odoo's online payment
    # ------------------------------------------------------------------

    def test_quotation_asks_the_prepayment_on_create_and_on_partner_change(self):
        order = self._order(self.customer, 1000.0, user=self.salesman)
        self.assertTrue(order.require_payment)
        self.assertAlmostEqual(order.prepayment_percent, 0.5)
        self.assertEqual(order.credit_prepayment_percent, 50.0)
        self.assertEqual(order._get_prepayment_required_amount(), 500.0)
        self.assertTrue(order._has_to_be_paid())
        other = self._order(self.other_customer, 1000.0, user=self.salesman)
        self.assertFalse(other.require_payment)
        # another customer brings its own requirement, in both directions
        order.with_user(self.salesman).partner_id = self.other_customer
        self.assertFalse(order.require_payment)
        self.assertEqual(order.credit_prepayment_percent, 0.0)
        other.with_user(self.salesman).partner_id = self.customer_contact
        self.assertTrue(other.require_payment)
        self.assertAlmostEqual(other.prepayment_percent, 0.5)
        # in the form, before saving
        with Form(self.env["sale.order"].with_user(self.salesman)) as form:
            form.partner_id = self.customer
            self.assertTrue(form.require_payment)
            self.assertAlmostEqual(form.prepayment_percent, 0.5)
            with form.order_line.new() as line:
                line.product_id = self.product
        self.assertTrue(form.record.require_payment)
        self.assertAlmostEqual(form.record.prepayment_percent, 0.5)

    def test_company_online_payment_above_the_requirement_is_kept(self):
        self.company.write({"portal_confirmation_pay": True, "prepayment_percent": 0.8})
        order = self._order(self.customer, 1000.0, user=self.salesman)
        self.assertAlmostEqual(order.prepayment_percent, 0.8)
        self.company.prepayment_percent = 0.3
        order = self._order(self.customer, 1000.0, user=self.salesman)
        self.assertAlmostEqual(order.prepayment_percent, 0.5)

    def test_salesman_cannot_lower_the_prepayment(self):
        order = self._order(self.customer, 1000.0, user=self.salesman)
        as_salesman = order.with_user(self.salesman)
        for vals in ({"prepayment_percent": 0.2}, {"require_payment": False}, {"prepayment_percent": 0.4999}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                as_salesman.write(vals)
        with self.assertRaises(AccessError):
            as_salesman.write({"credit_prepayment_percent": 0.0})
        with self.assertRaises(AccessError):
            as_salesman.write({"credit_prepayment_lowered_by_id": self.salesman.id})
        order.invalidate_recordset()
        self.assertTrue(order.require_payment)
        self.assertAlmostEqual(order.prepayment_percent, 0.5)
        self.assertEqual(order.credit_prepayment_percent, 50.0)
        # asking more is the salesperson's choice
        as_salesman.prepayment_percent = 0.8
        self.assertAlmostEqual(order.prepayment_percent, 0.8)
        as_salesman.prepayment_percent = 0.5
        # on create, and on a change of customer in the same write
        SaleOrder = self.env["sale.order"].with_user(self.salesman)
        for vals in ({"require_payment": False}, {"require_payment": True, "prepayment_percent": 0.1}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                SaleOrder.create({"partner_id": self.customer.id, **vals})
        other = self._order(self.other_customer, 100.0, user=self.salesman)
        with self.assertRaises(UserError):
            other.with_user(self.salesman).write({"partner_id": self.customer.id, "require_payment": False})
        with self.assertRaises(AccessError):
            SaleOrder.create({"partner_id": self.customer.id, "credit_prepayment_percent": 0.0})

    def test_copy_keeps_the_prepayment(self):
        order = self._order(self.customer, 1000.0, user=self.salesman)
        copy = order.with_user(self.salesman).copy()
        self.assertTrue(copy.require_payment)
        self.assertAlmostEqual(copy.prepayment_percent, 0.5)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).copy({"require_payment": False})
        # a credit manager's lower prepayment is for its quotation only
        order.with_user(self.manager).prepayment_percent = 0.1
        copy = order.with_user(self.salesman).copy()
        self.assertAlmostEqual(copy.prepayment_percent, 0.5)
        self.assertFalse(copy.credit_prepayment_lowered_by_id)

    def test_credit_manager_may_lower_it_and_it_is_logged(self):
        order = self._order(self.customer, 1000.0, user=self.salesman)
        order.with_user(self.manager).prepayment_percent = 0.2
        self.assertAlmostEqual(order.prepayment_percent, 0.2)
        self.assertEqual(order.credit_prepayment_percent, 20.0)
        self.assertEqual(order.credit_prepayment_lowered_by_id, self.manager)
        self.assertIn("lowered from 50.00 % to 20.00 % by Credit Manager", self._messages(order)[0].body)
        # the salesperson keeps it there, and sending does not ask the customer's 50 % again
        order.with_user(self.salesman).action_quotation_send()
        self.assertAlmostEqual(order.prepayment_percent, 0.2)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).prepayment_percent = 0.1
        order.with_user(self.manager).require_payment = False
        self.assertEqual(order.credit_prepayment_percent, 0.0)
        self.assertIn("Online payment switched off by Credit Manager", self._messages(order)[0].body)
        order.with_user(self.salesman).write({"note": "Levering in week 26"})
        self.assertFalse(order.require_payment)

    def test_sending_asks_the_requirement_of_today(self):
        order = self._order(self.other_customer, 1000.0, user=self.salesman)
        self.assertFalse(order.require_payment)
        self.other_customer.write({"credit_segment_id": self.segment.id, "credit_segment_mode": "manual"})
        action = order.with_user(self.salesman).action_quotation_send()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertTrue(order.require_payment)
        self.assertAlmostEqual(order.prepayment_percent, 0.5)
        self.assertEqual(order.credit_prepayment_percent, 50.0)
        self.assertIn("Online payment of at least 50.00 % required", self._messages(order)[0].body)

    # ------------------------------------------------------------------
    # Send with prepayment
    # ------------------------------------------------------------------

    def test_send_with_prepayment_asks_what_makes_the_unpaid_part_fit_to_the_cent(self):
        self.other_customer.write({"credit_limit": 1000.0, "use_partner_credit_limit": True})
        self._invoice(self.other_customer, 600.0, due_in=10)
        order = self._order(self.other_customer, 1234.56, user=self.salesman)
        self.assertTrue(order.with_user(self.salesman).credit_blocked)
        action = order.with_user(self.salesman).action_credit_send_with_prepayment()
        self.assertEqual(action["res_model"], "mail.compose.message")
        # 1,234.56 - (1,000 - 600) = 834.56 paid online first
        self.assertTrue(order.require_payment)
        self.assertEqual(order._get_prepayment_required_amount(), 834.56)
        self.assertAlmostEqual(order.credit_prepayment_percent, 83456 / 1234.56, places=6)
        self.assertIn("Sent with prepayment by Salesman", self._messages(order)[0].body)
        self.assertIn("834.56", self._messages(order)[0].body)
        # the salesperson cannot ask less afterwards
        with self.assertRaises(UserError):
            order.with_user(self.salesman).prepayment_percent = 0.6
        # the customer pays it on the portal: the order confirms without an override
        tx = self._pay_online(order, 834.56)
        tx._check_amount_and_confirm_order()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.credit_override_ids)
        # only the unpaid part counts: 600 + 400.00, before the payment is booked and after
        self.assertAlmostEqual(self._exposure(self.other_customer), 1000.0, places=2)
        tx._post_process()
        self.assertTrue(tx.payment_id.move_id)
        self.assertEqual(tx.payment_id.move_id.state, "posted")
        self.assertAlmostEqual(self._exposure(self.other_customer), 1000.0, places=2)

    def test_payment_below_the_prepayment_does_not_confirm(self):
        self.other_customer.write({"credit_limit": 1000.0, "use_partner_credit_limit": True})
        self._invoice(self.other_customer, 600.0, due_in=10)
        order = self._order(self.other_customer, 1234.56, user=self.salesman)
        order.with_user(self.salesman).action_credit_send_with_prepayment()
        tx = self._pay_online(order, 834.55)
        tx._check_amount_and_confirm_order()
        self.assertIn(order.state, ("draft", "sent"))
        self.assertTrue(order.with_user(self.salesman).credit_blocked)
        # the rest of the prepayment confirms it
        self._pay_online(order, 0.01)._check_amount_and_confirm_order()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(self._exposure(self.other_customer), 1000.0, places=2)

    def test_send_with_prepayment_asks_at_least_the_customers_prepayment(self):
        self.customer.write({"credit_limit": 1000.0, "use_partner_credit_limit": True})
        order = self._order(self.customer, 1100.0, user=self.salesman)
        order.with_user(self.salesman).action_credit_send_with_prepayment()
        self.assertAlmostEqual(order.prepayment_percent, 0.5)
        self.assertEqual(order._get_prepayment_required_amount(), 550.0)

    def test_customer_on_hold_or_overdue_prepays_everything(self):
        self.other_customer.write({"credit_hold": True, "credit_hold_reason": "Cheque geweigerd"})
        order = self._order(self.other_customer, 321.09, user=self.salesman)
        order.with_user(self.salesman).action_credit_send_with_prepayment()
        self.assertEqual(order.prepayment_percent, 1.0)
        self.assertEqual(order._get_prepayment_required_amount(), 321.09)
        self._pay_online(order, 321.09)._check_amount_and_confirm_order()
        self.assertEqual(order.state, "sale")

        late = self.env["res.partner"].create(
            {"name": "Garage Laat", "is_company": True, "customer_rank": 1, "email": "laat@example.com"}
        )
        self._invoice(late, 200.0, due_in=-45)
        order = self._order(late, 100.0, user=self.salesman)
        order.with_user(self.salesman).action_credit_send_with_prepayment()
        self.assertEqual(order._get_prepayment_required_amount(), 100.0)

    def test_send_with_prepayment_needs_a_blocked_quotation(self):
        order = self._order(self.other_customer, 100.0, user=self.salesman)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_credit_send_with_prepayment()
        # the customer cannot raise its own quotation's prepayment over RPC: it may not write the order
        self.other_customer.with_user(self.collector).credit_hold = True
        portal = new_test_user(self.env, login="peeters_portal", groups="base.group_portal")
        portal.partner_id.parent_id = self.other_customer
        with self.assertRaises(AccessError):
            order.with_user(portal).action_credit_send_with_prepayment()
        self.assertFalse(order.require_payment)

    def test_exposure_nets_only_unbooked_payments_of_confirmed_orders(self):
        """The exposure statement and its Python twin agree on an order paid in part online."""
        order = self._order(self.other_customer, 500.0)
        order.action_confirm()
        tx = self._pay_online(order, 200.0)
        self.assertAlmostEqual(self._exposure(self.other_customer), 300.0, places=2)
        self.assertAlmostEqual(order._credit_uninvoiced_amount(), 300.0, places=2)
        tx._post_process()
        self.assertAlmostEqual(self._exposure(self.other_customer), 300.0, places=2)
        self.assertAlmostEqual(order._credit_uninvoiced_amount(), 500.0, places=2)
