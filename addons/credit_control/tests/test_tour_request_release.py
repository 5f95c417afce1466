from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRequestReleaseTour(HttpCase):
    """The salesperson facing a credit block asks for its release in the browser; the credit manager gets the
    order as an activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.salesman = new_test_user(
            cls.env,
            login="release_salesman",
            password="release_salesman",
            name="Release Salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.manager = new_test_user(
            cls.env,
            login="release_credit_manager",
            name="Release Credit Manager",
            groups="credit_control.group_credit_control_manager",
        )
        customer = cls.env["res.partner"].create({"name": "Garage Vrijgave", "is_company": True})
        customer.write({"credit_hold": True, "credit_hold_reason": "Betalingsachterstand van drie maanden"})
        product = cls.env["product.product"].create({"name": "Uitlaat", "list_price": 240.0, "taxes_id": False})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": cls.salesman.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )

    def test_the_salesperson_requests_the_release(self):
        self.assertFalse(self.order.activity_ids)
        self.start_tour(
            f"/odoo/action-sale.action_quotations/{self.order.id}",
            "credit_control_request_release",
            login="release_salesman",
        )
        activity = self.order.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(activity), 1, "the credit manager got one activity")
        self.assertEqual((activity.res_model, activity.res_id), ("sale.order", self.order.id))
        self.assertEqual(activity.summary, "Credit block: release requested")
        self.assertIn(self.order.name, str(activity.note))
        self.assertIn("Release Salesman", str(activity.note))
        self.assertEqual(self.order.state, "draft", "asking releases nothing")
