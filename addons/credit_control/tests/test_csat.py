import ast
import os
import shutil
import tempfile
from datetime import date, datetime
from decimal import Decimal

import lxml.html
from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import AccessError
from odoo.tests import BaseCase, Form, HttpCase, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationImporter

from odoo.addons.credit_control.tools import credit_kpi

from .common import TODAY
from .common_arrangements import CreditArrangementCommon

MAY_END = date(2026, 5, 31)


@tagged("post_install", "-at_install")
class TestCsatFormula(BaseCase):
    def test_csat_is_the_share_of_satisfied_ratings_to_two_decimals(self):
        self.assertEqual(credit_kpi.customer_satisfaction(2, 3), Decimal("66.67"))
        self.assertEqual(credit_kpi.customer_satisfaction(1, 3), Decimal("33.33"))
        self.assertEqual(credit_kpi.customer_satisfaction(3, 3), Decimal("100.00"))
        self.assertEqual(credit_kpi.customer_satisfaction(0, 4), Decimal("0.00"))
        self.assertEqual(credit_kpi.customer_satisfaction(1, 8), Decimal("12.50"))

    def test_csat_without_ratings_is_not_measurable_and_bad_counts_raise(self):
        self.assertIsNone(credit_kpi.customer_satisfaction(0, 0))
        with self.assertRaises(ValueError):
            credit_kpi.customer_satisfaction(-1, 3)
        with self.assertRaises(ValueError):
            credit_kpi.customer_satisfaction(4, 3)


