import os

import polib
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import TODAY, CreditControlCommon


def _po(name):
    return {
        entry.msgid: entry.msgstr for entry in polib.pofile(file_path(os.path.join("credit_control", "i18n", name)))
    }


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestLanguages(CreditControlCommon):
    """The customer reads the reminders in the customer's language; the company's staff read the results, notes
    and activities in the company's language, whoever runs the follow-up (OdooBot speaks English)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_languages("nl_NL", "fr_BE")
        cls.dutch = _po("nl.po")
        cls.french = _po("fr.po")
        cls.first = cls.env.ref("credit_control.mail_template_credit_first")
        cls.policy = cls._policy("Test policy", {"name": "Reminder", "days": 7, "mail_template_id": cls.first.id})
        cls.odoobot = cls.env.ref("base.user_root")
        cls.env.user.lang = "en_US"
        cls.collector.lang = "en_US"

    def _run_as_odoobot(self):
        """Today's run as the cron runs it: OdooBot, in English."""
        Run = self.env["credit.followup.run"].with_user(self.odoobot).with_context(lang="en_US")
        return Run.with_company(self.company)._run_followup(self.company).with_env(self.env)

    def _subject(self, po, company):
        msgid = self.first.with_context(lang="en_US").subject
        return po[msgid].replace("{{ object.company_id.name }}", company.name).split(" (")[0]

    def test_a_dutch_customer_gets_the_dutch_reminder_from_an_english_run(self):
        self.customer.lang = "nl_NL"
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        self.assertEqual(action.state, "done")
        mail = self._mail(action)
        self.assertTrue(mail.subject.startswith(self._subject(self.dutch, self.company)), mail.subject)
        self.assertIn("herinnering", mail.subject)
        self.assertNotIn("reminder", mail.subject)
        self.assertIn("Nu betalen", mail.body_html)
        self.assertNotIn("Pay now", mail.body_html)

    def test_a_french_speaking_belgian_customer_gets_the_french_reminder(self):
        self.customer.lang = "fr_BE"
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        mail = self._mail(action)
        self.assertTrue(mail.subject.startswith(self._subject(self.french, self.company)), mail.subject)
        self.assertIn("rappel", mail.subject.lower())
        self.assertIn("Payer maintenant", mail.body_html)
        self.assertNotIn("Pay now", mail.body_html)

    def test_the_belgian_consumer_first_reminder_is_free_and_gives_14_days(self):
        """Book XIX CEL: the shipped Belgian consumer policy's first reminder gives 14 calendar days, no 7, and
        says it is free, in English, Flemish and French."""
        level = self.env.ref("credit_control.credit_policy_be_consumer_level_1")
        template = self.env.ref("credit_control.mail_template_credit_be_first")
        self.assertEqual(level.mail_template_id, template)
        self.env["res.lang"]._activate_lang("nl_BE")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_BE"], overwrite=True)
        self.company.credit_default_policy_id = self.env.ref("credit_control.credit_policy_be_consumer")
        expected = {
            "en_US": ("14 calendar days", "free first reminder"),
            "nl_BE": ("14 kalenderdagen", "kosteloze eerste herinnering"),
            "fr_BE": ("14 jours calendrier", "premier rappel gratuit"),
        }
        for lang, (term, free) in expected.items():
            with self.subTest(lang=lang):
                customer = self.Partner.create(
                    {"name": f"Consument {lang}", "email": f"{lang}@example.be", "lang": lang, "customer_rank": 1}
                )
                self._invoice(customer, 120.0, due_in=-8)
                action = self._run_as_odoobot().filtered(lambda a, c=customer: a.partner_id == c)
                mail = self._mail(action)
                self.assertIn(term, mail.body_html)
                self.assertIn(free, mail.body_html.lower())
                self.assertNotIn("7 days", mail.body_html)

    def test_an_english_run_writes_the_results_in_the_company_language(self):
        self.company.partner_id.lang = "nl_NL"
        self.customer.lang = "en_US"
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        self.assertEqual(action.state, "done")
        expected = self.dutch["Reminder emailed to %(email)s with %(count)s attachment(s)."] % {
            "email": self.customer.email,
            "count": 0,
        }
        self.assertEqual(action.result, expected)
        # the customer still reads English
        self.assertIn("Pay now", self._mail(action).body_html)

    def test_a_failure_reason_is_in_the_company_language(self):
        self.company.partner_id.lang = "nl_NL"
        self.customer.email = False
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        self.assertEqual(action.state, "failed")
        expected = self.dutch["%(partner)s has no email address: the reminder cannot be sent."] % {
            "partner": self.customer.name
        }
        self.assertEqual(action.result, expected)

    def test_a_withdrawal_is_explained_in_the_company_language(self):
        self.company.partner_id.lang = "nl_NL"
        self.policy.level_ids.auto_execute = False
        invoice = self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        self.assertEqual(action.state, "proposed")
        self._pay(invoice)
        action.with_user(self.collector).action_approve()
        self.assertEqual(action.state, "cancelled")
        paid = self.dutch["%(item)s is paid."] % {"item": invoice.name}
        self.assertEqual(action.result, self.dutch["Withdrawn: %(reasons)s"] % {"reasons": paid})
        self.assertIn(action.result, self._messages(action)[0].body)

    def test_the_collector_notes_in_the_company_language_and_errors_in_their_own(self):
        self.company.partner_id.lang = "nl_NL"
        self.policy.level_ids.auto_execute = False
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot().with_user(self.collector)
        # a message to the collector: the collector's language
        with self.assertRaisesRegex(UserError, "Give the reason for cancelling"):
            action.action_cancel("")
        action.action_cancel("Klant belt zelf")
        note = self.dutch["Cancelled by %(user)s: %(reason)s"] % {
            "user": self.collector.name,
            "reason": "Klant belt zelf",
        }
        self.assertIn(note, self._messages(action)[0].body)

    def test_the_failure_activity_of_a_run_is_in_the_company_language(self):
        self.company.partner_id.lang = "nl_NL"
        self.customer.email = False
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        run = self.env["credit.followup.run"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(action.state, "failed")
        self.assertEqual(run.activity_ids.summary, self.dutch["Follow-up run with failures: check them and retry"])

    def test_a_logged_call_is_noted_in_the_company_language(self):
        self.company.partner_id.lang = "nl_NL"
        self.customer.phone = "+31 20 123 4567"
        self.policy.level_ids.write({"action_type": "phone", "auto_execute": False, "mail_template_id": False})
        self._invoice(self.customer, 400.0, due_in=-8)
        action = self._run_as_odoobot()
        Call = self.env["credit.action.call"].with_user(self.collector)
        Call.with_context(default_action_id=action.id).create(
            {"outcome": "reached", "note": "Betaalt morgen"}
        ).action_log()
        self.assertEqual(action.call_outcome, "reached")
        dutch_env = self.env(context=dict(self.env.context, lang="nl_NL"))
        label = dict(action._fields["call_outcome"]._description_selection(dutch_env))["reached"]
        self.assertNotEqual(label, "Reached")
        note = self.dutch["Call logged by %(user)s: %(outcome)s. %(note)s"] % {
            "user": self.collector.name,
            "outcome": label,
            "note": "Betaalt morgen",
        }
        self.assertIn(note, self._messages(action)[0].body)

    def test_every_shipped_template_renders_in_its_reader_language(self):
        shipped = self.env["ir.model.data"].search(
            [("module", "=", "credit_control"), ("model", "in", ("mail.template", "sms.template"))]
        )
        self.assertGreaterEqual(len(shipped), 11)
        for data in shipped:
            template = self.env[data.model].browse(data.res_id)
            self.assertIn(".lang }}", template.lang or "", f"{data.name} has no language of its reader")
