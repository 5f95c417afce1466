from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWorklistTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env,
            login="tour_collector",
            password="tour_collector",
            groups="credit_control.group_credit_control_user",
        )
        company = cls.env.company
        policy = cls.env["credit.policy"].create(
            {"name": "Calls", "level_ids": [Command.create({"name": "Call", "days": 1, "action_type": "phone"})]}
        )
        company.credit_default_policy_id = policy
        cls.customer = cls.env["res.partner"].create({"name": "Garage Worklist", "is_company": True})
        cls.customer.credit_collector_id = cls.collector
        # the day of the collector and of the browser (no time zone: UTC), not the superuser's (Europe/Brussels)
        today = fields.Date.today()
        product = cls.env["product.product"].create({"name": "Uitlaat", "list_price": 120.0, "taxes_id": False})
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": fields.Date.subtract(today, days=40),
                "invoice_date_due": fields.Date.subtract(today, days=10),
                "invoice_line_ids": [Command.create({"product_id": product.id, "price_unit": 120.0, "tax_ids": []})],
            }
        )
        invoice.action_post()
        cls.action = (
            cls.env["credit.followup.run"]
            ._run_followup(company, today)
            .filtered(lambda a: a.partner_id == cls.customer)
        )
        # due yesterday: on the browser's *Today* whatever its time zone (the server's today may be its tomorrow)
        cls.action.date = fields.Date.subtract(today, days=1)

    def test_collector_approves_from_the_worklist(self):
        self.assertEqual(self.action.state, "proposed")
        self.start_tour(
            "/odoo/action-credit_control.credit_action_worklist_action",
            "credit_control_worklist",
            login="tour_collector",
        )
        self.assertEqual(self.action.state, "done")
        self.assertEqual(self.action.executed_by_id, self.collector)
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: a.user_id == self.collector))