class CsatCommon(CreditArrangementCommon):
    """Garage De Vries is in the segment *Garages*, which asks for ratings; Autobedrijf Peeters has no segment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["credit.segment"].create(
            {"name": "Garages", "partner_domain": "[('id', '=', 0)]", "csat_enabled": True}
        )
        cls.customer.write({"credit_segment_id": cls.segment.id})
        cls.other_customer.write({"email": "admin@peeters.be", "credit_collector_id": cls.manager.id})
        cls.reason = cls.env.ref("credit_control.credit_dispute_reason_quality")
        cls.Call = cls.env["credit.action.call"]

    def _dispute(self, invoice, partner=None):
        return (
            self.env["credit.dispute"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "move_ids": [Command.set(invoice.ids)],
                    "reason_id": self.reason.id,
                }
            )
        )

    def _call(self, partner=None, company=None, day=None):
        """A follow-up call made (done), whose outcome is still to be logged."""
        partner = partner or self.customer
        company = company or self.company
        return (
            self.env["credit.action"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "recipient_id": partner.id,
                    "company_id": company.id,
                    "level_id": self.call.id if company == self.company else False,
                    "arrangement_check": False if company == self.company else "promise_broken",
                    "channel": "phone",
                    "date": day or self.today,
                    "state": "done",
                    "user_id": self.collector.id,
                    "executed_by_id": self.collector.id,
                    "executed_on": datetime.combine(day or self.today, datetime.min.time()),
                }
            )
            .with_env(self.env)
        )

    def _log_call(self, action, outcome, **values):
        wizard = self.Call.with_user(self.collector).create({"action_id": action.id, "outcome": outcome, **values})
        return wizard.action_log()

    def _load_dutch(self):
        """The Dutch of nl.po. Read from a copy, because Odoo merges a module's .po with its .pot and drops what the
        .pot does not hold yet (the integrator re-exports the .pot after merging)."""
        self.env["res.lang"]._activate_lang("nl_NL")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "nl.po")
            shutil.copy(file_path("credit_control/i18n/nl.po"), path)
            importer = TranslationImporter(self.env.cr, verbose=False)
            with open(path, "rb") as po:
                importer.load(po, "po", "nl_NL")
            importer.save(overwrite=True)

    def _rating_mails(self, record):
        """The rating requests queued for ``record`` (the emails with the one-click smileys)."""
        return self.env["mail.mail"].search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("body_html", "ilike", "/rate/")]
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCsat(CsatCommon):
    def test_resolved_dispute_asks_the_customer_once_in_dutch(self):
        self._load_dutch()
        self.customer.lang = "nl_NL"
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        dispute = self._dispute(invoice)
        action = dispute.with_user(self.collector).action_resolve_credit_note()
        wizard = (
            self.env["account.move.reversal"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create({"reason": "Broken brake discs", "journal_id": invoice.journal_id.id})
        )
        wizard.refund_moves()
        self.assertFalse(self._rating_mails(dispute), "asked once the dispute is resolved, not before")
        dispute.credit_note_id.with_user(self.collector).action_post()
        self.assertEqual(dispute.state, "resolved")
        mail = self._rating_mails(dispute)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent in the request")
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("Vertel ons hoe tevreden u bent over onze service", mail.body_html)
        self.assertIn("We hebben de betwisting opgelost", mail.body_html)
        self.assertNotIn("Tell us how you feel", mail.body_html)
        self.assertIn(dispute.name, mail.subject)
        rating = dispute.sudo().rating_ids
        self.assertEqual(len(rating), 1)
        self.assertFalse(rating.consumed)
        self.assertEqual(rating.partner_id, self.customer)
        self.assertEqual(rating.rated_partner_id, self.collector.partner_id)
        self.assertEqual(rating.credit_company_id, self.company)
        self.assertIn(f"/rate/{rating.access_token}/5", mail.body_html)
        self.assertIn(f"/rate/{rating.access_token}/1", mail.body_html)
        self.assertTrue(dispute.with_user(self.collector).csat_requested)
        with self.assertRaises(AccessError):
            dispute.with_user(self.collector).write({"csat_requested": False})
        self.assertTrue(dispute.csat_requested, "nobody makes the customer be asked again")
        # asked once: a second request (a retry, another closing path) sends nothing
        self.assertFalse(dispute._csat_send_request())
        self.assertEqual(len(self._rating_mails(dispute)), 1)

    def test_rejected_dispute_asks_the_customer_in_english(self):
        invoice = self._invoice(self.customer, 400.0, due_in=-20)
        dispute = self._dispute(invoice)
        wizard_action = dispute.with_user(self.collector).action_reject()
        wizard = Form(
            self.env[wizard_action["res_model"]].with_user(self.collector).with_context(**wizard_action["context"])
        )
        wizard.explanation = "The delivery note shows the discs arrived intact."
        wizard.save().action_reject()
        self.assertEqual(dispute.state, "rejected")
        mail = self._rating_mails(dispute)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("Tell us how you feel about our service", mail.body_html)
        self.assertIn("We could not agree with it", mail.body_html)
        self.assertEqual(mail.state, "outgoing")

    def test_no_request_where_the_segment_has_the_survey_off(self):
        invoice = self._invoice(self.other_customer, 300.0, due_in=-20)
        dispute = self._dispute(invoice, partner=self.other_customer)
        dispute.with_user(self.collector)._reject("The prices are those of the quotation.")
        self.assertEqual(dispute.state, "rejected")
        self.assertFalse(self._rating_mails(dispute), "no segment: no survey")
        self.assertFalse(dispute.sudo().rating_ids)
        self.assertFalse(dispute.sudo().csat_requested)
        with self.assertRaises(AccessError):
            self.env["credit.dispute"].with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self._invoice(self.customer, 50.0, due_in=-20).ids)],
                    "reason_id": self.reason.id,
                    "csat_requested": True,
                }
            )
        self.segment.csat_enabled = False
        invoice = self._invoice(self.customer, 300.0, due_in=-20)
        dispute = self._dispute(invoice)
        dispute.with_user(self.collector).action_cancel()
        other = self._dispute(self._invoice(self.customer, 200.0, due_in=-20))
        other.with_user(self.collector)._reject("Not agreed.")
        self.assertFalse(self._rating_mails(dispute) | self._rating_mails(other), "the segment's survey is off")

    def test_cancelled_dispute_does_not_ask(self):
        dispute = self._dispute(self._invoice(self.customer, 300.0, due_in=-20))
        dispute.with_user(self.collector).action_cancel()
        self.assertFalse(self._rating_mails(dispute), "a withdrawn dispute was not handled")

    def test_plan_paid_in_full_asks_once(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        plan = (
            self.env["credit.payment.plan"]
            .with_user(self.collector)
            .create({"partner_id": self.customer.id, "move_ids": [Command.set(invoice.ids)], "installment_count": 3})
        )
        plan.action_compute_schedule()
        plan.with_user(self.manager).action_activate()
        self.env["credit.payment.plan"]._check_plans(self.company)
        self.assertFalse(self._rating_mails(plan), "active, not done yet")
        self._pay(invoice)
        with self._at(1):
            done, _broken = self.env["credit.payment.plan"]._check_plans(self.company)
        self.assertEqual(done, plan)
        self.assertEqual(plan.state, "done")
        mail = self._rating_mails(plan)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("is paid in full", mail.body_html)
        with self._at(2):
            self.env["credit.payment.plan"]._check_plans(self.company)
        self.assertEqual(len(self._rating_mails(plan)), 1, "the next daily check asks nothing more")

    def test_call_that_reached_the_customer_asks_once(self):
        call = self._call()
        self._log_call(call, "callback", date_callback=self._days(2))
        self.assertFalse(self._rating_mails(call), "a call back is no call made yet")
        self._log_call(call, "reached", note="Will pay on Friday.")
        self.assertEqual(call.call_outcome, "reached")
        mail = self._rating_mails(call)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("We recently called you about your open invoices", mail.body_html)
        self.assertIn("Collector", mail.body_html, "the collector who called")
        self.assertFalse(call._csat_after_call(), "asked once per call")
        self.assertEqual(len(self._rating_mails(call)), 1)
        unreached = self._call()
        self._log_call(unreached, "not_reached")
        self.assertFalse(self._rating_mails(unreached), "nobody to ask about a call that did not reach them")

    def test_ratings_of_another_company_are_out_of_a_collector_reach(self):
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        own = self._call()
        other = self._call(company=company_2)
        own_rating = (
            self.env["rating.rating"].sudo().search([("access_token", "=", own.sudo()._rating_get_access_token())])
        )
        other_rating = (
            self.env["rating.rating"].sudo().search([("access_token", "=", other.sudo()._rating_get_access_token())])
        )
        self.assertEqual(other_rating.credit_company_id, company_2)
        Rating = self.env["rating.rating"].with_user(self.collector)
        self.assertEqual(Rating.search([("res_model", "=", "credit.action")]), own_rating)
        with self.assertRaises(AccessError):
            other_rating.with_user(self.collector).write({"rating": 1, "consumed": True})
        with self.assertRaises(AccessError):
            other_rating.with_user(self.collector).read(["rating"])
        own_rating.with_user(self.collector).write({"feedback": "Noted by phone."})
        self.assertEqual(own_rating.feedback, "Noted by phone.")

    def test_month_snapshot_has_csat_per_company_segment_and_collector(self):
        """May: De Vries (segment Garages, collector Collector) rates 5, 5 and 1; Peeters (no segment, collector
        Credit Manager) rates 3. Company 2 of 4 satisfied = 50.00; Garages and Collector 2 of 3 = 66.67; Credit
        Manager 0 of 1 = 0.00. A request not answered, and a rating given in June, do not count."""
        day = date(2026, 5, 12)
        calls = [self._call(day=day) for _i in range(3)]
        peeters = self._call(partner=self.other_customer, day=day)
        unanswered = self._call(day=day)
        june = self._call()
        with freeze_time("2026-05-20 10:00:00"):
            for call, score in zip([*calls, peeters], [5, 5, 1, 3], strict=True):
                call.rating_apply(score, token=call.sudo()._rating_get_access_token())
            unanswered.sudo()._rating_get_access_token()
        june.rating_apply(5, token=june.sudo()._rating_get_access_token())
        self.assertEqual(calls[0].rating_last_value, 5.0)
        self.assertEqual(calls[2].rating_avg_text, "ko")
        snapshots = self.env["credit.kpi.snapshot"]._compute_month(self.company, MAY_END)
        by_scope = {(s.scope, s.segment_id, s.collector_id): s for s in snapshots}
        company = by_scope["company", self.env["credit.segment"], self.env["res.users"]]
        segment = by_scope["segment", self.segment, self.env["res.users"]]
        collector = by_scope["collector", self.env["credit.segment"], self.collector]
        manager = by_scope["collector", self.env["credit.segment"], self.manager]
        self.assertEqual((company.csat_ratings, company.csat_satisfied, company.csat), (4, 2, 50.0))
        self.assertEqual((segment.csat_ratings, segment.csat), (3, 66.67))
        self.assertEqual((collector.csat_ratings, collector.csat), (3, 66.67))
        self.assertEqual((manager.csat_ratings, manager.csat_satisfied, manager.csat), (1, 0, 0.0))
        self.assertTrue(manager.csat_measured, "0.00 is a measured CSAT, not an empty one")
        self.env.flush_all()
        self.env.cr.execute("SELECT csat FROM credit_kpi_snapshot WHERE id = %s", [segment.id])
        self.assertEqual(self.env.cr.fetchone()[0], 66.67, "stored with two decimals")
        # a month without ratings has no CSAT
        april = self.env["credit.kpi.snapshot"]._compute_month(self.company, date(2026, 4, 30))
        self.assertFalse(april.filtered(lambda s: s.scope == "company").csat_measured)
        # the customer's credit tab: its ratings of the last 90 days (May's three and June's five)
        self.assertEqual(self.customer.with_user(self.collector).credit_csat, 75.0)
        self.assertEqual(self.customer.with_user(self.collector).credit_csat_count, 4)
        # the CFO report: a KPI line to two decimals and a trend chart
        report = self.env["report.credit_control.report_credit_cfo"]
        values = report._cfo_values(company)
        self.assertIn("csat", dict(values["kpis"]))
        self.assertEqual(values["kpi_digits"]["csat"], 2)
        self.assertEqual(values["trend_values"][company.id]["csat"], 50.0)
        self.assertIn("Customer satisfaction (CSAT, %)", [title for title, _svg in values["charts"]])
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_cfo", company.ids
        )
        self.assertIn("Customer Satisfaction (CSAT, %)", html.decode())
        self.assertIn("50.00", html.decode())


@tagged("post_install", "-at_install")
class TestCsatRatingPage(CsatCommon, HttpCase):
    def test_customer_rates_in_one_click_and_the_rating_shows_on_the_record(self):
        invoice = self._invoice(self.customer, 500.0, due_in=-20)
        dispute = self._dispute(invoice)
        dispute.with_user(self.collector)._reject("The discs were delivered intact.")
        self.assertEqual(len(self._rating_mails(dispute)), 1)
        token = dispute.sudo().rating_ids.access_token
        self.authenticate(None, None)  # the customer, from the email, not logged in
        page = self.url_open(f"/rate/{token}/5")
        page.raise_for_status()
        form = next(f for f in lxml.html.fromstring(page.content).xpath("//form") if f.get("action", "") != "")
        self.assertEqual(form.get("action"), f"/rate/{token}/submit_feedback")
        self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"rate": 5, "csrf_token": http.Request.csrf_token(self), "feedback": "Clear explanation."},
        ).raise_for_status()
        rating = dispute.sudo().rating_ids
        self.assertTrue(rating.consumed)
        self.assertEqual(rating.rating, 5.0)
        self.assertEqual(rating.feedback, "Clear explanation.")
        self.assertTrue(rating.credit_rated_on)
        dispute.invalidate_recordset()
        collector_view = dispute.with_user(self.collector)
        self.assertEqual(collector_view.rating_count, 1)
        self.assertEqual(collector_view.rating_last_value, 5.0)
        self.assertEqual(collector_view.rating_avg_text, "top")
        self.assertIn(rating, self._messages(dispute).rating_ids, "the rating is in the dispute's chatter")
        action = collector_view.action_open_ratings()
        self.assertEqual(self.env["rating.rating"].with_user(self.collector).search(action["domain"]), rating)
        # reachable: the button on the forms, the menu of all ratings, the customer's credit tab
        for model in ("credit.dispute", "credit.payment.plan", "credit.action"):
            arch = self.env[model].with_user(self.collector).get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertIn('name="action_open_ratings"', arch, model)
        menu = self.env.ref("credit_control.rating_rating_credit_menu")
        self.assertIn(self.env.ref("credit_control.group_credit_control_user"), menu.groups_id)
        Rating = self.env["rating.rating"].with_user(self.collector)
        self.assertEqual(Rating.search(ast.literal_eval(menu.action.domain)), rating)
        arch = self.env["res.partner"].with_user(self.collector).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="credit_csat"', arch)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.with_user(self.collector).credit_csat, 100.0)
        self.assertEqual(self.customer.with_user(self.collector).credit_csat_count, 1)
