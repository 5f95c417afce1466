import base64
import json

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

# a 1x1 transparent PNG: a valid signature image
SIGNATURE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestPortalSignature(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, login="portal_salesman", groups="sales_team.group_sale_salesman")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Garage Blocked", "is_company": True, "email": "garage@example.com"}
        )
        cls.customer.write({"credit_hold": True, "credit_hold_reason": "Bounced cheque"})
        product = cls.env["product.product"].create({"name": "Accu 12V", "list_price": 95.0, "taxes_id": False})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "require_signature": True,
                "require_payment": False,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        cls.order.action_quotation_sent()

    def test_signed_blocked_quotation_stays_a_quotation_and_tells_the_salesman(self):
        self.assertTrue(self.order._has_to_be_signed())
        response = self.url_open(
            f"/my/orders/{self.order.id}/accept",
            data=json.dumps(
                {
                    "params": {
                        "access_token": self.order._portal_ensure_token(),
                        "name": "Jan de Vries",
                        "signature": SIGNATURE,
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        result = response.json().get("result", {})
        self.assertNotIn("error", result, response.text)
        self.order.invalidate_recordset()
        self.assertEqual(self.order.signed_by, "Jan de Vries")
        self.assertEqual(self.order.state, "sent")
        activity = self.order.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("Bounced cheque", activity.note)
        self.assertTrue(base64.b64decode(self.order.signature))
