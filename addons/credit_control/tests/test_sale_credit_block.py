from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSaleCreditBlock(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"credit_overdue_block_days": 30, "credit_overdue_block_tolerance": 50.0})

    def _confirm_as(self, user, order):
        return order.with_user(user).action_confirm()

    # ------------------------------------------------------------------
    # The three blocks
    # ------------------------------------------------------------------

    def test_credit_hold_blocks_with_its_reason(self):
        self.customer.with_user(self.collector).write(
            {"credit_hold": True, "credit_hold_reason": "Cheque bounced twice"}
        )
        order = self._order(self.customer_contact, 100.0, user=self.salesman)
        # the salesperson learns that the customer is held, the reason stays with credit staff
        banner = order.with_user(self.salesman).credit_block_reason
        self.assertIn("Garage De Vries B.V. is on credit hold.", banner)
        self.assertNotIn("Cheque bounced twice", banner)
        self.assertIn("Ask a credit manager to override the credit block.", banner)
        self.assertIn(
            "Garage De Vries B.V. is on credit hold: Cheque bounced twice.",
            order.with_user(self.collector).credit_block_reason,
        )
        with self.assertRaisesRegex(UserError, "is on credit hold\\.") as refusal:
            self._confirm_as(self.salesman, order)
        self.assertNotIn("Cheque bounced twice", str(refusal.exception))
        self.assertEqual(order.state, "draft")
        self.assertIn("Credit hold set", self._messages(self.customer)[0].body)

    def test_banner_shows_while_the_quotation_is_written(self):
        self.customer.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": "Bounced"})
        form = Form(self.env["sale.order"].with_user(self.salesman))
        form.partner_id = self.customer
        self.assertIn("is on credit hold.", form.credit_block_reason)
        form.partner_id = self.other_customer
        self.assertFalse(form.credit_block_reason)

    def test_credit_limit_counts_open_draft_and_uninvoiced_orders(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        self._invoice(self.customer, 600.0, due_in=10)  # open, not due
        self._invoice(self.customer, 100.0, due_in=20, post=False)  # draft invoice
        earlier = self._order(self.customer, 200.0)
        earlier.action_confirm()  # confirmed, not invoiced
        self.assertEqual(earlier.state, "sale")
        self.assertAlmostEqual(self.customer.credit_exposure, 900.0, places=2)
        self.assertAlmostEqual(self.customer.credit_available, 100.0, places=2)

        small = self._order(self.customer, 100.0, user=self.salesman)
        self.assertFalse(small.credit_block_reason)  # 900 + 100 = 1000: at the limit, not above it
        big = self._order(self.customer, 150.0, user=self.salesman)
        self.assertIn("Credit limit exceeded", big.credit_block_reason)
        for figure in ("900.00", "150.00", "1,050.00", "1,000.00"):
            self.assertIn(figure, big.credit_block_reason)
        with self.assertRaisesRegex(UserError, "Credit limit exceeded"):
            self._confirm_as(self.salesman, big)
        self._confirm_as(self.salesman, small)
        self.assertEqual(small.state, "sale")

    def test_orders_confirmed_together_add_up(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        first = self._order(self.customer, 600.0)
        second = self._order(self.customer, 600.0)
        with self.assertRaisesRegex(UserError, "Credit limit exceeded"):
            (first | second).action_confirm()

    def test_invoiced_order_is_not_counted_twice(self):
        order = self._order(self.customer, 300.0)
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertAlmostEqual(self.customer.credit_exposure, 300.0, places=2)  # draft invoice from the order
        invoice.action_post()
        self.assertAlmostEqual(self.customer.credit_exposure, 300.0, places=2)  # now a receivable

    def test_overdue_blocks_above_tolerance_and_days(self):
        self._invoice(self.customer, 40.0, due_in=-45)  # overdue 45 days, within tolerance
        self._invoice(self.customer, 500.0, due_in=-10)  # overdue, but only 10 days
        order = self._order(self.customer, 100.0, user=self.salesman)
        self.assertFalse(order.credit_block_reason)
        self._invoice(self.customer, 60.0, due_in=-31)
        order.invalidate_recordset()
        self.assertIn("100.00 is overdue by more than 30 days (tolerance", order.credit_block_reason)
        with self.assertRaisesRegex(UserError, "overdue by more than 30 days"):
            self._confirm_as(self.salesman, order)

    def test_foreign_currency_order_is_converted(self):
        other = self.setup_other_currency("EUR")  # rate 2.0
        self.customer.with_user(self.manager).credit_limit = 1000.0
        pricelist = self.env["product.pricelist"].create({"name": "Foreign", "currency_id": other.id})
        order = self._order(self.customer, 1000.0)
        order.pricelist_id = pricelist  # 1000.00 in the other currency = 500.00 in company currency
        order.order_line.price_unit = 1000.0
        self.assertEqual(order.currency_id, other)
        self.assertAlmostEqual(order._credit_amount_company(), 500.0, places=2)
        self.assertFalse(order.credit_block_reason)

    # ------------------------------------------------------------------
    # No way around the check but an override
    # ------------------------------------------------------------------

    def test_salesman_cannot_bypass_by_rpc(self):
        self.customer.with_user(self.collector).credit_hold = True
        order = self._order(self.customer, 100.0, user=self.salesman)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).write({"state": "sale"})
        with self.assertRaises(UserError):
            order.with_user(self.salesman).with_context(credit_override=True, send_email=True).action_confirm()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).action_credit_override()
        with self.assertRaises(AccessError):
            self.env["credit.override.approve"].with_user(self.salesman).create(
                {"order_id": order.id, "reason": "I say so"}
            )
        with self.assertRaises(AccessError):
            self.env["credit.override"].with_user(self.salesman).create(
                {"order_id": order.id, "partner_id": self.customer.id, "company_id": self.company.id, "reason": "x"}
            )
        self.assertEqual(order.state, "draft")

    def test_manager_override_is_logged_and_confirms(self):
        self.customer.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": "Bankruptcy rumours"})
        order = self._order(self.customer, 250.0, user=self.salesman)
        wizard = (
            self.env["credit.override.approve"]
            .with_user(self.manager)
            .create({"order_id": order.id, "reason": "Prepayment received by bank transfer"})
        )
        self.assertIn("Bankruptcy rumours", wizard.block_message)
        self.assertAlmostEqual(wizard.order_amount, 250.0, places=2)
        wizard.action_approve()
        self.assertEqual(order.state, "sale")
        override = order.credit_override_ids
        self.assertEqual(len(override), 1)
        self.assertEqual(override.user_id, self.manager)
        self.assertEqual(override.reason, "Prepayment received by bank transfer")
        self.assertEqual(override.partner_id, self.customer)
        self.assertAlmostEqual(override.order_amount, 250.0, places=2)
        self.assertIn("Bankruptcy rumours", override.block_message)
        note = self._messages(order).filtered(lambda m: "Credit block overridden" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Credit Manager", note.body)
        self.assertIn("Prepayment received by bank transfer", note.body)
        # kept for the audit trail
        with self.assertRaises(UserError):
            override.with_user(self.manager).unlink()

    def test_override_needs_a_reason(self):
        self.customer.with_user(self.collector).credit_hold = True
        order = self._order(self.customer, 100.0)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["credit.override.approve"].with_user(self.manager).create({"order_id": order.id})
        wizard = (
            self.env["credit.override.approve"].with_user(self.manager).create({"order_id": order.id, "reason": "   "})
        )
        with self.assertRaisesRegex(UserError, "Give the reason"):
            wizard.action_approve()
        self.assertFalse(order.credit_override_ids)

    def test_override_covers_the_approved_amount_only(self):
        self.customer.with_user(self.collector).credit_hold = True
        order = self._order(self.customer, 100.0, user=self.salesman)
        self.env["credit.override.approve"].with_user(self.manager).create(
            {"order_id": order.id, "reason": "Known customer", "confirm_order": False}
        ).action_approve()
        self.assertFalse(order.credit_block_reason)
        self.assertTrue(order.credit_override_id)
        order.order_line.price_unit = 150.0  # the order grew after the approval
        self.assertTrue(order.credit_block_reason)
        with self.assertRaises(UserError):
            self._confirm_as(self.salesman, order)
        order.order_line.price_unit = 90.0
        self._confirm_as(self.salesman, order)
        self.assertEqual(order.state, "sale")

    def test_cancelled_override_blocks_again(self):
        self.customer.with_user(self.collector).credit_hold = True
        order = self._order(self.customer, 100.0)
        self.env["credit.override.approve"].with_user(self.manager).create(
            {"order_id": order.id, "reason": "Known customer", "confirm_order": False}
        ).action_approve()
        order.credit_override_ids.with_user(self.manager).action_cancel()
        self.assertEqual(order.credit_override_ids.state, "cancelled")
        self.assertTrue(order.credit_block_reason)

    # ------------------------------------------------------------------
    # Customers confirming themselves
    # ------------------------------------------------------------------

    def test_order_paid_online_is_not_blocked(self):
        self.customer.with_user(self.collector).credit_hold = True
        order = self._order(self.customer, 100.0)
        provider = self.env["payment.provider"].create(
            {
                "name": "Test provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_unknown").ids)],
            }
        )
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "CC-TEST-1",
                "operation": "online_redirect",
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        tx._set_done()
        tx._check_amount_and_confirm_order()
        self.assertEqual(order.state, "sale")

    def test_blocked_portal_signature_leaves_a_quotation_and_an_activity(self):
        self.customer.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": "Disputed invoices"})
        order = self._order(self.customer, 100.0, user=self.salesman)
        self.assertEqual(order.user_id, self.salesman)
        order.sudo()._validate_order()
        self.assertEqual(order.state, "draft")
        activity = order.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("Credit block", activity.summary)
        self.assertIn("Disputed invoices", activity.note)
        # without a block, the portal flow confirms as usual
        self.customer.with_user(self.collector).credit_hold = False
        order.sudo()._validate_order()
        self.assertEqual(order.state, "sale")
