from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalCredit(HttpCase):
    """The customer portal: /my/credit, /my/disputes and /my/payment_plans, for one customer only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # the day of the portal user and of the browser (no time zone: UTC), not the superuser's (Europe/Brussels)
        cls.today = fields.Date.today()
        cls.collector = new_test_user(
            cls.env, login="portal_collector", groups="credit_control.group_credit_control_user"
        )
        cls.segment = cls.env["credit.segment"].create(
            {"name": "Retail", "credit_plan_max_installments": 6, "partner_domain": "[('id', '=', 0)]"}
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Fietsenwinkel Portaal", "is_company": True, "email": "info@fiets.nl"})
        cls.customer.write(
            {
                "credit_collector_id": cls.collector.id,
                "credit_segment_id": cls.segment.id,
                "credit_segment_mode": "manual",
            }
        )
        cls.portal_user = new_test_user(
            cls.env, login="portal_fiets", password="portal_fiets", groups="base.group_portal", name="Els Fiets"
        )
        cls.portal_user.partner_id.write({"parent_id": cls.customer.id, "email": "els@fiets.nl"})
        cls.other = Partner.create({"name": "Concurrent B.V.", "is_company": True, "email": "info@concurrent.nl"})
        cls.product = cls.env["product.product"].create({"name": "Wiel", "list_price": 50.0, "taxes_id": False})
        cls.overdue = cls._invoice(cls.customer, 750.0, -10)
        cls.not_due = cls._invoice(cls.customer, 500.0, 20)
        cls.other_invoice = cls._invoice(cls.other, 300.0, -5)
        cls.reason = cls.env.ref("credit_control.credit_dispute_reason_quantity")
        cls.other_dispute = (
            cls.env["credit.dispute"].sudo()._portal_create(cls.other, cls.other_invoice, cls.reason, "Niet besteld")
        )
        cls.other_plan = cls.env["credit.payment.plan"].create(
            {"partner_id": cls.other.id, "move_ids": [Command.set(cls.other_invoice.ids)], "installment_count": 2}
        )
        cls.other_plan.action_compute_schedule()

    @classmethod
    def _invoice(cls, partner, amount, due_in):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": cls.today - timedelta(days=30),
                "invoice_date_due": cls.today + timedelta(days=due_in),
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "price_unit": amount, "tax_ids": [Command.clear()]})
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _post(self, url, **data):
        return self.url_open(url, data={"csrf_token": http.Request.csrf_token(self), **data})

    # ------------------------------------------------------------------
    # The three flows, in the browser
    # ------------------------------------------------------------------

    def test_customer_disputes_an_invoice(self):
        self.start_tour("/my/credit", "credit_portal_dispute", login="portal_fiets")
        dispute = self.env["credit.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.move_ids, self.overdue)
        self.assertEqual(dispute.reason_id, self.reason)
        self.assertEqual(dispute.source, "portal")
        self.assertEqual(dispute.state, "new")
        self.assertAlmostEqual(dispute.amount, 750.0, places=2)
        self.assertIn("We received 8 wheels, not 10.", dispute.description)
        self.assertTrue(dispute.activity_ids.filtered(lambda a: a.user_id == self.collector))
        # the disputed invoice is not followed up
        lines = self.overdue.line_ids.filtered("date_maturity")
        query = self.env["credit.followup.run"]._candidates_sql(self.company, self.today + timedelta(days=60))
        candidates = {row[0] for row in self.env.execute_query(query)}
        self.assertFalse(candidates & set(lines.ids))
        self.assertTrue(candidates & set(self.not_due.line_ids.ids) or not self.company.credit_default_policy_id)

    def test_customer_promises_a_payment_date(self):
        self.start_tour("/my/credit", "credit_portal_promise", login="portal_fiets")
        promise = self.env["credit.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.move_ids, self.overdue)
        self.assertAlmostEqual(promise.amount, 750.0, places=2)
        self.assertEqual(promise.date, self.today + timedelta(days=10))
        self.assertEqual((promise.state, promise.source), ("open", "portal"))

    def test_customer_asks_for_a_payment_plan(self):
        self.start_tour("/my/credit", "credit_portal_plan", login="portal_fiets")
        plan = self.env["credit.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.move_ids, self.overdue | self.not_due)
        self.assertEqual(plan.state, "draft", "waits for the credit manager: the segment does not approve by itself")
        self.assertEqual(len(plan.installment_ids), 3)
        self.assertEqual(plan.installment_ids.mapped("amount"), [416.66, 416.66, 416.68])
        self.assertAlmostEqual(sum(plan.installment_ids.mapped("amount")), 1250.0, places=2)

    # ------------------------------------------------------------------
    # Bad input changes nothing and says why
    # ------------------------------------------------------------------

    def test_bad_input_gets_a_clear_message_and_changes_nothing(self):
        self.authenticate("portal_fiets", "portal_fiets")
        Promise, Plan, Dispute = self.env["credit.promise"], self.env["credit.payment.plan"], self.env["credit.dispute"]
        yesterday = fields.Date.to_string(self.today - timedelta(days=1))
        next_week = fields.Date.to_string(self.today + timedelta(days=7))
        cases = [
            ("/my/credit/promise", {"invoice_ids": self.overdue.id, "date": yesterday}, "in the past"),
            ("/my/credit/promise", {"invoice_ids": self.overdue.id, "date": next_week, "amount": "900"}, "more than"),
            ("/my/credit/promise", {"invoice_ids": self.other_invoice.id, "date": next_week}, "your own open invoices"),
            ("/my/credit/payment_plan", {"invoice_ids": self.overdue.id, "installment_count": "12"}, "at most 6"),
            ("/my/credit/payment_plan", {"invoice_ids": self.other_invoice.id, "installment_count": "2"}, "your own"),
            (
                "/my/credit/dispute",
                {"invoice_id": self.other_invoice.id, "reason_id": self.reason.id, "comment": "x"},
                "your own open invoices",
            ),
            (
                "/my/credit/dispute",
                {"invoice_id": self.overdue.id, "reason_id": self.reason.id, "comment": ""},
                "wrong",
            ),
        ]
        before = (Promise.search_count([]), Plan.search_count([]), Dispute.search_count([]))
        for url, data, message in cases:
            with self.subTest(url=url, data=data):
                response = self._post(url, **data)
                self.assertEqual(response.status_code, 200)
                self.assertIn("o_credit_error", response.text)
                self.assertIn(message, response.text)
                self.assertNotIn(self.other_invoice.name, response.text, "nothing of another customer leaks")
        self.assertEqual(before, (Promise.search_count([]), Plan.search_count([]), Dispute.search_count([])))

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_the_credit_page_shows_only_the_customers_own_invoices(self):
        self.authenticate("portal_fiets", "portal_fiets")
        page = self.url_open("/my/credit").text
        self.assertIn(self.overdue.name, page)
        self.assertIn(self.not_due.name, page)
        self.assertNotIn(self.other_invoice.name, page)
        self.assertIn("1,250.00", page)
        statement = self.url_open("/my/credit/statement")
        self.assertEqual(statement.status_code, 200)
        self.assertIn("Statement", statement.headers["Content-Disposition"])

    def test_another_customers_records_are_out_of_reach(self):
        self.authenticate("portal_fiets", "portal_fiets")
        for url in (f"/my/disputes/{self.other_dispute.id}", f"/my/payment_plans/{self.other_plan.id}"):
            with self.subTest(url=url):
                response = self.url_open(url, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertNotIn(self.other_dispute.name, self.url_open("/my/disputes").text)
        self.assertNotIn(self.other_plan.name, self.url_open("/my/payment_plans").text)
        portal_env = self.env(user=self.portal_user)
        for record in (self.other_dispute, self.other_plan):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_env(portal_env).read(["name"])

    def test_a_link_with_the_access_token_opens_that_record_without_login(self):
        self.other_dispute._portal_ensure_token()
        self.other_plan._portal_ensure_token()
        dispute_page = self.url_open(self.other_dispute.get_portal_url())
        self.assertEqual(dispute_page.status_code, 200)
        self.assertIn(self.other_dispute.name, dispute_page.text)
        plan_page = self.url_open(self.other_plan.get_portal_url())
        self.assertIn(self.other_plan.name, plan_page.text)
        wrong_token = self.url_open(f"/my/disputes/{self.other_dispute.id}?access_token=wrong", allow_redirects=False)
        self.assertEqual(wrong_token.status_code, 303)
