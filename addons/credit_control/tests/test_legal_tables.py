import importlib.util
from datetime import date

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

MIGRATION = "credit_control/migrations/18.0.1.2.0/post-correct_legal_tables.py"


def _migration():
    """The data migration of 18.0.1.2.0 as a module (its file name is not importable)."""
    spec = importlib.util.spec_from_file_location("credit_control_migration_18_0_1_2_0", file_path(MIGRATION))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestLegalTables(TransactionCase):
    """The shipped statutory interest tables: the right rate on sample dates, and the migration that corrects them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rate = cls.env["credit.interest.rate"]

    def _rate_on(self, kind, day):
        return float([rate for start, rate in self.Rate._rate_table(kind) if start <= day][-1])

    def test_dutch_statutory_rate_is_6_percent_all_2025_and_4_percent_from_2026(self):
        self.assertEqual(self._rate_on("nl_consumer", date(2024, 12, 31)), 7.0)
        self.assertEqual(self._rate_on("nl_consumer", date(2025, 1, 1)), 6.0)
        self.assertEqual(self._rate_on("nl_consumer", date(2025, 7, 1)), 6.0)
        self.assertEqual(self._rate_on("nl_consumer", date(2025, 12, 31)), 6.0)
        self.assertEqual(self._rate_on("nl_consumer", date(2026, 1, 1)), 4.0)

    def test_commercial_rates_on_sample_dates(self):
        self.assertEqual(self._rate_on("nl_commercial", date(2025, 3, 1)), 11.15)
        self.assertEqual(self._rate_on("nl_commercial", date(2025, 9, 1)), 10.15)
        self.assertEqual(self._rate_on("be_late_payment", date(2024, 9, 1)), 12.5)
        self.assertEqual(self._rate_on("be_late_payment", date(2025, 3, 1)), 11.5)
        self.assertEqual(self._rate_on("be_late_payment", date(2026, 3, 1)), 10.5)

    def test_belgian_legal_rate_is_a_yearly_dated_kind(self):
        table = dict(self.Rate._rate_table("be_legal"))
        self.assertEqual(
            {start.year: float(rate) for start, rate in table.items()},
            {2020: 1.75, 2021: 1.75, 2022: 1.5, 2023: 5.25, 2024: 5.75, 2025: 4.5, 2026: 4.5},
        )
        self.assertTrue(all((start.month, start.day) == (1, 1) for start in table))

    def test_interest_on_1000_from_march_2025_to_march_2026(self):
        start, end = date(2025, 3, 1), date(2026, 3, 1)
        # 6% for 306 days (50.30) + 4% for 59 days (6.47) = 56.77 in the first year, added to the principal
        # (art. 6:119 lid 2 BW); then 1 day at 4% on 1,056.77 = 0.12. The old table (4% from July 2025) gave 46.79.
        self.assertEqual(self.Rate._interest("nl_consumer", 1000.0, start, end), 56.89)
        # 11.15% for 122 days + 10.15% for 243 days = 104.84; then 1 day at 10.15% on 1,104.84 = 0.31
        self.assertEqual(self.Rate._interest("nl_commercial", 1000.0, start, end), 105.15)
        # Belgian rates are not compounded: 11.5% for 122 days + 10.5% for 244 days
        self.assertEqual(self.Rate._interest("be_late_payment", 1000.0, start, end), 108.63)
        # the legal rate: 4.5% for 366 days
        self.assertEqual(self.Rate._interest("be_legal", 1000.0, start, end), 45.12)
        # across a new year the legal rate changes: 31 days at 5.75% + 31 days at 4.5%
        self.assertEqual(self.Rate._interest("be_legal", 1000.0, date(2024, 12, 1), date(2025, 1, 31)), 8.71)

    def test_belgian_consumer_policy_charges_the_legal_rate(self):
        levels = self.env.ref("credit_control.credit_policy_be_consumer").level_ids
        kinds = set(levels.mapped("interest_type")) - {"none"}
        self.assertEqual(kinds, {"be_legal"})

    def _old_database(self):
        """Put the database back in the state 18.0.1.0.0 left it in: the wrong Dutch row, no legal rate."""
        wrong = self.env.ref("credit_control.credit_interest_rate_nl_consumer_2025_07")
        wrong.write({"rate": 4.0, "source": "Besluit vaststelling wettelijke rente (art. 6:119 BW)"})
        legal = self.Rate.search([("rate_type", "=", "be_legal")])
        self.env["ir.model.data"].search([("model", "=", "credit.interest.rate"), ("res_id", "in", legal.ids)]).unlink()
        legal.unlink()
        level = self.env.ref("credit_control.credit_policy_be_consumer_level_2")
        level.interest_type = "be_late_payment"
        return wrong, level

    def test_migration_corrects_a_database_with_the_old_row(self):
        wrong, level = self._old_database()
        own = self.Rate.create({"rate_type": "nl_consumer", "date_from": "2027-01-01", "rate": 3.0})
        own_legal = self.Rate.create({"rate_type": "be_legal", "date_from": "2025-01-01", "rate": 4.25})
        self.assertEqual(self.Rate._interest("nl_consumer", 1000.0, date(2025, 3, 1), date(2026, 3, 1)), 46.79)

        _migration().migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()

        self.assertEqual(wrong.rate, 6.0)
        self.assertIn("unchanged on 1 July 2025", wrong.source)
        self.assertEqual(self.Rate._interest("nl_consumer", 1000.0, date(2025, 3, 1), date(2026, 3, 1)), 56.89)
        legal = self.Rate.search([("rate_type", "=", "be_legal")])
        self.assertEqual(len(legal), 7, "the six missing years are added next to the manager's own 2025 row")
        self.assertEqual(own_legal.rate, 4.25, "a row the credit manager added is not touched")
        self.assertEqual(own.rate, 3.0)
        self.assertEqual(self.env.ref("credit_control.credit_interest_rate_be_legal_2024_01").rate, 5.75)
        self.assertFalse(self.env.ref("credit_control.credit_interest_rate_be_legal_2025_01", raise_if_not_found=False))
        self.assertEqual(level.interest_type, "be_legal")

    def test_migration_is_safe_to_run_twice_and_keeps_a_managers_correction(self):
        wrong, level = self._old_database()
        wrong.rate = 5.0  # someone corrected it by hand, differently
        level.interest_type = "nl_consumer"
        migration = _migration()
        self.assertEqual(migration.correct_legal_tables(self.env), (0, 7))
        self.assertEqual(migration.correct_legal_tables(self.env), (0, 0))
        self.assertEqual(wrong.rate, 5.0)
        self.assertEqual(level.interest_type, "nl_consumer", "a level the user changed keeps its interest")

    def test_fresh_install_is_not_migrated(self):
        wrong, _level = self._old_database()
        _migration().migrate(self.env.cr, None)
        self.assertEqual(wrong.rate, 4.0)
