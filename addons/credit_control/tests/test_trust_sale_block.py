"""The credit block holds on every path to a confirmed order (issue 11 §1, §3 and §5).

Every attack is written as the salesperson would try it: through the ORM ``with_user(salesman)`` and,
for the main ones, over real RPC (XML-RPC as a logged-in salesperson).
"""

import xmlrpc.client
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import TODAY, CreditControlCommon


class TrustSaleCommon(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"credit_overdue_block_days": 30, "credit_overdue_block_tolerance": 50.0})

    def _hold(self, partner, reason="Cheque bounced twice"):
        partner.with_user(self.collector).write({"credit_hold": True, "credit_hold_reason": reason})

    def _line(self, amount, qty=1):
        # plain tuples rather than Command members: the same values go over XML-RPC
        return {"product_id": self.product.id, "product_uom_qty": qty, "price_unit": amount, "tax_id": [(5, 0, 0)]}

    def _orders_of(self, partner):
        return self.env["sale.order"].search([("partner_id", "child_of", partner.id)])

    def _approve(self, order, amount=None, confirm=False):
        vals = {"order_id": order.id, "reason": "Known customer, director approved", "confirm_order": confirm}
        wizard = self.env["credit.override.approve"].with_user(self.manager).create(vals)
        if amount is not None:
            wizard.order_amount = amount
        wizard.action_approve()
        return order.credit_override_ids.filtered(lambda o: o.state == "active")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTrustSaleBlock(TrustSaleCommon):
    # ------------------------------------------------------------------
    # Every transition into 'sale' is checked
    # ------------------------------------------------------------------

    def test_order_created_confirmed_is_refused(self):
        self._hold(self.customer)
        SaleOrder = self.env["sale.order"].with_user(self.salesman)
        with self.assertRaises(UserError) as caught:
            SaleOrder.create(
                {"partner_id": self.customer.id, "state": "sale", "order_line": [Command.create(self._line(100.0))]}
            )
        # the salesperson learns that the customer is held, not why (the reason is credit staff's)
        self.assertIn("is on credit hold.", str(caught.exception))
        self.assertNotIn("Cheque bounced twice", str(caught.exception))
        self.assertIn("Ask a credit manager", str(caught.exception))
        with self.assertRaises(UserError):  # a contact of the held customer is the same customer
            SaleOrder.create({"partner_id": self.customer_contact.id, "state": "sale"})
        self.assertFalse(self._orders_of(self.customer))
        # an honest customer is not bothered
        order = SaleOrder.create(
            {"partner_id": self.other_customer.id, "state": "sale", "order_line": [Command.create(self._line(100.0))]}
        )
        self.assertEqual(order.state, "sale")

    def test_copy_into_sale_is_refused(self):
        self._hold(self.customer)
        quotation = self._order(self.customer, 100.0, user=self.salesman)
        with self.assertRaises(UserError):
            quotation.with_user(self.salesman).copy(default={"state": "sale"})
        self.assertEqual(self._orders_of(self.customer), quotation)

    def test_cancelled_or_sent_quotation_written_to_sale_is_refused(self):
        self._hold(self.customer)
        order = self._order(self.customer, 100.0, user=self.salesman).with_user(self.salesman)
        with self.assertRaises(UserError):
            order.action_confirm()
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        for context in ({}, {"credit_override": True, "skip_credit_check": True, "install_mode": True}):
            with self.assertRaises(UserError):
                order.with_context(**context).write({"state": "sale"})
            self.assertEqual(order.state, "cancel")
        order.action_draft()
        order.write({"state": "sent"})
        with self.assertRaises(UserError):
            order.write({"state": "sale"})
        self.assertEqual(order.state, "sent")

    def test_confirm_within_limit_still_works(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        order = self._order(self.customer, 400.0, user=self.salesman).with_user(self.salesman)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        order._action_cancel()
        order.write({"state": "sale"})  # back to sale: 400 within 1,000
        self.assertEqual(order.state, "sale")

    # ------------------------------------------------------------------
    # A confirmed order that grows is re-checked on the increase
    # ------------------------------------------------------------------

    def test_confirmed_order_cannot_grow_past_the_limit(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        self._invoice(self.customer, 300.0, due_in=10)
        order = self._order(self.customer, 100.0, user=self.salesman).with_user(self.salesman)
        order.action_confirm()
        line = order.order_line
        attacks = [
            lambda: order.write({"order_line": [Command.create(self._line(1_000_000.0))]}),
            lambda: (
                self.env["sale.order.line"].with_user(self.salesman).create(dict(self._line(700.0), order_id=order.id))
            ),
            lambda: line.write({"product_uom_qty": 8}),
            lambda: line.write({"price_unit": 701.0}),
            lambda: order.write({"order_line": [Command.update(line.id, {"product_uom_qty": 10})]}),
        ]
        for attack in attacks:
            with self.assertRaises(UserError) as caught:
                attack()
            self.assertEqual(order.amount_total, 100.0)
        message = str(caught.exception)
        self.assertIn("This confirmed order cannot be increased", message)
        # exposure 300 + 100 already counted, + the increase 900 = 1,300
        for figure in ("400.00", "900.00", "1,300.00", "1,000.00"):
            self.assertIn(figure, message)
        # up to the limit, lower, or unchanged: fine
        line.write({"product_uom_qty": 6})  # 300 + 600 = 900
        line.write({"product_uom_qty": 2, "name": "Remschijf voor"})
        line.write({"name": "Remschijf achter"})
        self.assertEqual(order.amount_total, 200.0)

    def test_confirmed_order_cannot_grow_on_hold(self):
        order = self._order(self.customer, 100.0, user=self.salesman).with_user(self.salesman)
        order.action_confirm()
        self._hold(self.customer)
        with self.assertRaises(UserError):
            order.write({"order_line": [Command.create(self._line(1.0))]})
        # moving a line of a quotation into the confirmed order grows it too
        draft = self._order(self.other_customer, 50.0, user=self.salesman)
        with self.assertRaises(UserError):
            draft.order_line.with_user(self.salesman).write({"order_id": order.id})
        order.order_line.write({"price_unit": 80.0})  # lowering passes
        self.assertEqual(order.amount_total, 80.0)

    def test_confirmed_order_moved_to_a_held_customer_is_refused(self):
        order = self._order(self.other_customer, 100.0, user=self.salesman).with_user(self.salesman)
        order.action_confirm()
        self._hold(self.customer)
        with self.assertRaises(UserError):
            order.write({"partner_id": self.customer.id})
        self.assertEqual(order.partner_id, self.other_customer)

    def test_override_covers_a_confirmed_order_up_to_its_amount(self):
        self._hold(self.customer)
        order = self._order(self.customer, 100.0, user=self.salesman)
        self._approve(order, amount=500.0, confirm=True)
        self.assertEqual(order.state, "sale")
        line = order.order_line.with_user(self.salesman)
        line.write({"product_uom_qty": 5})  # 500: covered
        with self.assertRaises(UserError):
            line.write({"product_uom_qty": 6})
        self.assertEqual(order.amount_total, 500.0)
        # a new override for more, on the confirmed order, replaces the old one
        old = order.credit_override_ids
        self._approve(order, amount=800.0)
        self.assertEqual(old.state, "cancelled")
        line.write({"product_uom_qty": 8})
        self.assertEqual(order.amount_total, 800.0)

    def test_growth_check_is_set_based(self):
        self.customer.with_user(self.manager).credit_limit = 100_000.0
        order = self._order(self.customer, 100.0, user=self.salesman)
        order.action_confirm()
        Partner = type(self.env["res.partner"])
        original = Partner._credit_exposure_and_overdue
        calls = []

        def counting(partners, company, **kwargs):
            calls.append(partners.ids)
            return original(partners, company, **kwargs)

        with patch.object(Partner, "_credit_exposure_and_overdue", counting):
            order.with_user(self.salesman).write({"order_line": [(0, 0, self._line(10.0)) for _i in range(10)]})
        self.assertEqual(order.amount_total, 200.0)
        # the lines' check and the order's: each one statement (exposure and overdue) for all new lines
        self.assertTrue(1 <= len(calls) <= 2, calls)

    def test_computed_amounts_cannot_be_written_over(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        order = self._order(self.customer, 5000.0, user=self.salesman).with_user(self.salesman)
        for record, vals in (
            (order, {"amount_total": 1.0}),
            (order, {"amount_untaxed": 1.0, "amount_total": 1.0}),
            (order, {"currency_rate": 1000.0}),
            (order.order_line, {"price_total": 1.0}),
            (order.order_line, {"untaxed_amount_to_invoice": 0.0}),
            (order.order_line, {"qty_invoiced": 1.0}),
        ):
            with self.assertRaises(AccessError):
                record.write(vals)
        with self.assertRaises(UserError):
            order.action_confirm()
        self.assertEqual(order.amount_total, 5000.0)

    # ------------------------------------------------------------------
    # Online prepayment: only what was paid is exempt
    # ------------------------------------------------------------------

    def _paid(self, order, amount):
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
                "amount": amount,
                "currency_id": order.currency_id.id,
                "partner_id": order.partner_id.id,
                "reference": f"CC-TRUST-{order.id}-{amount}",
                "operation": "online_redirect",
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        tx._set_done()
        return tx

    def test_small_prepayment_does_not_exempt_the_order(self):
        self._hold(self.customer)
        order = self._order(self.customer, 1000.0, user=self.salesman)
        order.with_user(self.salesman).write({"require_payment": True, "prepayment_percent": 0.1})
        tx = self._paid(order, 100.0)
        tx._check_amount_and_confirm_order()
        self.assertEqual(order.state, "draft")  # the payment is kept, the order waits for credit control
        self.assertIn("Credit block", order.activity_ids.summary)
        self.assertIn("on credit hold", order.credit_block_reason)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()

    def test_only_the_paid_part_is_exempt_from_the_limit(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        order = self._order(self.customer, 1500.0, user=self.salesman)
        self._paid(order, 400.0)  # 1,100 left: above the limit
        self.assertIn("this order", order.credit_block_reason)
        self.assertIn("1,100.00", order.credit_block_reason)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self._paid(order, 200.0)  # 900 left
        order.invalidate_recordset()
        self.assertFalse(order.credit_block_reason)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_salesman_cannot_link_a_payment(self):
        paid_order = self._order(self.customer, 1000.0)
        tx = self._paid(paid_order, 1000.0)
        order = self._order(self.other_customer, 1000.0, user=self.salesman)
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write({"transaction_ids": [Command.link(tx.id)]})
        self.assertFalse(order.transaction_ids)

    # ------------------------------------------------------------------
    # Overrides: valid for one customer, company, currency and amount; never rewritten
    # ------------------------------------------------------------------

    def test_override_does_not_travel_to_another_customer(self):
        self._hold(self.customer)
        self._hold(self.other_customer, "Bankruptcy rumours")
        order = self._order(self.customer, 100.0, user=self.salesman)
        override = self._approve(order)
        order.with_user(self.salesman).write({"partner_id": self.other_customer.id})
        self.assertEqual(override.state, "cancelled")
        self.assertIn("customer of the order changed", override.cancel_reason)
        self.assertIn("cancelled by", self._messages(order)[0].body)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        # switching back does not revive it
        order.with_user(self.salesman).write({"partner_id": self.customer.id})
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_override_switch_and_confirm_in_one_write(self):
        self._hold(self.customer)
        self._hold(self.other_customer)
        order = self._order(self.customer, 100.0, user=self.salesman)
        self._approve(order)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).write({"partner_id": self.other_customer.id, "state": "sale"})
        self.assertEqual(order.state, "draft")

    def test_override_does_not_survive_a_currency_change(self):
        other = self.setup_other_currency("EUR")
        self._hold(self.customer)
        order = self._order(self.customer, 100.0, user=self.salesman)
        override = self._approve(order)
        pricelist = self.env["product.pricelist"].create({"name": "Foreign", "currency_id": other.id})
        order.with_user(self.salesman).write({"pricelist_id": pricelist.id})
        self.assertEqual(override.state, "cancelled")
        self.assertIn("currency of the order changed", override.cancel_reason)
        self.assertIn("on credit hold", order.credit_block_reason)

    def test_override_is_kept_as_approved(self):
        self._hold(self.customer)
        order = self._order(self.customer, 100.0)
        override = self._approve(order)
        for vals in ({"order_amount": 1_000_000.0}, {"partner_id": self.other_customer.id}, {"reason": "x"}):
            with self.assertRaises(AccessError):
                override.with_user(self.manager).write(vals)
        with self.assertRaises(AccessError):
            self.env["credit.override"].with_user(self.manager).create(
                {"order_id": order.id, "partner_id": self.customer.id, "company_id": self.company.id, "reason": "x"}
            )
        with self.assertRaises(UserError):
            override.with_user(self.manager).unlink()
        with self.assertRaises(UserError):
            override.sudo().unlink()
        # nor moved to another order through the orders' one2many
        other_order = self._order(self.customer, 90.0, user=self.salesman)
        for user in (self.salesman, self.manager):
            for command in (Command.link(override.id), Command.set(override.ids), Command.unlink(override.id)):
                target = order if command[0] == Command.UNLINK else other_order
                with self.assertRaises(AccessError):
                    target.with_user(user).write({"credit_override_ids": [command]})
        self.assertEqual(override.order_id, order)
        override.with_user(self.manager).action_cancel(reason="Customer did not pay the prepayment")
        self.assertEqual(override.state, "cancelled")
        self.assertEqual(override.cancel_reason, "Customer did not pay the prepayment")
        self.assertEqual(override.cancel_user_id, self.manager)
        with self.assertRaises(AccessError):  # no way back to active
            override.with_user(self.manager).write({"state": "active"})
        with self.assertRaises(AccessError):
            override.sudo().write({"state": "active"})
        self.assertAlmostEqual(override.order_amount, 100.0, places=2)

    # ------------------------------------------------------------------
    # Re-parenting a held customer is credit staff's decision
    # ------------------------------------------------------------------

    def test_held_customer_cannot_be_reparented_by_sales(self):
        self._hold(self.customer)
        Partner = self.env["res.partner"].with_user(self.salesman)
        customer, contact = Partner.browse(self.customer.id), Partner.browse(self.customer_contact.id)
        attacks = [
            lambda: customer.write({"parent_id": self.other_customer.id}),
            lambda: customer.write({"is_company": False}),
            lambda: contact.write({"parent_id": False}),
            lambda: contact.write({"parent_id": self.other_customer.id}),
            lambda: customer.write({"child_ids": [Command.unlink(contact.id)]}),
            lambda: customer.write({"child_ids": [Command.set([])]}),
            lambda: Partner.browse(self.other_customer.id).write({"child_ids": [Command.link(contact.id)]}),
            lambda: Partner.create(
                {"name": "Garage Nieuw", "is_company": True, "child_ids": [Command.link(contact.id)]}
            ),
            lambda: Partner.create(
                {"name": "Garage Nieuw", "is_company": True, "child_ids": [Command.set(contact.ids)]}
            ),
        ]
        for index, attack in enumerate(attacks):
            with self.assertRaises(AccessError, msg=f"attack {index}") as caught:
                attack()
            self.assertIn("Ask a collector or credit manager", str(caught.exception))
        self.assertEqual(self.customer_contact.parent_id, self.customer)
        self.assertFalse(self.customer.parent_id)
        # unchanged values pass, other partners too; credit staff decide
        contact.write({"parent_id": self.customer.id, "function": "Director"})
        Partner.browse(self.other_customer.id).write({"is_company": True, "name": "Autobedrijf Peeters BV"})
        self.customer_contact.with_user(self.collector).write({"parent_id": False})
        self.assertFalse(self.customer_contact.parent_id)

    def test_customer_over_its_limit_cannot_be_reparented_by_sales(self):
        self.customer.with_user(self.manager).credit_limit = 50.0
        self._invoice(self.customer, 100.0, due_in=10)
        with self.assertRaises(AccessError):
            self.customer_contact.with_user(self.salesman).write({"parent_id": self.other_customer.id})
        self.assertEqual(self.customer_contact.commercial_partner_id, self.customer)

    # ------------------------------------------------------------------
    # Partner creation: no preset credit-staff fields
    # ------------------------------------------------------------------

    def test_salesman_cannot_preset_credit_fields_at_creation(self):
        self.env["ir.default"].sudo().set("res.partner", "credit_limit", 5000.0, company_id=self.company.id)
        Partner = self.env["res.partner"].with_user(self.salesman)
        for vals in (
            {"credit_limit": 0.0},
            {"credit_limit": 900_000.0},
            {"use_partner_credit_limit": True},
            {"credit_segment_mode": "manual"},
            {
                "credit_segment_id": self.env["credit.segment"]
                .create({"name": "Lenient", "partner_domain": "[('id', '!=', 0)]"})
                .id
            },
            {"credit_hold": True},
            {"credit_hold_reason": "none"},
            {"credit_channel": "phone"},
        ):
            with self.assertRaises(AccessError):
                Partner.create(dict(vals, name="Garage Nieuw", is_company=True))
        # standard values and defaults are fine
        partner = Partner.create({"name": "Garage Nieuw", "is_company": True, "credit_segment_mode": "auto"})
        self.assertEqual(partner.credit_limit, 5000.0)
        self.assertEqual(partner.credit_segment_mode, "auto")

    def test_salesman_defaults_do_not_preset_credit_fields(self):
        self.env["ir.default"].sudo().set("res.partner", "credit_limit", 5000.0, company_id=self.company.id)
        IrDefault = self.env["ir.default"].with_user(self.salesman)
        IrDefault.set("res.partner", "credit_limit", 0.0, user_id=True, company_id=True)
        IrDefault.set("res.partner", "credit_segment_mode", "manual", user_id=True, company_id=True)
        IrDefault.set("res.partner", "credit_channel", "phone", user_id=True)
        Partner = self.env["res.partner"].with_user(self.salesman).with_context(default_credit_hold=True)
        partner = Partner.create({"name": "Garage Nieuw", "is_company": True})
        partner = partner.with_user(self.manager)
        self.assertEqual(partner.credit_limit, 5000.0)
        self.assertEqual(partner.credit_segment_mode, "auto")
        self.assertEqual(partner.credit_channel, "email")
        self.assertFalse(partner.credit_hold)
        # credit staff still set them, explicitly or by default
        managed = (
            self.env["res.partner"]
            .with_user(self.manager)
            .create({"name": "Garage Vertrouwd", "credit_limit": 0.0, "credit_segment_mode": "manual"})
        )
        self.assertEqual(managed.credit_limit, 0.0)
        self.assertEqual(managed.credit_segment_mode, "manual")

    # ------------------------------------------------------------------
    # Segment rules rely only on what salespeople cannot change
    # ------------------------------------------------------------------

    def test_segment_rule_on_a_sales_field_is_refused(self):
        tag = self.env["res.partner.category"].create({"name": "Top 20"})
        Segment = self.env["credit.segment"].with_user(self.manager)
        for rule in (
            f"[('category_id', 'in', [{tag.id}])]",
            "[('is_company', '=', False)]",
            "[('credit_late_ratio', '>', 0.5), ('country_id.code', '=', 'NL')]",
            f"[('id', 'child_of', {self.customer.id})]",
        ):
            with self.assertRaises(ValidationError):
                Segment.create({"name": "Lenient", "partner_domain": rule})
        segment = Segment.create({"name": "Top accounts", "partner_domain": "[('credit_limit', '>=', 50000)]"})
        segment.partner_domain = "['|', ('credit_late_ratio', '>', 0.5), ('credit_hold', '=', True)]"
        with self.assertRaises(ValidationError):
            segment.partner_domain = "[('user_id', '=', 2)]"


@tagged("post_install", "-at_install")
class TestTrustSaleBlockRpc(TrustSaleCommon, HttpCase):
    """The main attacks over real XML-RPC, as a logged-in salesperson."""

    def _rpc(self, model, method, *args, **kwargs):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "salesman", "salesman", {})
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, uid, "salesman", model, method, list(args), kwargs)

    def _refused(self, model, method, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._rpc(model, method, *args, **kwargs)
        return caught.exception.faultString

    def test_rpc_create_in_sale_is_refused(self):
        self._hold(self.customer)
        fault = self._refused(
            "sale.order",
            "create",
            [{"partner_id": self.customer.id, "state": "sale", "order_line": [(0, 0, self._line(100.0))]}],
        )
        self.assertIn("on credit hold", fault)
        self.assertFalse(self._orders_of(self.customer))

    def test_rpc_cancel_then_sale_is_refused(self):
        self._hold(self.customer)
        order = self._order(self.customer, 100.0, user=self.salesman)
        self._rpc("sale.order", "action_cancel", [order.id])
        self.assertEqual(order.state, "cancel")
        fault = self._refused("sale.order", "write", [order.id], {"state": "sale"})
        self.assertIn("This order cannot be confirmed", fault)
        order.invalidate_recordset()
        self.assertEqual(order.state, "cancel")

    def test_rpc_confirmed_order_cannot_grow(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        order = self._order(self.customer, 100.0, user=self.salesman)
        self._rpc("sale.order", "action_confirm", [order.id])
        self.assertEqual(order.state, "sale")
        fault = self._refused("sale.order", "write", [order.id], {"order_line": [(0, 0, self._line(1_000_000.0))]})
        self.assertIn("This confirmed order cannot be increased", fault)
        self._refused("sale.order.line", "create", [dict(self._line(1_000_000.0), order_id=order.id)])
        self._refused("sale.order.line", "write", order.order_line.ids, {"product_uom_qty": 11})
        order.invalidate_recordset()
        self.assertEqual(order.amount_total, 100.0)
        self._rpc("sale.order.line", "write", order.order_line.ids, {"product_uom_qty": 10})  # 1,000: at the limit
        order.invalidate_recordset()
        self.assertEqual(order.amount_total, 1000.0)

    def test_rpc_override_does_not_travel(self):
        self._hold(self.customer)
        self._hold(self.other_customer)
        order = self._order(self.customer, 100.0, user=self.salesman)
        override = self._approve(order)
        self._rpc("sale.order", "write", [order.id], {"partner_id": self.other_customer.id})
        self._refused("sale.order", "action_confirm", [order.id])
        override.invalidate_recordset()
        self.assertEqual(override.state, "cancelled")
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
