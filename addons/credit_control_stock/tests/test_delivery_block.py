import os
import xmlrpc.client

import polib
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.credit_control.tests.common import TODAY, CreditControlCommon


class DeliveryBlockCommon(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.customers_location = cls.env.ref("stock.stock_location_customers")
        cls.suppliers_location = cls.env.ref("stock.stock_location_suppliers")
        cls.stock_user = new_test_user(
            cls.env,
            login="stock_user",
            name="Magazijn",
            groups="stock.group_stock_user",
            company_ids=[Command.set(cls.company.ids)],
            company_id=cls.company.id,
        )
        cls.product.write({"type": "consu", "is_storable": False})

    def _picking(self, partner, qty=5.0, picking_type=None, source=None, destination=None):
        picking_type = picking_type or self.warehouse.out_type_id
        source = source or self.warehouse.lot_stock_id
        destination = destination or self.customers_location
        picking = self.env["stock.picking"].create(
            {
                "partner_id": partner.id,
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": self.product.name,
                            "product_id": self.product.id,
                            "product_uom_qty": qty,
                            "product_uom": self.product.uom_id.id,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    def _pick(self, picking, qty=None):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if qty is None else qty
            move.picked = True

    def _hold(self, partner, reason="Faillissement aangevraagd"):
        partner.with_user(self.manager).write({"credit_hold": True, "credit_hold_reason": reason})

    def _release(self, picking, reason="Betaling telefonisch bevestigd door de bank"):
        wizard = (
            self.env["credit.delivery.release"]
            .with_user(self.manager)
            .create({"picking_id": picking.id, "reason": reason})
        )
        return wizard.action_release()


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestDeliveryBlock(DeliveryBlockCommon):
    def test_delivery_to_a_customer_on_hold_is_refused_on_every_path(self):
        picking = self._picking(self.customer)
        self._hold(self.customer)
        self._pick(picking)
        as_stock = picking.with_user(self.stock_user)
        self.assertTrue(as_stock.credit_delivery_blocked)
        # the stock user learns that it is held, not why (the reason is credit staff's)
        self.assertIn("on credit hold", as_stock.credit_delivery_block_reason)
        self.assertNotIn("Faillissement", as_stock.credit_delivery_block_reason)
        self.assertIn("Faillissement", picking.with_user(self.collector).credit_delivery_block_reason)
        with self.assertRaisesRegex(UserError, "cannot be delivered"):
            as_stock.button_validate()
        # what another module or a server action would call
        with self.assertRaisesRegex(UserError, "cannot be delivered"):
            picking.sudo()._action_done()
        with self.assertRaisesRegex(UserError, "cannot be delivered"):
            picking.move_ids.sudo()._action_done()
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(picking.move_ids.state, "assigned")

    def test_contact_of_a_held_customer_is_blocked_too(self):
        self._hold(self.customer)
        picking = self._picking(self.customer_contact)
        self._pick(picking)
        with self.assertRaisesRegex(UserError, "Garage De Vries"):
            picking.with_user(self.stock_user).button_validate()

    def test_receipts_and_returns_are_never_blocked(self):
        delivery = self._picking(self.customer)
        self._pick(delivery)
        delivery.with_user(self.stock_user).button_validate()
        self.assertEqual(delivery.state, "done")
        self._hold(self.customer)
        # the customer sends goods back
        wizard = Form(
            self.env["stock.return.picking"].with_context(active_id=delivery.id, active_model="stock.picking")
        ).save()
        wizard.product_return_moves.quantity = 2.0
        action = wizard.action_create_returns()
        customer_return = self.env["stock.picking"].browse(action["res_id"])
        self.assertFalse(customer_return.credit_delivery_blocked)
        self._pick(customer_return)
        customer_return.with_user(self.stock_user).button_validate()
        self.assertEqual(customer_return.state, "done")
        # a receipt from the same (held) partner
        receipt = self._picking(
            self.customer,
            picking_type=self.warehouse.in_type_id,
            source=self.suppliers_location,
            destination=self.warehouse.lot_stock_id,
        )
        self._pick(receipt)
        receipt.with_user(self.stock_user).button_validate()
        self.assertEqual(receipt.state, "done")

    def test_release_lets_one_delivery_go_and_its_backorder_is_blocked_again(self):
        self._hold(self.customer)
        picking = self._picking(self.customer, qty=5.0)
        other = self._picking(self.customer, qty=1.0)
        with self.assertRaises(AccessError):
            self.env["credit.delivery.release"].with_user(self.stock_user).create(
                {"picking_id": picking.id, "reason": "ik wil leveren"}
            ).action_release()
        with self.assertRaises(AccessError):
            self.env["credit.delivery.release"].with_user(self.collector).create(
                {"picking_id": picking.id, "reason": "ik wil leveren"}
            ).action_release()
        with self.assertRaisesRegex(UserError, "reason"):
            self.env["credit.delivery.release"].with_user(self.manager).create(
                {"picking_id": picking.id, "reason": "   "}
            ).action_release()
        self._release(picking)
        release = picking.credit_release_ids
        self.assertEqual(len(release), 1)
        self.assertRecordValues(
            release,
            [
                {
                    "picking_id": picking.id,
                    "order_id": False,
                    "partner_id": self.customer.id,
                    "user_id": self.manager.id,
                    "state": "active",
                }
            ],
        )
        self.assertIn("Faillissement", release.block_message)
        self.assertIn("Betaling telefonisch", picking.message_ids[0].body)
        self.assertFalse(picking.with_user(self.stock_user).credit_delivery_blocked)
        # part of it goes, the rest becomes a backorder: a new delivery, blocked again
        self._pick(picking, qty=2.0)
        action = picking.with_user(self.stock_user).button_validate()
        Form.from_action(self.env, action).save().process()
        self.assertEqual(picking.state, "done")
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        self._pick(backorder)
        with self.assertRaisesRegex(UserError, "cannot be delivered"):
            backorder.with_user(self.stock_user).button_validate()
        # the release was for that one delivery
        self._pick(other)
        with self.assertRaisesRegex(UserError, "cannot be delivered"):
            other.with_user(self.stock_user).button_validate()

    def test_release_is_kept_and_void_for_another_customer(self):
        self._hold(self.customer)
        picking = self._picking(self.customer)
        self._release(picking)
        release = picking.credit_release_ids
        with self.assertRaises(AccessError):
            release.with_user(self.manager).write({"reason": "anders"})
        with self.assertRaises(UserError):
            release.sudo().unlink()
        self._hold(self.other_customer)
        picking.write({"partner_id": self.other_customer.id})
        self.assertEqual(release.state, "cancelled")
        self.assertIn("customer changed", release.cancel_reason)
        self.assertTrue(picking.credit_delivery_blocked)

    def test_release_of_a_delivery_that_is_not_blocked_is_refused(self):
        picking = self._picking(self.customer)
        with self.assertRaisesRegex(UserError, "not blocked"):
            self._release(picking)

    def test_limit_and_overdue_block_only_when_the_company_says_so(self):
        self.customer.with_user(self.manager).credit_limit = 500.0
        self._invoice(self.customer, 800.0, due_in=-40)
        self.company.credit_overdue_block_days = 30
        self.company.credit_overdue_block_tolerance = 100.0
        picking = self._picking(self.customer)
        self.assertFalse(picking.credit_delivery_blocked)
        self.company.credit_delivery_block_limit = True
        picking.invalidate_recordset(["credit_delivery_blocked", "credit_delivery_block_reason"])
        self.assertTrue(picking.credit_delivery_blocked)
        self.assertIn("above its credit limit", picking.credit_delivery_block_reason)
        self.assertNotIn("overdue", picking.credit_delivery_block_reason)
        self.company.credit_delivery_block_limit = False
        self.company.credit_delivery_block_overdue = True
        picking.invalidate_recordset(["credit_delivery_blocked", "credit_delivery_block_reason"])
        self.assertIn("is overdue by more than 30 days", picking.credit_delivery_block_reason)
        self._pick(picking)
        with self.assertRaisesRegex(UserError, "overdue"):
            picking.with_user(self.stock_user).button_validate()
        # paid: the delivery goes
        self._pay(self.customer.invoice_ids)
        picking.with_user(self.stock_user).button_validate()
        self.assertEqual(picking.state, "done")

    def test_a_credit_group_over_its_limit_blocks_its_members_deliveries_when_the_company_says_so(self):
        member = self.Partner.create({"name": "Garage De Vries Zwolle", "is_company": True})
        group = self.env["credit.group"].create(
            {
                "name": "De Vries Groep",
                "credit_limit": 1000.0,
                "member_ids": [Command.link(self.customer.id), Command.link(member.id)],
            }
        )
        self._invoice(self.customer, 700.0, due_in=10)
        self._invoice(member, 400.0, due_in=10)
        picking = self._picking(member)
        self.assertFalse(picking.credit_delivery_blocked)
        self.company.credit_delivery_block_limit = True
        picking.invalidate_recordset(["credit_delivery_blocked", "credit_delivery_block_reason"])
        self.assertTrue(picking.credit_delivery_blocked)
        self.assertIn("credit group De Vries Groep", picking.credit_delivery_block_reason)
        self.assertNotIn("its credit limit", picking.credit_delivery_block_reason)
        self._pick(picking)
        with self.assertRaisesRegex(UserError, "De Vries Groep"):
            picking.with_user(self.stock_user).button_validate()
        group.credit_limit = 1100.0
        picking.with_user(self.stock_user).button_validate()
        self.assertEqual(picking.state, "done")

    def _queries(self, pickings):
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        reasons = pickings._credit_delivery_block_reasons()
        return self.cr.sql_log_count - start, reasons

    def test_block_reasons_are_set_based(self):
        self._hold(self.customer)
        self.company.write({"credit_delivery_block_limit": True, "credit_delivery_block_overdue": True})
        one = self._picking(self.customer)
        many = one | self._picking(self.other_customer) | self._picking(self.customer_contact)
        many |= self._picking(self.customer) | self._picking(self.other_customer)
        self._queries(many)  # warm the registry's caches
        single, _reasons = self._queries(one)
        multiple, reasons = self._queries(many)
        self.assertLessEqual(multiple, single + 2, "the check must not run queries per delivery")
        held = many.filtered(lambda p: p.partner_id.commercial_partner_id == self.customer)
        self.assertEqual(set(reasons), set(held.ids))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestDeliveryBlockRpc(DeliveryBlockCommon, HttpCase):
    def test_rpc_validation_by_a_stock_user_is_refused(self):
        self.stock_user.password = "stock_user_pw1"
        self._hold(self.customer)
        picking = self._picking(self.customer)
        self._pick(picking)
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "stock_user", "stock_user_pw1", {})
        for method, args in (("button_validate", [[picking.id]]), ("action_credit_release", [[picking.id]])):
            if method == "action_credit_release":
                # opening the wizard is harmless; releasing is not allowed
                self.xmlrpc_object.execute_kw(self.env.cr.dbname, uid, "stock_user_pw1", "stock.picking", method, args)
                continue
            with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
                self.xmlrpc_object.execute_kw(self.env.cr.dbname, uid, "stock_user_pw1", "stock.picking", method, args)
            self.assertIn("cannot be delivered", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault), mute_logger("odoo.http"):
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                uid,
                "stock_user_pw1",
                "credit.override",
                "create",
                [
                    {
                        "picking_id": picking.id,
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "reason": "x",
                    }
                ],
            )
        picking.invalidate_recordset()
        self.assertEqual(picking.state, "assigned")
        self.assertFalse(picking.credit_release_ids)


@tagged("post_install", "-at_install")
class TestDeliveryBlockTranslations(DeliveryBlockCommon):
    def test_dutch_is_complete(self):
        folder = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
        pot = polib.pofile(os.path.join(folder, "credit_control_stock.pot"))
        dutch = {entry.msgid: entry.msgstr for entry in polib.pofile(os.path.join(folder, "nl.po"))}
        missing = [entry.msgid for entry in pot if not dutch.get(entry.msgid)]
        self.assertFalse(missing, "untranslated in nl.po")
