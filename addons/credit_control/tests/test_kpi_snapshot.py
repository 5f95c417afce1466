from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, Form, tagged
from odoo.tools import mute_logger

from odoo.addons.credit_control.tools import credit_kpi_period

from .common import TODAY
from .common_kpi import MAY_END, CreditKpiCommon

KPIS = (
    "dso_count_back",
    "dso_standard",
    "bpdso",
    "add_days",
    "cei",
    "percent_current",
    "promise_kept_rate",
    "dispute_cycle_days",
    "actions_per_day",
)


@tagged("post_install", "-at_install")
class TestKpiPeriod(BaseCase):
    def test_month_ends_of_a_range(self):
        self.assertEqual(
            credit_kpi_period.month_ends(date(2026, 3, 15), date(2026, 5, 2)),
            [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)],
        )
        self.assertEqual(credit_kpi_period.month_ends(date(2026, 5, 1), date(2026, 4, 30)), [])
        self.assertEqual(credit_kpi_period.month_end(date(2028, 2, 10)), date(2028, 2, 29))
        self.assertEqual(credit_kpi_period.previous_month_end(date(2026, 1, 1)), date(2025, 12, 31))

    def test_working_days_are_monday_to_friday(self):
        self.assertEqual(credit_kpi_period.working_days(date(2026, 5, 1), date(2026, 5, 31)), 21)
        self.assertEqual(credit_kpi_period.working_days(date(2026, 2, 1), date(2026, 2, 28)), 20)
        self.assertEqual(credit_kpi_period.working_days(date(2026, 5, 2), date(2026, 5, 3)), 0)  # a weekend
        self.assertEqual(credit_kpi_period.working_days(date(2026, 5, 3), date(2026, 5, 2)), 0)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestKpiSnapshot(CreditKpiCommon):
    def _raw(self, snapshot, name):
        """The stored value itself: NULL (None) when the KPI could not be measured."""
        self.env.flush_all()
        self.env.cr.execute(f"SELECT {name} FROM credit_kpi_snapshot WHERE id = %s", [snapshot.id])
        return self.env.cr.fetchone()[0]

    def _warm_up(self):
        """Run twice (the second run also deletes) so that access rights and rules are cached, then start from an
        empty record cache."""
        self.Snapshot._compute_month(self.company, MAY_END)
        self.Snapshot._compute_month(self.company, MAY_END)
        self.env.flush_all()
        self.env.invalidate_all()

    def _assert_kpis(self, snapshot, expected):
        for name, value in expected.items():
            self.assertAlmostEqual(snapshot[name], value, places=2, msg=name)

    def test_company_kpis_of_the_month_to_two_decimals(self):
        snapshot = self._snapshot(self.Snapshot._compute_month(self.company, date(2026, 5, 12)), "company")
        self.assertEqual((snapshot.date_from, snapshot.date_to), (date(2026, 5, 1), MAY_END))
        self._assert_kpis(
            snapshot,
            {
                "receivables": 7900.0,
                "receivables_current": 5500.0,
                "receivables_opening": 3500.0,
                "sales": 5000.0,
                # 7900 - 5000 (May, 31 days) - 2000 (April, 30) = 900 of March's 1600: 31 + 30 + 900/1600 x 31
                "dso_count_back": 78.4,
                "dso_standard": 49.0,  # 7900 / 5000 x 31 = 48.98
                "bpdso": 34.1,  # 5500 / 5000 x 31
                "add_days": 14.9,  # 49.0 - 34.1
                "cei": 20.0,  # (3500 + 5000 - 7900) / (3500 + 5000 - 5500) = 600 / 3000
                "percent_current": 69.6,  # 5500 / 7900
                "promise_kept_rate": 50.0,  # May: one kept, one broken (April's kept one is April's)
                "dispute_cycle_days": 12.0,  # 4 to 16 May
                "actions_per_day": 0.3,  # 7 done / 21 working days
            },
        )
        self.assertEqual(
            (snapshot.promises_kept, snapshot.promises_broken, snapshot.disputes_opened, snapshot.disputes_closed),
            (1, 1, 2, 1),
        )
        self.assertEqual((snapshot.actions_done, snapshot.working_days), (7, 21))

    def test_segment_and_collector_snapshots(self):
        snapshots = self.Snapshot._compute_month(self.company, MAY_END)
        self.assertEqual(len(snapshots), 4, "the company, segment Garages and the two collectors")
        garages = self._snapshot(snapshots, "segment", segment=self.segment)
        expected_de_vries = {
            "receivables": 4400.0,
            "receivables_current": 3000.0,
            "receivables_opening": 2000.0,
            "sales": 3000.0,
            "dso_count_back": 52.0,  # 4400 - 3000 = 1400 of April's 2000: 31 + 1400/2000 x 30
            "dso_standard": 45.5,  # 4400 / 3000 x 31 = 45.47
            "bpdso": 31.0,
            "add_days": 14.5,
            "cei": 30.0,  # (2000 + 3000 - 4400) / (2000 + 3000 - 3000)
            "percent_current": 68.2,  # 3000 / 4400
            "promise_kept_rate": 100.0,
            "dispute_cycle_days": 12.0,
            "actions_per_day": 0.2,  # 5 / 21
        }
        self._assert_kpis(garages, expected_de_vries)
        self._assert_kpis(self._snapshot(snapshots, "collector", collector=self.collector), expected_de_vries)
        peeters = self._snapshot(snapshots, "collector", collector=self.manager)
        self._assert_kpis(
            peeters,
            {
                "receivables": 3500.0,
                "receivables_current": 2500.0,
                "receivables_opening": 1500.0,
                "sales": 2000.0,
                # the receivables exceed the sales of the three months: their 31 + 30 + 31 days
                "dso_count_back": 92.0,
                "dso_standard": 54.3,  # 3500 / 2000 x 31 = 54.25
                "bpdso": 38.8,  # 2500 / 2000 x 31 = 38.75
                "add_days": 15.5,
                "cei": 0.0,  # (1500 + 2000 - 3500) / (1500 + 2000 - 2500): nothing collected
                "percent_current": 71.4,
                "promise_kept_rate": 0.0,
                "actions_per_day": 0.1,  # 2 / 21
            },
        )
        self.assertEqual(peeters.disputes_opened, 1)
        self.assertIsNone(self._raw(peeters, "dispute_cycle_days"), "no dispute closed: not measurable, not zero")
        self.assertEqual(float(self._raw(peeters, "cei")), 0.0, "zero collected is measured as zero")

    def test_a_month_without_sales_has_no_dso(self):
        snapshot = self._snapshot(self.Snapshot._compute_month(self.company, date(2026, 1, 31)), "company")
        self.assertEqual(snapshot.receivables, 0.0)
        for name in KPIS[:-1]:
            self.assertIsNone(self._raw(snapshot, name), name)
        self.assertEqual(float(self._raw(snapshot, "actions_per_day")), 0.0, "no action on 22 working days")
        june = self._snapshot(self.Snapshot._compute_month(self.company, date(2026, 6, 30)), "company")
        # A3 paid on 5 June: 7900 - 3000
        self.assertEqual((june.receivables, june.receivables_opening, june.sales), (4900.0, 7900.0, 0.0))
        self.assertIsNone(self._raw(june, "dso_standard"))
        # no sales in June: its 30 days, then 4900 of May's 5000: 30 + 4900/5000 x 31 = 60.38
        self.assertAlmostEqual(june.dso_count_back, 60.4, places=2)

    def test_recomputing_a_month_replaces_its_snapshots(self):
        april = self.Snapshot._compute_month(self.company, date(2026, 4, 30))
        first = self.Snapshot._compute_month(self.company, MAY_END)
        values = first.read(["scope", "segment_id", "collector_id", *KPIS], load=None)
        for row in values:
            row.pop("id")
        values.sort(key=str)
        second = self.Snapshot._compute_month(self.company, MAY_END)
        self.assertFalse(first.exists(), "the month's earlier snapshots are replaced")
        again = second.read(["scope", "segment_id", "collector_id", *KPIS], load=None)
        for row in again:
            row.pop("id")
        again.sort(key=str)
        self.assertEqual(again, values)
        self.assertEqual(april, april.exists(), "other months stay")
        self.assertEqual(self.Snapshot.search_count([("date_to", "=", MAY_END)]), 4)

    def test_one_snapshot_per_company_month_and_scope(self):
        self.Snapshot._compute_month(self.company, MAY_END)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Snapshot.create(
                {"company_id": self.company.id, "scope": "company", "date_from": date(2026, 5, 1), "date_to": MAY_END}
            )

    def test_queries_do_not_grow_with_customers(self):
        # 5 aggregate queries (receivables, promises, actions, ratings, disputes), 2 existence checks of segments
        # and collectors, 2 to read the month's earlier snapshots, 4 to delete them (rows, xml ids, attachments,
        # defaults), 4 to insert the new ones in one statement (with the company and currency that round the
        # amounts, and the company check)
        self._warm_up()
        with self.assertQueryCount(17):
            self.Snapshot._compute_month(self.company, MAY_END)
        other_segment = self.env["credit.segment"].create({"name": "Dealers", "partner_domain": "[('id', '=', 0)]"})
        for index in range(6):
            partner = self.Partner.create({"name": f"Dealer {index}", "is_company": True})
            partner.write({"credit_segment_id": other_segment.id, "credit_collector_id": self.collector.id})
            invoice = self._sale(partner, 100.0 * (index + 1), date(2026, 5, 3), date(2026, 6, 2))
            self._pay_on(invoice, date(2026, 5, 20), amount=50.0)
        self._warm_up()
        with self.assertQueryCount(17):
            snapshots = self.Snapshot._compute_month(self.company, MAY_END)
        self.assertEqual(len(snapshots), 5)
        dealers = self._snapshot(snapshots, "segment", segment=other_segment)
        self.assertAlmostEqual(dealers.sales, 2100.0, places=2)
        self.assertAlmostEqual(dealers.receivables, 2100.0 - 300.0, places=2)

    def test_collectors_read_salespeople_do_not_other_companies_hidden(self):
        self.Snapshot._compute_month(self.company, MAY_END)
        other_company = self.setup_other_company()["company"]
        self.Snapshot.with_company(other_company)._compute_month(other_company, MAY_END)
        both = (self.company | other_company).ids
        self.assertEqual(
            self.Snapshot.sudo().search_count(
                [("date_to", "=", MAY_END), ("scope", "=", "company"), ("company_id", "in", both)]
            ),
            2,
        )
        visible = self.Snapshot.with_user(self.collector).search([])
        self.assertEqual(len(visible), 4)
        self.assertEqual(visible.company_id, self.company)
        self.assertTrue(visible[0].with_user(self.collector).definitions)
        with self.assertRaises(AccessError):
            self.Snapshot.with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.Snapshot.with_user(self.collector)._compute_month(self.company, MAY_END)
        with self.assertRaises(AccessError):
            self.env["credit.kpi.compute"].with_user(self.collector).create({})

    def test_monthly_cron_computes_the_month_that_ended_for_every_company(self):
        other_company = self.setup_other_company()["company"]
        with freeze_time("2026-06-01 03:00:00"):
            self.env.ref("credit_control.ir_cron_credit_kpi_snapshot").method_direct_trigger()
        companies = self.Snapshot.search([("scope", "=", "company")])
        self.assertEqual(set(companies.mapped("date_to")), {MAY_END})
        self.assertLessEqual(self.company | other_company, companies.company_id)
        self.assertEqual(len(companies), len(companies.company_id), "one snapshot per company")
        cron = self.env.ref("credit_control.ir_cron_credit_kpi_snapshot")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "months"))
        self.assertEqual(cron.code.strip(), "model._cron_kpi_snapshot()")

    def test_manager_computes_a_range_of_months_and_sees_the_dashboard(self):
        form = Form(self.env["credit.kpi.compute"].with_user(self.manager))
        self.assertEqual(form.date_to, MAY_END)
        self.assertEqual(form.date_from, date(2025, 12, 1))
        form.date_from = date(2026, 3, 10)
        wizard = form.save()
        action = wizard.action_compute()
        self.assertEqual(action["res_model"], "credit.kpi.snapshot")
        shown = self.Snapshot.search(action["domain"] + [("scope", "=", "company")])
        self.assertEqual(shown.mapped("date_to"), [MAY_END, date(2026, 4, 30), date(2026, 3, 31)])
        self.assertIn("search_default_scope_company", action["context"])
        wizard.date_to = date(2026, 6, 30)
        with self.assertRaisesRegex(UserError, "months that have ended"):
            wizard.action_compute()
        wizard.write({"date_from": date(2026, 5, 1), "date_to": date(2026, 4, 1)})
        with self.assertRaises(UserError):
            wizard.action_compute()

    def test_dashboard_views_definitions_and_disputes_by_root_cause(self):
        snapshots = self.Snapshot._compute_month(self.company, MAY_END)
        views = self.Snapshot.get_views([(False, kind) for kind in ("graph", "pivot", "list", "form", "search")])
        self.assertIn('type="line"', views["views"]["graph"]["arch"])
        company = self._snapshot(snapshots, "company")
        self.assertIn(self.Snapshot._fields["cei"].help[:40], company.definitions)
        self.assertEqual(company.display_name, f"May 2026 · {self.company.name}")
        action = company.action_open_disputes_by_root_cause()
        self.assertEqual(action["context"]["group_by"], ["reason_category"])
        disputes = self.env["credit.dispute"].search(action["domain"])
        self.assertEqual(disputes, self.dispute_closed | self.dispute_open)
        groups = dict(self.env["credit.dispute"]._read_group(action["domain"], ["reason_category"], ["__count"]))
        self.assertEqual(groups, {"price": 1, "delivery": 1})
