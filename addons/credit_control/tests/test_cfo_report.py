from datetime import date

import polib
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

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

    def _html(self, snapshot, data=None):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_cfo", snapshot.ids, data=data
        )
        return html.decode()

    def _print(self, snapshot, **values):
        """The report as the print dialog makes it: its action's data, rendered."""
        action = snapshot.with_user(self.collector).action_print_cfo_report()
        wizard = (
            self.env[action["res_model"]].with_user(self.collector).with_context(**action["context"]).create(values)
        )
        report = wizard.action_print()
        return report, self._html(self.Snapshot.browse(report["context"]["active_ids"]), data=report["data"])

    def _cfo_mails(self):
        return self.Mail.search([("model", "=", "credit.kpi.snapshot")])

    def test_report_shows_the_month_kpis_trend_aging_disputes_plans_and_actions(self):
        april = self._snapshot(self.Snapshot._compute_month(self.company, date(2026, 4, 30)), "company")
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        # printed today (15 June): the figures of today, the KPIs of May (the last month closed)
        _report, html = self._print(may)
        self.assertIn("Credit control report", html)
        self.assertIn("As of June 15, 2026", html)
        # receivables today: A2 1400 + B1 1500 + B2 2500 - 500; not yet due: B2 less the open credit note; May sales
        for figure in ("4,900.00", "2,000.00", "5,000.00"):
            self.assertIn(figure, html)
        # May's KPIs, and April's beside them: receivables 3500, April sales 2000 of 30 days
        for kpi in ("78.4", "49.0", "34.1", "14.9", "20.0", "69.6", "50.0", "12.0", "0.3"):
            self.assertIn(f">{kpi}<", html.replace(" ", "").replace("\n", ""))
        self.assertAlmostEqual(april.dso_standard, 52.5, places=2)  # 3500 / 2000 x 30
        self.assertIn("52.5", html)
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
        values = self.env["report.credit_control.report_credit_cfo"]._cfo_values(may, date(2026, 6, 15))
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

    def test_every_figure_is_as_of_the_reference_date(self):
        """As of 31 May, A3 (paid 5 June) and A2's 1400 are still open, B1 was 75 days late, the delivery dispute
        was open and the plan of 15 June did not exist yet: the stocks are those of that day, not of today."""
        self.Snapshot._compute_month(self.company, date(2026, 4, 30))
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        values = self.env["report.credit_control.report_credit_cfo"]._cfo_values(may, MAY_END)
        self.assertAlmostEqual(values["receivables"], may.receivables, places=2)
        self.assertAlmostEqual(values["receivables"], 7900.0, places=2)
        aging = dict(values["aging"])
        self.assertEqual(
            aging,
            {"Not Due": 5000.0, "1-30 Days": 1400.0, "31-60 Days": 0.0, "61-90 Days": 1500.0, "Over 90 Days": 0.0},
        )
        self.assertEqual(values["top_overdue"], [(self.customer, 1400.0, 26), (self.other_customer, 1000.0, 75)])
        self.assertEqual((values["disputes_count"], values["disputes_amount"]), (1, 2500.0))
        self.assertEqual(values["plans_active"]["count"], 0)
        # as of 15 May the delivery dispute (20 May) was not opened yet and the price dispute (4-16 May) was open;
        # the month is April's, the last closed by then
        report, html = self._print(may, date=date(2026, 5, 15))
        april = self.Snapshot.browse(report["context"]["active_ids"])
        self.assertEqual(april.date_to, date(2026, 4, 30))
        self.assertIn("As of May 15, 2026", html)
        self.assertIn("April 2026", html)
        mid_may = self.env["report.credit_control.report_credit_cfo"]._cfo_values(april, date(2026, 5, 15))
        self.assertEqual([row[0] for row in mid_may["disputes"]], ["Price"])
        # 15 May: A2 2000 (due 5 May), A3 3000, B1 1500; the credit note and B2 came later
        self.assertAlmostEqual(mid_may["receivables"], 6500.0, places=2)
        # the report states the one date once, and no other day
        self.assertEqual(html.count("May 15, 2026"), 2)  # the heading and the footnote
        self.assertNotIn("June 15, 2026", html)
        with self.assertRaisesRegex(UserError, "No month closed on or before"):
            self._print(may, date=date(2026, 4, 29))

    def test_report_in_one_language_the_recipients(self):
        """Printed in Dutch it has no English label of the report, printed in English no Dutch one: the labels, the
        month names, the selection values and the numbers follow the language chosen when printing."""
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        self.Snapshot._compute_month(self.company, date(2026, 4, 30))
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        _report, dutch = self._print(may, date=MAY_END, lang="nl_NL")
        _report, english = self._print(may, date=MAY_END, lang="en_US")
        english_labels = (
            "Credit control report",
            "As of",
            "Key figures",
            "Receivables",
            "of which not yet due",
            "Sales of",
            "KPIs and their trend",
            "Aging",
            "Not Due",
            "Top overdue customers",
            "Most days overdue",
            "Open disputes",
            "Root cause",
            "Payment plans",
            "Still to pay",
            "Follow-up actions of",
            "Amount followed up",
            "Cash collected",
            "Collection effectiveness",
            "Skipped",
            "Phone Call",
            "May 2026",
            "May 31, 2026",
        )
        po = polib.pofile(file_path("credit_control/i18n/nl.po"))
        translated = {entry.msgid: entry.msgstr for entry in po if entry.msgstr}
        dutch_labels = (
            *(
                translated[msgid]
                for msgid in ("Credit control report", "Key figures", "Open disputes", "Payment plans")
            ),
            "Stand per",
            "mei 2026",
            "31 mei 2026",
            "7.900,00",
        )
        for label in english_labels:
            self.assertIn(label, english)
            self.assertNotIn(label, dutch)
        for label in dutch_labels:
            self.assertIn(label, dutch)
            self.assertNotIn(label, english)
        self.assertIn("Stand per 31 mei 2026", dutch)
        self.assertIn("As of May 31, 2026", english)

    def test_trends_are_charts_drawn_on_the_server_and_rows_are_not_cut(self):
        """Five inline SVG bar charts (DSO, overdue share, CEI, cash collected, CSAT), one bar per month with a value,
        no JavaScript; rows that do not break across pages and table headers repeated on each page."""
        self.Snapshot._compute_month(self.company, date(2026, 4, 30))
        may = self._snapshot(self.Snapshot._compute_month(self.company, MAY_END), "company")
        html = self._html(may)
        charts = html[html.index('name="cfo_charts"') : html.index("</div>", html.rindex("</svg>"))]
        self.assertEqual(charts.count("<svg"), 5)
        self.assertNotIn("<script", charts)
        self.assertIn("DSO", charts)
        self.assertIn("Cash collected", charts)
        # May's DSO bar is labelled with its value, April's too; cash collected in May: 3500 + 5000 - 7900 = 600
        self.assertIn(">49.0<", charts)
        self.assertIn(">52.5<", charts)
        self.assertIn(">600<", charts)
        self.assertGreaterEqual(charts.count("<rect"), 8)
        self.assertIn("page-break-inside: avoid", html)
        self.assertIn("display: table-header-group", html)

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
        self.assertEqual(action["res_model"], "credit.cfo.report.print")
        wizard = self.env[action["res_model"]].with_user(self.collector).with_context(**action["context"]).create({})
        self.assertEqual(wizard.date, date(2026, 6, 15), "as of today by default")
        report = wizard.action_print()
        self.assertEqual(report["report_name"], "credit_control.report_credit_cfo")
        self.assertEqual(report["context"]["active_ids"], self._snapshot(snapshots, "company").ids)
        self.assertEqual(report["data"]["date"], "2026-06-15")

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
