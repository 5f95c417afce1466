from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDayOneDates(CreditControlCommon):
    """Dates in notes, activities, results and errors are in the reader's date format (Dutch: 30-11-2026), never
    ISO (2026-11-30)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        cls.dutch = cls.env(context=dict(cls.env.context, lang="nl_NL"))

    def test_a_promise_and_its_broken_note_show_the_dutch_date(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-10)
        promise = (
            self.dutch["credit.promise"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 1000.0,
                    "date": date(2026, 6, 30),
                }
            )
        )
        self.assertIn("30-06-2026", promise.display_name)
        self.assertNotIn("2026-06-30", promise.display_name)
        with freeze_time("2026-07-20"):
            self.dutch["credit.promise"]._check_promises(self.company)
        self.assertEqual(promise.state, "broken")
        notes = self._messages(promise).mapped("body") + promise.activity_ids.mapped("note")
        broken = [note for note in notes if "30-06-2026" in str(note)]
        self.assertTrue(broken, notes)
        self.assertFalse([note for note in notes if "2026-06-30" in str(note)], notes)

    def test_the_rate_table_warning_shows_the_dutch_date(self):
        with freeze_time("2026-07-02"):
            warning = self.dutch["credit.interest.rate"]._missing_rate_warnings({"nl_commercial"})["nl_commercial"]
        self.assertIn("01-07-2026", warning)
        self.assertIn("01-01-2026", warning)
        self.assertNotIn("2026-07-01", warning)

    def test_an_action_and_a_run_are_named_with_the_dutch_date(self):
        self._policy("Herinnering", {"name": "Herinnering", "days": 5})
        self._invoice(self.customer, 500.0, due_in=-10)
        action = self._run()
        self.assertIn("15-06-2026", action.with_env(self.dutch).display_name)
        run = self.dutch["credit.followup.run"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertIn("15-06-2026", run.display_name)
        self.assertNotIn("2026-06-15", run.display_name)
