from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY
from .common_kpi import MAY_END, CreditKpiCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCfoReport(CreditKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cfo = cls.Partner.create({"name": "Marieke Jansen (CFO)", "email": "cfo@example.com"})
        cls.controller = cls.Partner.create({"name": "Pieter Bakker", "email": "controller@example.com"})
        plan = cls.env["credit.payment.plan"].create(
            {"partner_id": cls.other_customer.id, "move_ids": [Command.set(cls.b1.ids)], "installment_count": 3}
        )
        plan.action_compute_schedule()
        plan.action_activate()
        cls.Mail = cls.env["mail.mail"]
        cls.cron = cls.env.ref("credit_control.ir_cron_credit_kpi_snapshot")

    def _html(self, snapshot):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_cfo", snapshot.ids
        )
        return html.decode()

    def _cfo_mails(self):
        return self.Mail.search([("model", "=", "credit.kpi.snapshot")])

    def test_report_shows_the_month_kpis_trend_aging_disputes_plans_and_actions(self):
        april = self._snapshot(self.Snapshot._compute_month(self.company, date(2026, 4, 30)), "company")
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        html = self._html(may)
        self.assertIn("Credit control report", html)
        for figure in ("7,900.00", "5,500.00", "5,000.00"):  # receivables, not yet due, sales
            self.assertIn(figure, html)
        # May's KPIs, and April's beside them: receivables 3500, April sales 2000 of 30 days
        for kpi in ("78.4", "49.0", "34.1", "14.9", "20.0", "69.6", "50.0", "12.0", "0.3"):
            self.assertIn(f">{kpi}<", html.replace(" ", "").replace("\n", ""))
        self.assertAlmostEqual(april.dso_standard, 52.5, places=2)  # 3500 / 2000 x 30
        self.assertIn("52.5", html)
        # aging of what is open today: A2 1400 + B1 1500 + B2 2500 - 500
        self.assertIn("4,900.00", html)
        self.assertIn(self.customer.name, html)
        self.assertIn(self.other_customer.name, html)
        # open disputes: Peeters's delivery dispute of 2,500.00
        self.assertIn("Delivery", html)
        self.assertIn("2,500.00", html)
        # payment plans: one active on B1 (1,500.00 to pay)
        self.assertIn("1,500.00", html)
        # the month's actions by channel and state: 3 emails, 2 calls, 2 letters done; 1 proposed; 1 skipped
        self.assertIn("Letter", html)
        self.assertIn("Skipped", html)
        values = may._cfo_report_values()
        actions = {(channel, state): count for channel, state, count, _amount in values["actions"]}
        self.assertEqual(
            actions,
            {
                ("Email", "Done"): 3,
                ("Email", "Skipped"): 1,
                ("Phone Call", "Done"): 2,
                ("Phone Call", "Proposed"): 1,
                ("Letter", "Done"): 2,
            },
        )
        self.assertEqual(values["actions_count"], 9)
        self.assertEqual((values["plans_active"]["count"], values["plans_active"]["open"]), (1, 1500.0))
        self.assertEqual((values["disputes_count"], values["disputes_amount"]), (1, 2500.0))
        self.assertAlmostEqual(values["aging_total"], 4900.0, places=2)
        self.assertEqual(values["trend"], april | may)

    def test_report_in_the_company_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.company.partner_id.lang = "nl_NL"
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        html = self._html(may)
        self.assertIn("7.900,00", html)
        self.assertIn("78,4", html)

    def test_printed_on_demand_from_any_snapshot_of_the_month(self):
        snapshots = self.Snapshot._compute_month(self.company, MAY_END)
        garages = self._snapshot(snapshots, "segment", segment=self.segment)
        action = garages.with_user(self.collector).action_print_cfo_report()
        self.assertEqual(action["report_name"], "credit_control.report_credit_cfo")
        self.assertEqual(action["context"]["active_ids"], self._snapshot(snapshots, "company").ids)

    def test_recipients_are_set_in_the_settings(self):
        settings = self.env["res.config.settings"].create(
            {"credit_cfo_recipient_ids": [Command.set((self.cfo | self.controller).ids)]}
        )
        settings.execute()
        self.assertEqual(self.company.credit_cfo_recipient_ids, self.cfo | self.controller)

    def test_monthly_cron_queues_the_report_once_per_month(self):
        self.company.credit_cfo_recipient_ids = self.cfo | self.controller
        other_company = self.setup_other_company()["company"]  # no recipients: no report
        with freeze_time("2026-06-01 03:00:00"):
            self.cron.method_direct_trigger()
        mail = self._cfo_mails()
        self.assertEqual(len(mail), 1)
        may = self.Snapshot.search([("company_id", "=", self.company.id), ("scope", "=", "company")])
        self.assertEqual((mail.res_id, mail.state), (may.id, "outgoing"))
        self.assertEqual(mail.recipient_ids, self.cfo | self.controller)
        self.assertIn("credit control report May 2026", mail.subject)
        self.assertEqual(len(mail.attachment_ids), 1)
        # the CFO report of May, rendered by the report action (as HTML: Odoo renders no PDF in tests)
        attachment = mail.attachment_ids
        self.assertTrue(attachment.name.startswith(f"Credit Control Report - {self.company.name} - 2026-05"))
        self.assertIn(b"7,900.00", attachment.raw)
        self.assertIn(b"78.4", attachment.raw)
        sent = may.cfo_report_sent
        self.assertTrue(sent)
        other = self.Snapshot.search([("company_id", "=", other_company.id), ("scope", "=", "company")])
        self.assertFalse(other.cfo_report_sent)

        with freeze_time("2026-06-01 09:00:00"):  # rerun the same month: recomputed, not sent again
            self.cron.method_direct_trigger()
        self.assertEqual(len(self._cfo_mails()), 1)
        may_again = self.Snapshot.search([("company_id", "=", self.company.id), ("scope", "=", "company")])
        self.assertFalse(may.exists())
        self.assertEqual(may_again.cfo_report_sent, sent)

        with freeze_time("2026-07-01 03:00:00"):
            self.cron.method_direct_trigger()
        mails = self._cfo_mails()
        self.assertEqual(len(mails), 2)
        june = self.Snapshot.search(
            [("company_id", "=", self.company.id), ("scope", "=", "company"), ("date_to", "=", date(2026, 6, 30))]
        )
        self.assertEqual((mails - mail).res_id, june.id)
