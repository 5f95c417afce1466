from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCreditBlockTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="tour_salesman", password="tour_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env,
            login="tour_credit_manager",
            password="tour_credit_manager",
            groups="credit_control.group_credit_control_manager,sales_team.group_sale_salesman_all_leads",
        )
        customer = cls.env["res.partner"].create({"name": "Garage Tour", "is_company": True})
        customer.write({"credit_hold": True, "credit_hold_reason": "Cheque bounced twice"})
        product = cls.env["product.product"].create({"name": "Remblokken", "list_price": 80.0, "taxes_id": False})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": cls.salesman.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
            }
        )

    def test_salesman_sees_the_banner_and_cannot_confirm(self):
        self.start_tour(
            f"/odoo/action-sale.action_quotations/{self.order.id}", "credit_control_block_banner", login="tour_salesman"
        )
        self.assertEqual(self.order.state, "draft")
        self.assertFalse(self.order.credit_override_ids)

    def test_credit_manager_overrides_in_the_ui(self):
        self.start_tour(
            f"/odoo/action-sale.action_quotations/{self.order.id}",
            "credit_control_override",
            login="tour_credit_manager",
        )
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.credit_override_ids.reason, "Director approved: prepayment received")
        self.assertEqual(self.order.credit_override_ids.user_id, self.manager)
