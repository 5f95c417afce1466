import base64
import os
import tempfile
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationImporter

from odoo.addons.credit_control.tools.statement_schedule import is_due, next_statement_date

from .common import TODAY, CreditControlCommon

MONDAY = date(2026, 6, 15)  # TODAY
TUESDAY = date(2026, 6, 16)
WEDNESDAY = date(2026, 6, 17)


@tagged("post_install", "-at_install")
class TestStatementSchedule(BaseCase):
    """The pure rule: which days a weekly or monthly schedule is due."""

    def test_weekly_is_due_on_its_weekday_only(self):
        self.assertTrue(is_due("weekly", "1", False, MONDAY))
        self.assertFalse(is_due("weekly", "1", False, TUESDAY))
        self.assertTrue(is_due("weekly", "3", False, WEDNESDAY))
        self.assertTrue(is_due("weekly", False, False, MONDAY), "no weekday: Monday")

    def test_monthly_is_due_on_its_day_or_the_last_day(self):
        self.assertTrue(is_due("monthly", False, "1", date(2026, 7, 1)))
        self.assertFalse(is_due("monthly", False, "1", date(2026, 7, 2)))
        self.assertTrue(is_due("monthly", False, "28", date(2027, 2, 28)))
        for last in (date(2026, 6, 30), date(2026, 7, 31), date(2027, 2, 28), date(2028, 2, 29)):
            self.assertTrue(is_due("monthly", False, "last", last), last)
        for not_last in (date(2026, 6, 29), date(2028, 2, 28), date(2026, 7, 30)):
            self.assertFalse(is_due("monthly", False, "last", not_last), not_last)

    def test_no_schedule_is_never_due(self):
        for frequency in ("none", False, "segment"):
            self.assertFalse(is_due(frequency, "1", "1", MONDAY))
            self.assertIsNone(next_statement_date(frequency, "1", "1", MONDAY))

    def test_next_statement_date(self):
        self.assertEqual(next_statement_date("weekly", "1", False, MONDAY), MONDAY)
        self.assertEqual(next_statement_date("weekly", "1", False, TUESDAY), date(2026, 6, 22))
        self.assertEqual(next_statement_date("monthly", False, "last", MONDAY), date(2026, 6, 30))
        self.assertEqual(next_statement_date("monthly", False, "28", date(2026, 1, 29)), date(2026, 2, 28))
        self.assertEqual(next_statement_date("monthly", False, "1", date(2026, 12, 2)), date(2027, 1, 1))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestScheduledStatement(CreditControlCommon):
    """The daily run emails the statement of account on the segment's or the customer's schedule: on the right day,
    once, to the invoicing contact, in the customer's language, with the statement attached; every sending kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        cls._load_dutch_without_template()
        cls.env.user.lang = "en_US"
        cls.Sending = cls.env["credit.statement.sending"]
        cls.template = cls.env.ref("credit_control.mail_template_credit_statement")
        cls.segment = cls.env["credit.segment"].create(
            {
                "name": "Weekly statements",
                "partner_domain": "[('id', '=', 0)]",
                "statement_frequency": "weekly",
                "statement_weekday": "1",
            }
        )
        cls.customer.write({"credit_segment_id": cls.segment.id, "credit_segment_mode": "manual", "lang": "en_US"})
        cls.invoice_contact = cls.Partner.create(
            {
                "name": "Administratie De Vries",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "facturen@garagedevries.nl",
            }
        )
        cls.overdue = cls._invoice(cls.customer, 400.0, due_in=-10)
        cls.not_due = cls._invoice(cls.customer, 600.0, due_in=20)

    @classmethod
    def _load_dutch_without_template(cls):
        """nl.po as it is, not merged with credit_control.pot: Odoo reads a .po through its module's .pot, which is
        exported again once the features of this session are merged (until then the new texts are not in it)."""
        with tempfile.TemporaryDirectory() as folder, open(file_path("credit_control/i18n/nl.po"), "rb") as source:
            path = os.path.join(folder, "nl.po")
            with open(path, "wb") as copy:
                copy.write(source.read())
            importer = TranslationImporter(cls.env.cr, verbose=False)
            with open(path, "rb") as copy:
                importer.load(copy, "po", "nl_NL")
            importer.save(overwrite=True)

    def _cron(self, day):
        """The daily run of ``day``, as the cron makes it (every company); returns the statements sent that day."""
        with freeze_time(day):
            self.env["credit.followup.run"].sudo()._cron_credit_followup()
        return self.Sending.search([("date", "=", day)])

    def _mail(self, sending):
        return self.env["mail.mail"].search([("mail_message_id", "=", sending.mail_message_id.id)])

    def _customer(self, name, lang="en_US", **values):
        partner = self.Partner.create(
            {
                "name": name,
                "is_company": True,
                "customer_rank": 1,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "lang": lang,
            }
        )
        partner.write({"credit_segment_id": self.segment.id, "credit_segment_mode": "manual", **values})
        return partner

    # ------------------------------------------------------------------
    # The right day, once
    # ------------------------------------------------------------------

    def test_weekly_on_monday_is_sent_on_monday_only(self):
        sending = self._cron(MONDAY)
        self.assertRecordValues(
            sending,
            [
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "frequency": "weekly",
                    "recipient_id": self.invoice_contact.id,
                    "amount": 1000.0,
                    "state": "queued",
                }
            ],
        )
        self.assertFalse(self._cron(TUESDAY))
        self.assertFalse(self._cron(WEDNESDAY))
        self.assertEqual(self._cron(date(2026, 6, 22)).partner_id, self.customer, "next Monday: the next statement")
        self.assertEqual(self.customer.credit_statement_count, 2)

    def test_a_second_run_the_same_day_sends_nothing(self):
        first = self._cron(MONDAY)
        self.assertEqual(len(first), 1)
        self.assertEqual(self._cron(MONDAY), first)
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id), ("subject", "like", "statement")]
        )
        self.assertEqual(len(messages), 1, "one email, whatever the number of runs")

    def test_the_database_refuses_a_second_sending_of_the_day(self):
        """What a concurrent run or a run after a crash meets: the day's sending is claimed already."""
        row = [(self.customer.id, "weekly", 1000.0, self.invoice_contact.id)]
        claimed = self.Sending._credit_claim_sendings(self.company, MONDAY, row)
        self.assertEqual(len(claimed), 1)
        self.assertFalse(self.Sending._credit_claim_sendings(self.company, MONDAY, row))
        self.assertEqual(self.Sending.search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_monthly_on_the_first(self):
        self.segment.write({"statement_frequency": "monthly", "statement_monthday": "1"})
        self.assertFalse(self._cron(date(2026, 6, 30)))
        self.assertEqual(self._cron(date(2026, 7, 1)).frequency, "monthly")
        self.assertFalse(self._cron(date(2026, 7, 2)))

    def test_monthly_on_the_last_day(self):
        self.segment.write({"statement_frequency": "monthly", "statement_monthday": "last"})
        self.assertFalse(self._cron(date(2026, 6, 29)))
        self.assertTrue(self._cron(date(2026, 6, 30)))
        self.assertFalse(self._cron(date(2026, 7, 1)))
        self.assertTrue(self._cron(date(2027, 2, 28)), "February's last day")

    # ------------------------------------------------------------------
    # Who gets one
    # ------------------------------------------------------------------

    def test_an_opted_out_customer_gets_none(self):
        self.customer.with_user(self.collector).credit_statement_opt_out = True
        self.assertFalse(self._cron(MONDAY))
        self.assertFalse(self.customer.credit_statement_next_date)

    def test_the_customers_schedule_beats_the_segments(self):
        self.customer.write({"credit_statement_frequency": "weekly", "credit_statement_weekday": "3"})
        self.assertEqual(self.customer.credit_statement_next_date, WEDNESDAY)
        self.assertFalse(self._cron(MONDAY))
        self.assertEqual(self._cron(WEDNESDAY).partner_id, self.customer)
        other = self._customer("Peeters")
        self._invoice(other, 100.0, due_in=-5)
        self.customer.credit_statement_frequency = "none"
        self.assertEqual(self._cron(date(2026, 6, 22)).partner_id, other, "the segment still schedules the others")
        self.assertFalse(self._cron(date(2026, 6, 24)))

    def test_a_customer_on_its_own_schedule_needs_no_segment(self):
        self.customer.write(
            {"credit_segment_id": False, "credit_statement_frequency": "monthly", "credit_statement_monthday": "16"}
        )
        self.assertFalse(self._cron(MONDAY))
        self.assertEqual(self._cron(TUESDAY).partner_id, self.customer)

    def test_a_customer_without_an_open_balance_gets_none(self):
        self._customer("Zonder Facturen")
        paid = self._customer("Betaald")
        self._pay(self._invoice(paid, 300.0, due_in=-5))
        credit = self._customer("Tegoed")
        self._invoice(credit, 50.0, move_type="out_refund")
        self.assertEqual(self._cron(MONDAY).partner_id, self.customer)

    def test_an_archived_segment_schedules_nobody(self):
        self.segment.active = False
        self.assertFalse(self._cron(MONDAY))

    def test_a_customer_without_an_email_address_is_named_on_the_run(self):
        self.invoice_contact.email = False
        self.assertFalse(self._cron(MONDAY))
        run = self.env["credit.followup.run"].search([("company_id", "=", self.company.id), ("date", "=", MONDAY)])
        self.assertIn("Scheduled statements", run.failure_note)
        self.assertIn(self.customer.name, run.failure_note)

    def test_each_company_sends_on_its_own_schedule_and_balance(self):
        company_b = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_b
        self.customer.with_company(company_b).write(
            {"credit_statement_frequency": "weekly", "credit_statement_weekday": "1"}
        )
        self.assertEqual(self.customer.with_company(company_b).credit_statement_frequency, "weekly")
        self.assertEqual(self.customer.credit_statement_frequency, "segment", "the first company keeps the segment's")
        self._invoice(self.customer, 250.0, due_in=-3, company=company_b)
        sendings = self._cron(MONDAY)
        self.assertRecordValues(
            sendings.sorted(lambda s: s.company_id.id),
            [
                {"partner_id": self.customer.id, "company_id": self.company.id, "amount": 1000.0},
                {"partner_id": self.customer.id, "company_id": company_b.id, "amount": 250.0},
            ],
        )
        # a collector of the first company sees the first company's sending only
        self.assertEqual(
            self.Sending.with_user(self.collector).search([]), sendings.filtered(lambda s: s.company_id == self.company)
        )

    # ------------------------------------------------------------------
    # The email
    # ------------------------------------------------------------------

    def test_the_statement_is_queued_to_the_invoicing_contact_with_the_statement_attached(self):
        sending = self._cron(MONDAY)
        mail = self._mail(sending)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent within the run")
        self.assertEqual(mail.recipient_ids, self.invoice_contact)
        self.assertEqual(sending.mail_message_id.model, "res.partner")
        self.assertEqual(sending.mail_message_id.res_id, self.customer.id, "in the customer's chatter")
        self.assertEqual(mail.subject, f"{self.company.name}: your statement of account")
        self.assertIn("Open balance", mail.body_html)
        self.assertIn("Of which overdue", mail.body_html)
        attachment = sending.mail_message_id.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual(mail.attachment_ids, attachment)
        # tests render the report as HTML (Odoo's test mode), the run as a PDF
        self.assertTrue(attachment.name.startswith("Statement - Garage De Vries B.V."), attachment.name)
        content = base64.b64decode(attachment.datas).decode()
        self.assertIn("Statement of account", content)
        self.assertIn(self.overdue.name, content)
        self.assertIn(self.not_due.name, content)

    def test_a_dutch_customer_reads_dutch_and_an_english_one_english(self):
        self.customer.lang = "nl_NL"
        english = self._customer("Peeters", lang="en_US")
        self._invoice(english, 250.0, due_in=-5)
        sendings = self._cron(MONDAY)
        self.assertEqual(sendings.partner_id, self.customer | english)
        dutch_mail = self._mail(sendings.filtered(lambda s: s.partner_id == self.customer))
        english_mail = self._mail(sendings.filtered(lambda s: s.partner_id == english))
        self.assertEqual(dutch_mail.subject, f"{self.company.name}: uw rekeningoverzicht")
        self.assertIn("Openstaand saldo", dutch_mail.body_html)
        self.assertNotIn("Open balance", dutch_mail.body_html)
        dutch_pdf = base64.b64decode(dutch_mail.attachment_ids.datas).decode()
        self.assertIn("Rekeningoverzicht", dutch_pdf)
        self.assertEqual(english_mail.subject, f"{self.company.name}: your statement of account")
        self.assertIn("Open balance", english_mail.body_html)
        self.assertNotIn("Openstaand saldo", english_mail.body_html)
        self.assertEqual(english_mail.recipient_ids, english)

    def test_odoobot_running_in_english_sends_the_dutch_statement(self):
        """As the cron: OdooBot, in English, for a Dutch customer."""
        self.customer.lang = "nl_NL"
        odoobot = self.env.ref("base.user_root")
        Step = self.Sending.with_user(odoobot).with_context(lang="en_US").with_company(self.company)
        with freeze_time(MONDAY):
            sending = Step._credit_send_scheduled_statements(self.company).with_env(self.env)
        self.assertEqual(sending.partner_id, self.customer)
        mail = self._mail(sending)
        self.assertEqual(mail.subject, f"{self.company.name}: uw rekeningoverzicht")
        self.assertEqual(mail.author_id, odoobot.partner_id)
        self.assertEqual(sending.create_uid, odoobot)

    def test_a_broken_template_fails_the_step_not_the_followup(self):
        self._policy("Reminders", {"name": "Reminder", "days": 7})
        self.template.subject = "{{ object.no_such_field }}"
        with mute_logger(
            "odoo.addons.credit_control.models.credit_followup_run", "odoo.addons.mail.models.mail_render_mixin"
        ):
            self.assertFalse(self._cron(MONDAY))
        run = self.env["credit.followup.run"].search([("company_id", "=", self.company.id), ("date", "=", MONDAY)])
        self.assertIn("Scheduled statements", run.failure_note)
        reminder = run.action_ids
        self.assertEqual(reminder.partner_id, self.customer)
        self.assertEqual(reminder.state, "done", "the follow-up of the day went on")
        # nothing of the failed step is left: a run once the template is repaired sends the day's statement
        self.template.subject = "Statement"
        self.assertEqual(self._cron(MONDAY).partner_id, self.customer)

    # ------------------------------------------------------------------
    # Access, UI, queries
    # ------------------------------------------------------------------

    def test_only_managers_set_a_segments_schedule(self):
        with self.assertRaises(AccessError):
            self.segment.with_user(self.collector).write({"statement_frequency": "monthly"})
        with self.assertRaises(AccessError):
            self.segment.with_user(self.salesman).write({"statement_weekday": "2"})
        self.segment.with_user(self.manager).write({"statement_frequency": "monthly", "statement_monthday": "last"})
        self.assertEqual(self.segment.statement_monthday, "last")

    def test_credit_staff_set_a_customers_schedule_salespeople_do_not(self):
        self.customer.with_user(self.collector).write(
            {"credit_statement_frequency": "monthly", "credit_statement_monthday": "5"}
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).write({"credit_statement_opt_out": True})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).write({"credit_statement_frequency": "none"})

    def test_the_history_is_kept_as_recorded(self):
        sending = self._cron(MONDAY)
        for user in (self.collector, self.manager):
            history = sending.with_user(user)
            self.assertEqual(history.partner_id, self.customer, "credit staff read the history")
            with self.assertRaises(AccessError):
                history.write({"date": TUESDAY})
            with self.assertRaises(AccessError):
                history.unlink()
            with self.assertRaises(UserError):
                history.copy()
            with self.assertRaises(AccessError):
                self.Sending.with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "date": TUESDAY,
                        "frequency": "weekly",
                    }
                )
        with self.assertRaises(AccessError):
            sending.with_user(self.salesman).read(["date"])
        with self.assertRaises(UserError):
            sending.sudo().unlink()

    def test_the_statements_sent_are_on_the_customer_and_in_the_menu(self):
        sending = self._cron(MONDAY)
        partner = self.customer.with_user(self.collector)
        self.assertEqual(partner.credit_statement_count, 1)
        action = partner.action_credit_view_statements()
        self.assertEqual(self.Sending.with_user(self.collector).search(action["domain"]), sending)
        menu = self.env.ref("credit_control.credit_statement_sending_menu")
        self.assertEqual(menu.action, self.env.ref("credit_control.credit_statement_sending_action"))
        self.assertEqual(self.customer.credit_statement_next_date, date(2026, 6, 22), "today's is sent: next Monday")
        self.env["res.partner"].with_user(self.collector).get_views([(False, "form")])
        self.env["credit.segment"].with_user(self.manager).get_views([(False, "form")])
        self.Sending.with_user(self.collector).get_views([(False, "list"), (False, "form"), (False, "search")])

    def test_a_day_without_statements_costs_a_fixed_number_of_queries(self):
        Step = self.Sending.with_company(self.company)
        with freeze_time(TUESDAY):
            Step._credit_send_scheduled_statements(self.company)  # warm-up
            with self.assertQueryCount(1):
                Step._credit_send_scheduled_statements(self.company)
            for index in range(5):
                self._invoice(self._customer(f"Klant {index}"), 100.0, due_in=-5)
            self.env.flush_all()
            with self.assertQueryCount(1):
                self.assertFalse(Step._credit_send_scheduled_statements(self.company))
