import base64

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.credit_control.wizard.credit_rating_import import parse_amount

from .common import TODAY, CreditControlCommon

# A Graydon-style portfolio file as a Dutch credit manager exports it: semicolons, Dutch headers, Dutch numbers.
FILE = """KvK-nummer;BTW-nummer;Score;Kredietlimiet;Datum
12345678;;B-;25.000,00;01-06-2026
;nl 8530.92.116.b01;AA;100000;2026-06-01
99999999;;A;5.000;01-06-2026
55555555;;C;1.000;01-06-2026
12121212;;BB;2.000;31-31-2026
"""


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRatingImport(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"company_registry": "12345678", "credit_rating": "BBB", "credit_rating_source": "Graydon"})
        cls.other_customer.write({"vat": "NL853092116B01", "credit_rating": "A"})
        # two customers share a registry number: a line for it must not be guessed
        cls.Partner.create({"name": "Twin A", "is_company": True, "company_registry": "5555 5555"})
        cls.Partner.create({"name": "Twin B", "is_company": True, "company_registry": "55555555"})
        cls.Partner.create({"name": "Datum fout", "is_company": True, "company_registry": "12121212"})
        cls.warning_type = cls.env.ref("credit_control.mail_activity_type_credit_warning")

    def _history(self, partner):
        return self.env["credit.rating.history"].search([("partner_id", "=", partner.id)])

    def _wizard(self, content=FILE, user=None):
        return (
            self.env["credit.rating.import"]
            .with_user(user or self.collector)
            .create({"file": base64.b64encode(content.encode()), "filename": "graydon-juni.csv", "source": "Graydon"})
        )

    def test_preview_matches_on_numbers_only_and_lists_the_rest(self):
        wizard = self._wizard()
        wizard.action_preview()
        lines = {line.line_number: line for line in wizard.line_ids}
        self.assertEqual(lines[2].status, "matched")
        self.assertEqual(lines[2].partner_id, self.customer)
        self.assertEqual(lines[2].advised_limit, 25000.0)
        self.assertEqual(str(lines[2].rating_date), "2026-06-01")
        self.assertEqual(lines[3].partner_id, self.other_customer)  # VAT written otherwise, same number
        self.assertEqual(lines[4].status, "unmatched")
        self.assertFalse(lines[4].partner_id)
        self.assertEqual(lines[5].status, "ambiguous")
        self.assertFalse(lines[5].partner_id)
        self.assertEqual(lines[6].status, "invalid")
        self.assertEqual((wizard.matched_count, wizard.unmatched_count), (2, 3))
        # nothing is written by the preview
        self.assertEqual(self.customer.credit_rating, "BBB")

    def test_import_writes_history_and_warns_about_a_drop(self):
        wizard = self._wizard()
        wizard.action_preview()
        wizard.action_import()
        self.assertEqual(wizard.imported_count, 2)
        self.assertRecordValues(
            self.customer,
            [
                {
                    "credit_rating": "B-",
                    "credit_rating_source": "Graydon",
                    "credit_rating_advised_limit": 25000.0,
                    "credit_rating_date": self._days(-14),
                }
            ],
        )
        history = self._history(self.customer)
        self.assertEqual(len(history), 2)  # the rating set at creation of the test data, then the import
        self.assertRecordValues(
            history[0],
            [
                {
                    "previous_rating": "BBB",
                    "rating": "B-",
                    "advised_limit": 25000.0,
                    "dropped": True,
                    "origin": "import",
                    "import_file": "graydon-juni.csv",
                    "user_id": self.collector.id,
                }
            ],
        )
        self.assertFalse(self._history(self.other_customer)[0].dropped)  # A -> AA: up
        warnings = self.env["mail.activity"].search(
            [
                ("activity_type_id", "=", self.warning_type.id),
                ("res_model", "=", "res.partner"),
                ("res_id", "in", (self.customer | self.other_customer).ids),
            ]
        )
        self.assertEqual(warnings.mapped("res_id"), [self.customer.id])
        # unmatched lines wrote nothing
        twins = self.Partner.search([("name", "in", ("Twin A", "Twin B"))])
        self.assertEqual(twins.mapped("credit_rating"), [False, False])

    def test_history_of_a_manual_change_and_nothing_when_unchanged(self):
        before = len(self._history(self.customer))
        self.customer.with_user(self.collector).write({"credit_rating": "A", "credit_rating_date": self.today})
        self.customer.with_user(self.collector).write({"credit_rating": "A"})  # no change: no row
        history = self._history(self.customer)
        self.assertEqual(len(history), before + 1)
        self.assertRecordValues(history[0], [{"previous_rating": "BBB", "rating": "A", "origin": "manual"}])

    def test_history_is_never_changed_nor_deleted(self):
        row = self._history(self.customer)[:1]
        self.assertTrue(row)
        with self.assertRaises(AccessError):
            row.write({"rating": "AAA"})
        with self.assertRaises(AccessError):
            row.with_user(self.manager).write({"rating": "AAA"})
        with self.assertRaises(UserError):
            row.unlink()
        with self.assertRaises(AccessError):
            self.env["credit.rating.history"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "rating": "AAA"}
            )

    def test_only_credit_staff_import_and_read_the_history(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.salesman)
        with self.assertRaises(AccessError):
            self.env["credit.rating.history"].with_user(self.salesman).search([])

    def test_a_file_without_numbers_or_grades_is_refused(self):
        with self.assertRaisesRegex(UserError, "VAT number or the company registry number"):
            self._wizard("Naam;Score\nGarage;A\n").action_preview()
        with self.assertRaisesRegex(UserError, "grade or score"):
            self._wizard("KvK;Naam\n12345678;Garage\n").action_preview()

    def test_amounts_as_bureaus_write_them(self):
        for text, value in (
            ("25.000,00", 25000.0),
            ("25,000.00", 25000.0),
            ("25000", 25000.0),
            ("€ 25 000", 25000.0),
            ("5.000", 5000.0),
            ("1250,5", 1250.5),
            ("", None),
        ):
            self.assertEqual(parse_amount(text), value, text)
