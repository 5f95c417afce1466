import html
import re
from datetime import timedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, new_test_user, tagged

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestTrustPortal(HttpCase):
    """The portal refuses abuse with its own error, in the customer's language, and creates nothing
    (issue 11 §4); /my/credit stays inside what Odoo's invoice portal shows the contact (§5). Every case is
    a real form post with a CSRF token, as the logged-in portal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        cls.company = cls.env.company
        cls.company.write({"credit_promise_max_days": 30, "credit_promise_min_percent": 10.0})
        # the day of the portal user and of the browser (no time zone: UTC), not the superuser's (Europe/Brussels)
        cls.today = fields.Date.today()
        cls.collector = new_test_user(
            cls.env, login="trust_collector", groups="credit_control.group_credit_control_user"
        )
        cls.segment = cls.env["credit.segment"].create(
            {
                "name": "Retail",
                "credit_plan_max_installments": 6,
                "credit_plan_max_amount": 1000.0,
                "credit_plan_auto_approve": True,
                "partner_domain": "[('id', '=', 0)]",
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Fietsenwinkel Vertrouwen", "is_company": True, "email": "info@vertrouwen.nl"}
        )
        cls.customer.write(
            {
                "credit_collector_id": cls.collector.id,
                "credit_segment_id": cls.segment.id,
                "credit_segment_mode": "manual",
            }
        )
        cls.portal_user = new_test_user(
            cls.env, login="trust_portal", password="trust_portal", groups="base.group_portal", name="Els Vertrouwen"
        )
        cls.portal_user.partner_id.write({"parent_id": cls.customer.id, "email": "els@vertrouwen.nl"})
        cls.dutch_user = new_test_user(
            cls.env, login="trust_nl", password="trust_nl", groups="base.group_portal", name="Piet Vertrouwen"
        )
        cls.dutch_user.partner_id.write({"parent_id": cls.customer.id, "email": "piet@vertrouwen.nl", "lang": "nl_NL"})
        cls.product = cls.env["product.product"].create({"name": "Wiel", "list_price": 50.0, "taxes_id": False})
        cls.reason = cls.env.ref("credit_control.credit_dispute_reason_quantity")

    @classmethod
    def _invoice(cls, amount, due_in=-10):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": cls.today - timedelta(days=30),
                "invoice_date_due": cls.today + timedelta(days=due_in),
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "price_unit": amount, "tax_ids": [Command.clear()]})
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _post(self, url, files=None, **data):
        return self.url_open(url, data={"csrf_token": http.Request.csrf_token(self), **data}, files=files)

    def _counts(self):
        """(promises, plans, disputes) of the customer, and the files uploaded for a dispute."""
        counts = [
            self.env[model].search_count([("partner_id", "=", self.customer.id)])
            for model in ("credit.promise", "credit.payment.plan", "credit.dispute")
        ]
        attachments = [("res_model", "in", ("mail.compose.message", "credit.dispute"))]
        return (*counts, self.env["ir.attachment"].search_count(attachments))

    def _assert_refused(self, url, message, files=None, **data):
        before = self._counts()
        response = self._post(url, files=files, **data)
        self.assertEqual(response.status_code, 200)
        error = re.search(r'o_credit_error"[^>]*>([^<]*)<', response.text)
        self.assertTrue(error, "the page shows its error")
        self.assertIn(message, html.unescape(error.group(1)))
        self.assertEqual(self._counts(), before, "nothing is created")
        return response

    def _days(self, days):
        return fields.Date.to_string(self.today + timedelta(days=days))

    # ------------------------------------------------------------------
    # Amounts in the customer's language
    # ------------------------------------------------------------------

    def test_dutch_amounts_are_read_with_dutch_separators(self):
        self.authenticate("trust_nl", "trust_nl")
        first, second, third = self._invoice(1500.0), self._invoice(1500.0), self._invoice(1500.0)
        for invoice, typed in ((first, "1.250"), (second, "1.250,00")):
            with self.subTest(typed=typed):
                response = self._post("/my/credit/promise", invoice_ids=invoice.id, date=self._days(10), amount=typed)
                self.assertNotIn("o_credit_error", response.text)
                promise = self.env["credit.promise"].search([("move_ids", "in", invoice.ids)])
                self.assertEqual((promise.amount, promise.state), (1250.0, "open"))
        # what Dutch cannot mean is refused, with the Dutch way to write it (the message itself is in Dutch
        # once the lead's .pot export lists it: Odoo loads only the .po entries that the .pot has)
        for typed in ("1,250", "250.00", "1.25"):
            with self.subTest(typed=typed):
                self._assert_refused(
                    "/my/credit/promise", "1.250,00", invoice_ids=third.id, date=self._days(10), amount=typed
                )
        self._assert_refused(
            "/my/credit/dispute",
            "Kies de reden van uw geschil.",
            invoice_id=third.id,
            reason_id="abc",
            comment="Verkeerd",
        )

    def test_odd_amounts_dates_and_ids_get_the_error_and_change_nothing(self):
        self.authenticate("trust_portal", "trust_portal")
        invoice = self._invoice(800.0)
        archived = self.env["credit.dispute.reason"].create({"name": "Old reason", "category": "other"})
        archived.active = False
        promise = {"invoice_ids": invoice.id, "date": self._days(10)}
        dispute = {"invoice_id": invoice.id, "reason_id": self.reason.id, "comment": "Wrong"}
        cases = [
            ("/my/credit/promise", {**promise, "amount": "nan"}, "Enter the amount as a number"),
            ("/my/credit/promise", {**promise, "amount": "inf"}, "Enter the amount as a number"),
            ("/my/credit/promise", {**promise, "amount": "1e3"}, "Enter the amount as a number"),
            ("/my/credit/promise", {**promise, "amount": "-5"}, "more than zero"),
            ("/my/credit/promise", {**promise, "amount": "0"}, "more than zero"),
            ("/my/credit/promise", {**promise, "amount": "1.250"}, "cannot tell which amount"),
            ("/my/credit/promise", {**promise, "date": ""}, "Choose the date you will pay"),
            ("/my/credit/promise", {**promise, "date": "2026-13-45"}, "Enter the date as YYYY-MM-DD"),
            ("/my/credit/promise", {**promise, "date": "tomorrow"}, "Enter the date as YYYY-MM-DD"),
            ("/my/credit/promise", {**promise, "date": "9999-12-31"}, "Enter the date as YYYY-MM-DD"),
            ("/my/credit/promise", {**promise, "invoice_ids": "abc"}, "your own open invoices"),
            ("/my/credit/promise", {**promise, "invoice_ids": ""}, "at least one open invoice"),
            ("/my/credit/dispute", {**dispute, "reason_id": "abc"}, "Choose the reason"),
            ("/my/credit/dispute", {**dispute, "reason_id": "-1"}, "Choose the reason"),
            ("/my/credit/dispute", {**dispute, "reason_id": "99999999999999999999"}, "Choose the reason"),
            ("/my/credit/dispute", {**dispute, "reason_id": archived.id}, "Choose the reason"),
            ("/my/credit/payment_plan", {"invoice_ids": invoice.id, "installment_count": "abc"}, "at most 6"),
            ("/my/credit/payment_plan", {"invoice_ids": invoice.id, "installment_count": "-2"}, "at most 6"),
        ]
        for url, data, message in cases:
            with self.subTest(url=url, data=data):
                self._assert_refused(url, message, **data)

    # ------------------------------------------------------------------
    # Promises beyond the limits are proposals
    # ------------------------------------------------------------------

    def test_a_far_or_tiny_promise_is_a_proposal_that_pauses_nothing(self):
        self.authenticate("trust_portal", "trust_portal")
        far, tiny = self._invoice(600.0), self._invoice(600.0)
        for invoice, data in ((far, {"date": "2099-01-01"}), (tiny, {"date": self._days(20), "amount": "0.01"})):
            with self.subTest(data=data):
                response = self._post("/my/credit/promise", invoice_ids=invoice.id, **data)
                self.assertIn("we have received your proposal", response.text)
                self.assertNotIn("We pause our reminders", response.text)
                promise = self.env["credit.promise"].search([("move_ids", "in", invoice.ids)])
                self.assertEqual((promise.state, promise.source), ("proposed", "portal"))
                self.assertFalse(invoice.credit_pause_info, "a proposal pauses nothing")
                self.assertEqual(promise.activity_ids.user_id, self.collector)
                promise.with_user(self.collector).action_accept()
                self.assertEqual(promise.state, "open")
                self.assertEqual(invoice.credit_pause_info, promise.display_name)

    # ------------------------------------------------------------------
    # One open record per invoice, the plan maximum over all plans, a daily limit
    # ------------------------------------------------------------------

    def test_an_invoice_gets_one_open_dispute_promise_and_plan(self):
        self.authenticate("trust_portal", "trust_portal")
        disputed, promised, planned = self._invoice(300.0), self._invoice(300.0), self._invoice(300.0)
        dispute = {"invoice_id": disputed.id, "reason_id": self.reason.id, "comment": "Only 5 wheels"}
        self._post("/my/credit/dispute", **dispute)
        self._post("/my/credit/promise", invoice_ids=promised.id, date=self._days(10))
        self._post("/my/credit/payment_plan", invoice_ids=planned.id, installment_count="2")
        self.assertEqual(self._counts()[:3], (1, 1, 1))
        self._assert_refused("/my/credit/dispute", "already in", **dispute)
        self._assert_refused("/my/credit/promise", "already in", invoice_ids=promised.id, date=self._days(12))
        self._assert_refused("/my/credit/payment_plan", "already in", invoice_ids=planned.id, installment_count="3")
        self._assert_refused("/my/credit/promise", "disputed", invoice_ids=disputed.id, date=self._days(12))

    def test_the_plan_maximum_counts_the_customers_other_plans(self):
        self.authenticate("trust_portal", "trust_portal")
        first, second = self._invoice(600.0), self._invoice(600.0)
        self._post("/my/credit/payment_plan", invoice_ids=first.id, installment_count="2")
        plan = self.env["credit.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(plan.state, "active", "within the segment's limits: approved at once")
        self._assert_refused(
            "/my/credit/payment_plan", "cannot be arranged online", invoice_ids=second.id, installment_count="2"
        )

    def test_requests_per_customer_per_day_are_limited(self):
        self.company.credit_portal_daily_limit = 2
        self.authenticate("trust_portal", "trust_portal")
        invoices = [self._invoice(100.0) for _i in range(3)]
        for invoice in invoices[:2]:
            self._post("/my/credit/dispute", invoice_id=invoice.id, reason_id=self.reason.id, comment="Wrong")
        self.assertEqual(self._counts()[2], 2)
        self._assert_refused(
            "/my/credit/dispute",
            "try again tomorrow",
            invoice_id=invoices[2].id,
            reason_id=self.reason.id,
            comment="Wrong",
        )

    # ------------------------------------------------------------------
    # Attachments
    # ------------------------------------------------------------------

    def test_dispute_attachments_are_limited_in_count_size_and_type(self):
        self.authenticate("trust_portal", "trust_portal")
        invoice = self._invoice(400.0)
        dispute = {"invoice_id": invoice.id, "reason_id": self.reason.id, "comment": "See the photo"}
        too_many = [("attachment", (f"scan{i}.pdf", PDF, "application/pdf")) for i in range(4)]
        self._assert_refused("/my/credit/dispute", "at most 3 files", files=too_many, **dispute)
        too_big = [("attachment", ("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"))]
        self._assert_refused("/my/credit/dispute", "larger than 5 MB", files=too_big, **dispute)
        program = [("attachment", ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"))]
        self._assert_refused("/my/credit/dispute", "cannot be attached", files=program, **dispute)
        self._post("/my/credit/dispute", files=[("attachment", ("scan.pdf", PDF, "application/pdf"))], **dispute)
        created = self.env["credit.dispute"].search([("move_ids", "in", invoice.ids)])
        self.assertEqual(created.message_ids.attachment_ids.mapped("name"), ["scan.pdf"])

    # ------------------------------------------------------------------
    # /my/credit: what Odoo's invoice portal shows, no tokens minted
    # ------------------------------------------------------------------

    def test_the_credit_page_shows_what_the_invoice_portal_shows_and_mints_no_token(self):
        shown, hidden = self._invoice(200.0), self._invoice(300.0)
        # the company no longer follows this invoice: Odoo's invoice portal hides it from its contacts
        hidden.message_unsubscribe(partner_ids=self.customer.ids)
        self.authenticate("trust_portal", "trust_portal")
        page = self.url_open("/my/credit").text
        self.assertIn(shown.name, page)
        self.assertNotIn(hidden.name, page)
        self.assertFalse(any((shown | hidden).mapped("access_token")), "no access token minted for the list")
        self._assert_refused("/my/credit/promise", "your own open invoices", invoice_ids=hidden.id, date=self._days(5))

    # ------------------------------------------------------------------
    # The agreement of a payment plan
    # ------------------------------------------------------------------

    def test_the_customer_downloads_the_agreement(self):
        invoice = self._invoice(500.0)
        plan = self.env["credit.payment.plan"].sudo()._portal_request(self.portal_user.partner_id, invoice, 2)
        self.authenticate("trust_portal", "trust_portal")
        response = self.url_open(f"/my/payment_plans/{plan.id}?report_type=pdf&download=true")
        self.assertEqual(response.status_code, 200)
        self.assertIn(plan.name.replace("/", "_"), response.headers["Content-Disposition"])
        self.start_tour("/my/payment_plans", "credit_portal_plan_agreement", login="trust_portal")
