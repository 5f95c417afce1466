import xmlrpc.client

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.view_validation import get_expression_field_names

from .common import TODAY, CreditControlCommon

# The models this addon extends with credit fields; every one of them is confidential.
EXTENDED_MODELS = ("res.partner", "sale.order", "account.move", "account.move.line")
# The internal notes and decisions of arrangements and overrides.
INTERNAL_FIELDS = {
    "credit.override": ("reason", "block_message", "exposure", "credit_limit", "overdue_amount"),
    "credit.promise": ("note", "residual_at_promise", "credit_action_id"),
    "credit.payment.plan": ("note", "approved_by_id", "date_approved", "resume_level_id"),
    "credit.dispute": ("credit_action_id", "cycle_time_days"),
    "credit.action": ("amount", "amount_overdue", "expected_overdue", "interest_amount", "skip_reason", "result"),
}
REASON = "Director suspects fraud"


class TrustConfidentialityCommon(CreditControlCommon):
    """A customer with a full credit profile, and the users who may, or may not, read it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["credit.segment"].create({"name": "Watch list", "partner_domain": "[('id', '=', 0)]"})
        cls.customer.write(
            {
                "credit_limit": 1000.0,
                "credit_hold": True,
                "credit_hold_reason": REASON,
                "credit_rating": "BB",
                "credit_rating_source": "Graydon",
                "credit_collector_id": cls.collector.id,
                "credit_segment_id": cls.segment.id,
            }
        )
        cls.overdue = cls._invoice(cls.customer, 400.0, due_in=-20)
        company_ids = [Command.set(cls.company.ids)]
        cls.employee = new_test_user(
            cls.env, login="emp", groups="base.group_user", company_ids=company_ids, company_id=cls.company.id
        )
        cls.billing = new_test_user(
            cls.env,
            login="billing",
            groups="account.group_account_invoice",
            company_ids=company_ids,
            company_id=cls.company.id,
        )
        cls.portal = new_test_user(cls.env, login="portal_garage", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.order = cls._order(cls.customer, 100.0, user=cls.salesman)
        cls.order.message_subscribe(cls.portal.partner_id.ids)  # the customer may read its own quotation

    @classmethod
    def _credit_fields(cls, model):
        return [name for name, field in cls.env[model]._fields.items() if name.startswith("credit_") and field.groups]


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTrustConfidentiality(TrustConfidentialityCommon):
    # ------------------------------------------------------------------
    # The mechanism: every credit field has groups, none open to portal users or plain employees
    # ------------------------------------------------------------------

    def test_every_credit_field_of_the_addon_is_restricted_by_groups(self):
        for model in EXTENDED_MODELS:
            for name, field in self.env[model]._fields.items():
                if name.startswith("credit_") and field._module == "credit_control":
                    with self.subTest(model=model, field=name):
                        self.assertTrue(field.groups, f"{model}.{name} has no groups")
                        self.assertFalse(field.is_accessible(self.env(user=self.portal)))
                        self.assertFalse(field.is_accessible(self.env(user=self.employee)))
        # the same fields on users, through the partner they inherit
        for name, field in self.env["res.users"]._fields.items():
            if name.startswith("credit_") and name in self.env["res.partner"]._fields:
                with self.subTest(model="res.users", field=name):
                    self.assertFalse(field.is_accessible(self.env(user=self.portal)))
        for model, names in INTERNAL_FIELDS.items():
            for name in names:
                with self.subTest(model=model, field=name):
                    field = self.env[model]._fields[name]
                    self.assertFalse(field.is_accessible(self.env(user=self.portal)))
                    self.assertFalse(field.is_accessible(self.env(user=self.salesman)))

    def test_portal_user_reads_nothing_of_its_own_credit_profile(self):
        partner = self.customer.with_user(self.portal)
        for name in [*self._credit_fields("res.partner"), "credit_limit"]:
            with self.subTest(field=name), self.assertRaises(AccessError):
                partner.read([name])
        with self.assertRaises(AccessError):
            partner.search_read([("id", "=", self.customer.id)], ["credit_available", "credit_exposure"])
        with self.assertRaises(AccessError):
            partner.search([("credit_hold_reason", "ilike", "fraud")])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.portal).read_group([], ["credit_rating"], ["credit_rating"])
        # the fields are not even described to it
        self.assertFalse([name for name in partner.fields_get() if name.startswith("credit_")])

    def test_plain_employee_reads_no_exposure_hold_or_rating(self):
        partner = self.customer.with_user(self.employee)
        self.assertEqual(partner.read(["name"])[0]["name"], "Garage De Vries B.V.")  # the partner itself is not secret
        for name in ("credit_exposure", "credit_available", "credit_hold", "credit_hold_reason", "credit_rating"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                partner.read([name])
        with self.assertRaises(AccessError):
            partner.search_read([("credit_hold", "=", True)], ["name"])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.employee).read_group(
                [], ["credit_overdue_amount:sum"], ["credit_segment_id"]
            )

    def test_hold_reason_stays_out_of_the_chatter(self):
        messages = (
            self.env["mail.message"]
            .with_user(self.employee)
            .search([("model", "=", "res.partner"), ("res_id", "=", self.customer.id)])
        )
        self.assertTrue([message for message in messages if "Credit hold set" in message.body])
        self.assertFalse([message for message in messages if REASON in message.body])

    def test_portal_user_cannot_read_the_block_message_of_its_order(self):
        order = self.order.with_user(self.portal)
        self.assertEqual(order.read(["name"])[0]["name"], self.order.name)
        for name in ("credit_block_reason", "credit_override_id", "credit_override_ids", "partner_credit_warning"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                order.read([name])

    def test_invoice_prediction_and_followup_state_are_hidden_from_the_customer(self):
        invoice = self.overdue.with_user(self.portal)
        self.assertEqual(invoice.read(["name"])[0]["name"], self.overdue.name)
        for name in ("credit_expected_payment_date", "credit_prediction_basis", "credit_pause_info"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                invoice.read([name])
        line = self.overdue.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        line.write({"credit_excluded": True, "credit_excluded_reason": REASON})
        for user in (self.portal, self.salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                line.with_user(user).read(["credit_excluded_reason"])

    def test_arrangement_notes_are_internal(self):
        promise = self.env["credit.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.overdue.ids)],
                "date": self._days(10),
                "note": "Said he is broke",
            }
        )
        self.assertEqual(promise.with_user(self.portal).read(["amount"])[0]["amount"], 400.0)
        for user in (self.portal, self.salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                promise.with_user(user).read(["note"])
        self.assertEqual(promise.with_user(self.collector).note, "Said he is broke")

    # ------------------------------------------------------------------
    # Who still sees what they need
    # ------------------------------------------------------------------

    def test_salesperson_sees_the_status_not_the_reason(self):
        values = self.customer.with_user(self.salesman).read(
            ["credit_status", "credit_hold", "credit_over_limit", "credit_collector_id"]
        )[0]
        self.assertEqual(values["credit_status"], "hold")
        self.assertTrue(values["credit_hold"])
        self.assertFalse(values["credit_over_limit"])
        self.assertEqual(values["credit_collector_id"][0], self.collector.id)
        for name in ("credit_hold_reason", "credit_rating_source", "credit_exposure", "credit_segment_id"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.customer.with_user(self.salesman).read([name])
        banner = self.order.with_user(self.salesman).credit_block_reason
        self.assertIn("Garage De Vries B.V. is on credit hold.", banner)
        self.assertNotIn("fraud", banner)

    def test_salesperson_form_keeps_the_banner_and_the_credit_tab(self):
        for user, present, absent in (
            (
                self.salesman,
                ["credit_status", "credit_hold"],
                ["credit_hold_reason", "credit_rating", "credit_exposure"],
            ),
            (
                self.billing,
                ["credit_status", "credit_exposure", "credit_limit"],
                ["credit_hold_reason", "credit_rating"],
            ),
            (self.collector, ["credit_hold_reason", "credit_rating", "credit_exposure"], []),
        ):
            with self.subTest(user=user.login):
                views = self.env["res.partner"].with_user(user).get_views([(False, "form")])
                self.assertIn('name="credit_status_banner"', views["views"]["form"]["arch"])
                self.assertIn('name="credit_control"', views["views"]["form"]["arch"])
                fields_in_view = set(views["models"]["res.partner"]["fields"])
                for name in present:
                    self.assertIn(name, fields_in_view)
                for name in absent:
                    self.assertNotIn(name, fields_in_view)
                self._assert_modifiers_evaluable(views, "res.partner")
                # the view's fields are readable by that user: the form opens
                self.customer.with_user(user).web_read(
                    {name: {} for name in fields_in_view if name.startswith("credit_")}
                )
        for user in (self.salesman, self.billing, self.manager):
            with self.subTest(user=user.login):
                views = self.env["sale.order"].with_user(user).get_views([(False, "form")])
                self.assertIn('name="credit_block_banner"', views["views"]["form"]["arch"])
                self._assert_modifiers_evaluable(views, "sale.order")
                self.order.with_user(user).web_read({"credit_block_reason": {}, "credit_override_id": {}})

    def _assert_modifiers_evaluable(self, views, model):
        """Every field that our nodes' modifiers use is in the view for that user: the web client evaluates
        them, and a field left out for lack of groups would break the form."""
        (view,) = views["views"].values()
        fields_in_view = set(views["models"][model]["fields"])
        for node in etree.fromstring(view["arch"]).xpath("//*[starts-with(@name, 'credit_')]/descendant-or-self::*"):
            for attr in ("invisible", "readonly", "required"):
                used = get_expression_field_names(node.get(attr)) - {"context", "uid", "id", "parent"}
                self.assertLessEqual(used, fields_in_view, f"{model}: {node.tag} {node.get('name')} {attr}")

    def test_collector_reads_the_whole_profile(self):
        partner = self.customer.with_user(self.collector)
        self.assertEqual(partner.credit_hold_reason, REASON)
        self.assertEqual(partner.credit_rating_source, "Graydon")
        self.assertAlmostEqual(partner.credit_exposure, 400.0, places=2)
        self.assertAlmostEqual(partner.credit_available, 600.0, places=2)
        self.assertIn(REASON, self.order.with_user(self.collector).credit_block_reason)

    def test_billing_user_reads_what_odoo_shows_it(self):
        values = self.customer.with_user(self.billing).read(["credit_limit", "credit_exposure", "credit_available"])[0]
        self.assertEqual(values["credit_limit"], 1000.0)
        self.assertAlmostEqual(values["credit_exposure"], 400.0, places=2)
        self.assertAlmostEqual(values["credit_available"], 600.0, places=2)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.billing).read(["credit_hold_reason"])

    # ------------------------------------------------------------------
    # Reports
    # ------------------------------------------------------------------

    def test_every_credit_report_checks_access(self):
        reports = self.env["ir.actions.report"].search([("report_name", "=like", "credit_control.%")])
        self.assertGreaterEqual(len(reports), 4)
        for report in reports:
            with self.subTest(report=report.report_name):
                name = f"report.{report.report_name}"
                self.assertIn(name, self.env, "no report model checks access")
                self.assertIsInstance(self.env[name], self.registry["credit.report.mixin"])

    def test_plain_employee_cannot_render_a_statement_or_letter(self):
        Report = self.env["ir.actions.report"]
        with self.assertRaises(AccessError):
            Report.with_user(self.employee)._render_qweb_html(
                "credit_control.report_credit_statement", self.customer.ids
            )
        with self.assertRaises(AccessError):
            Report.with_user(self.salesman)._render_qweb_html(
                "credit_control.report_credit_statement", self.customer.ids
            )
        html = Report.with_user(self.collector)._render_qweb_html(
            "credit_control.report_credit_statement", self.customer.ids
        )[0]
        self.assertIn(self.overdue.name, html.decode())
        policy = self._policy("Letters", {"name": "Letter", "days": 1, "action_type": "letter"})
        action = self.env["credit.action"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "level_id": policy.level_ids.id,
                "channel": "letter",
                "date": self.today,
                "line_ids": [
                    Command.set(
                        self.overdue.line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids
                    )
                ],
            }
        )
        for user in (self.employee, self.salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Report.with_user(user)._render_qweb_html("credit_control.report_credit_letter", action.ids)
        html = Report.with_user(self.collector)._render_qweb_html("credit_control.report_credit_letter", action.ids)[0]
        self.assertIn(self.overdue.name, html.decode())

    def test_cfo_report_of_a_month_without_company_snapshot_renders(self):
        snapshot = self.env["credit.kpi.snapshot"].create(
            {
                "company_id": self.company.id,
                "scope": "segment",
                "segment_id": self.segment.id,
                "date_from": "2026-05-01",
                "date_to": "2026-05-31",
            }
        )
        # before: "WHERE id IN ()" - a syntax error and an HTTP 500
        values = snapshot._cfo_report_values()
        self.assertFalse(values["trend"])
        self.assertEqual(values["trend_values"], {})
        html = self.env["ir.actions.report"]._render_qweb_html("credit_control.report_credit_cfo", snapshot.ids)[0]
        self.assertNotIn("Key figures", html.decode())  # no company snapshot of that month: nothing to show
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.employee)._render_qweb_html(
                "credit_control.report_credit_cfo", snapshot.ids
            )

    # ------------------------------------------------------------------
    # Smaller holes (issue 11 §5)
    # ------------------------------------------------------------------

    def test_salesperson_copies_a_rated_customer_without_its_credit_profile(self):
        copy = self.customer.with_user(self.salesman).copy()
        copy = copy.with_user(self.collector)
        self.assertFalse(copy.credit_rating)
        self.assertFalse(copy.credit_hold)
        self.assertFalse(copy.credit_hold_reason)
        self.assertFalse(copy.credit_collector_id)
        self.assertFalse(copy.credit_segment_id)
        self.assertEqual(copy.sudo().credit_limit, 0.0)

    @mute_logger("odoo.models")
    def test_only_credit_staff_refresh_statistics(self):
        for user in (self.salesman, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).action_credit_refresh_statistics()
        self.customer.with_user(self.collector).action_credit_refresh_statistics()
        self.assertAlmostEqual(self.customer.credit_overdue_amount, 400.0, places=2)


@tagged("post_install", "-at_install")
class TestTrustConfidentialityHttp(TrustConfidentialityCommon, HttpCase):
    """The same, as an attacker would do it: over XML-RPC and through the report URL."""

    def _rpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, self._password(user.login), model, method, list(args), kwargs
        )

    @staticmethod
    def _password(login):
        return login + "x" * (8 - len(login))  # as new_test_user makes it

    def test_portal_user_reads_no_credit_field_over_rpc(self):
        for name in ("credit_rating", "credit_rating_source", "credit_hold_reason", "credit_available"):
            with self.subTest(field=name), self.assertRaisesRegex(xmlrpc.client.Fault, "AccessError|access"):
                self._rpc(self.portal, "res.partner", "read", self.customer.ids, [name])
        with self.assertRaisesRegex(xmlrpc.client.Fault, "AccessError|access"):
            self._rpc(self.portal, "sale.order", "read", self.order.ids, ["credit_block_reason"])
        described = self._rpc(self.portal, "res.partner", "fields_get", [], ["type"])
        self.assertFalse([name for name in described if name.startswith("credit_")])

    def test_plain_employee_reads_no_credit_field_over_rpc(self):
        with self.assertRaisesRegex(xmlrpc.client.Fault, "AccessError|access"):
            self._rpc(self.employee, "res.partner", "search_read", [("id", "=", self.customer.id)], ["credit_exposure"])
        with self.assertRaisesRegex(xmlrpc.client.Fault, "AccessError|access"):
            self._rpc(
                self.employee,
                "res.partner",
                "read_group",
                [],
                ["credit_hold"],
                ["credit_hold"],
            )
        # positive: the collector reads the reason over RPC
        values = self._rpc(self.collector, "res.partner", "read", self.customer.ids, ["credit_hold_reason"])[0]
        self.assertEqual(values["credit_hold_reason"], REASON)

    @mute_logger("odoo.http")
    def test_plain_employee_cannot_open_the_statement_url(self):
        url = f"/report/html/credit_control.report_credit_statement/{self.customer.id}"
        self.authenticate("emp", self._password("emp"))
        response = self.url_open(url)
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(self.overdue.name, response.text)
        self.authenticate("collector", "collector")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.overdue.name, response.text)

    @mute_logger("odoo.http")
    def test_cfo_report_url_of_an_unknown_or_segment_snapshot_does_not_fail(self):
        snapshot = self.env["credit.kpi.snapshot"].create(
            {
                "company_id": self.company.id,
                "scope": "segment",
                "segment_id": self.segment.id,
                "date_from": "2026-05-01",
                "date_to": "2026-05-31",
            }
        )
        self.authenticate("credit_manager", "credit_manager")
        for docid in (snapshot.id, 999999):
            with self.subTest(docid=docid):
                response = self.url_open(f"/report/html/credit_control.report_credit_cfo/{docid}")
                self.assertEqual(response.status_code, 200)
