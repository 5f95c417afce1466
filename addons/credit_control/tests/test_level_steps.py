from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.credit_control.models import credit_action_step

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestLevelSteps(CreditControlCommon):
    """Several steps on one level: the main step and the additional steps, taken in one action, each outcome
    recorded; the customer's preferred channel only; a failing step fails the action, nothing sent twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Steps policy", {"name": "Laatste aanmaning", "days": 7})
        cls.level = cls.policy.level_ids
        cls.invoice_contact = cls.Partner.create(
            {
                "name": "Boekhouding De Vries",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "boekhouding@garagedevries.nl",
            }
        )
        cls.letter_template = cls.env["mail.template"].create(
            {
                "name": "Laatste aanmaning per brief",
                "model_id": cls.env["ir.model"]._get_id("credit.action"),
                "body_html": "<p>Dit is onze laatste aanmaning per aangetekende brief.</p>",
            }
        )
        cls.Action = cls.env["credit.action"]
        cls.Step = cls.env["credit.policy.level.step"]

    def _step(self, channel, level=None, **values):
        return self.Step.create({"level_id": (level or self.level).id, "channel": channel, **values})

    def _letters_to_print(self):
        """The actions of the *Letters to Print* menu: its search filter's own domain, evaluated today."""
        arch = self.env.ref("credit_control.credit_action_view_search").arch
        domain = etree.fromstring(arch).xpath("//filter[@name='filter_letters']")[0].get("domain")
        return self.Action.search(safe_eval(domain, {"context_today": lambda: self.today}))

    def _partner_mails(self, partner):
        return self.env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id)])

    def _sms(self, partner):
        return self.env["sms.sms"].search([("mail_message_id.res_id", "=", partner.id)])

    # ------------------------------------------------------------------
    # Email and letter; SMS and call
    # ------------------------------------------------------------------

    def test_email_and_letter_step_one_action_a_mail_and_a_letter_to_print(self):
        letter_step = self._step("letter", letter_template_id=self.letter_template.id)
        invoice = self._invoice(self.customer, 640.0, due_in=-10)
        action = self._run()
        self.assertEqual(len(action), 1)
        self.assertEqual((action.state, action.channel), ("done", "email"))
        # the reminder email, queued to the invoicing contact; it stays the action's message (bounces)
        mail = self._mail(action)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.invoice_contact)
        self.assertIn("640.00", mail.body_html)
        # the letter: a PDF in the customer's chatter, and the action under Letters to Print
        main, letter = action.step_outcome_ids.sorted("id")
        self.assertEqual((main.is_main, main.channel, main.state), (True, "email", "done"))
        self.assertEqual(main.message_id, action.mail_message_id)
        self.assertEqual((letter.step_id, letter.channel, letter.state), (letter_step, "letter", "done"))
        self.assertEqual(letter.result, "Letter ready to print.")
        self.assertEqual(len(letter.message_id.attachment_ids), 1)
        self.assertEqual(letter.message_id.res_id, self.customer.id)
        self.assertNotEqual(letter.message_id, action.mail_message_id)
        self.assertIn(action, self._letters_to_print())
        # the letter prints the letter step's own template
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("laatste aanmaning per aangetekende brief", html)
        self.assertIn("Reminder emailed to boekhouding@garagedevries.nl", action.result)
        self.assertIn("Letter ready to print.", action.result)
        self.assertEqual((action.run_id.email_count, action.run_id.letter_count), (1, 1))
        self.assertEqual(invoice.line_ids.filtered("date_maturity").credit_level_id, self.level)
        # a second run the same day: nothing new, nothing sent twice
        self.assertFalse(self._run())
        self.assertEqual(len(self._partner_mails(self.customer)), 1)
        self.assertEqual(len(action.step_outcome_ids), 2)

    def test_sms_and_call_step_queue_a_text_and_schedule_the_call(self):
        sms_level = self.env["credit.policy.level"].create(
            {
                "policy_id": self.policy.id,
                "name": "SMS en bellen",
                "days": 14,
                "action_type": "sms",
                "auto_execute": True,
                "call_script": "<p>Vraag naar een betaaldatum.</p>",
            }
        )
        self._step("phone", level=sms_level)
        self.invoice_contact.mobile = "+31 6 12345678"
        invoice = self._invoice(self.customer, 250.0, due_in=-20)
        invoice.line_ids.filtered("date_maturity").credit_level_id = self.level
        action = self._run()
        self.assertEqual((action.level_id, action.state, action.channel), (sms_level, "done", "sms"))
        sms = self._sms(self.customer)
        self.assertEqual(len(sms), 1)
        self.assertIn("250.00", sms.body)
        self.assertEqual(action.mail_message_id, sms.mail_message_id, "the text message stays the action's")
        activity = self.env["mail.activity"].search([("credit_action_id", "=", action.id)])
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIn("Vraag naar een betaaldatum", str(activity.note))
        self.assertEqual(action.call_activity_id, activity)
        main, call = action.step_outcome_ids.sorted("id")
        self.assertEqual((main.channel, main.state, main.message_id), ("sms", "done", sms.mail_message_id))
        self.assertEqual((call.channel, call.state, call.activity_id), ("phone", "done", activity))
        # the call is logged like a phone action's
        self.assertEqual(action.with_user(self.collector).action_log_call()["res_model"], "credit.action.call")
        self.env["credit.action.call"].with_user(self.collector)._log(action, "reached", note="Betaalt vrijdag")
        self.assertEqual((action.call_outcome, action.call_note), ("reached", "Betaalt vrijdag"))
        self.assertFalse(activity.exists(), "the call's activity is done once logged")
        self.assertEqual(action.run_id.sms_count, 1)

    # ------------------------------------------------------------------
    # The customer's preferred channel only
    # ------------------------------------------------------------------

    def test_preferred_channel_only_takes_the_customers_channel_else_the_main_step(self):
        self.level.preferred_channel_only = True
        self._step("letter", letter_template_id=self.letter_template.id)
        self._step("sms")
        self.customer.credit_channel = "letter"
        self.other_customer.write({"email": "info@peeters.be", "credit_channel": "phone"})  # no step on it
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 400.0, due_in=-10)
        actions = self._run()
        by_customer = {action.partner_id: action for action in actions}
        letter_action = by_customer[self.customer]
        self.assertEqual((letter_action.channel, letter_action.state), ("letter", "done"))
        self.assertFalse(self._partner_mails(self.customer), "no email besides the letter")
        self.assertFalse(self._sms(self.customer))
        self.assertEqual(letter_action.step_outcome_ids.mapped("channel"), ["letter"])
        self.assertIn(letter_action, self._letters_to_print())
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("credit_control.action_report_credit_letter", letter_action.ids)[0]
            .decode()
        )
        self.assertIn("laatste aanmaning per aangetekende brief", html, "the letter step's own template")
        email_action = by_customer[self.other_customer]
        self.assertEqual((email_action.channel, email_action.state), ("email", "done"))
        self.assertEqual(len(self._mail(email_action)), 1)
        self.assertNotIn(email_action, self._letters_to_print())
        self.assertEqual(email_action.step_outcome_ids.mapped("channel"), ["email"])

    # ------------------------------------------------------------------
    # A failing step fails the action; a retry sends everything once
    # ------------------------------------------------------------------

    def test_a_failing_additional_step_fails_the_action_and_a_retry_sends_once(self):
        self._step("sms")
        self._invoice(self.customer, 300.0, due_in=-10)
        with mute_logger("odoo.addons.credit_control.models.credit_action_step"):
            action = self._run()
        self.assertEqual(action.state, "failed")
        self.assertIn("The SMS step of Laatste aanmaning failed", action.result)
        self.assertIn("no mobile or phone number", action.result)
        # the whole action was undone: no email queued, no text, the items not moved to the level
        self.assertFalse(self._partner_mails(self.customer))
        self.assertFalse(self._sms(self.customer))
        self.assertFalse(action.mail_message_id)
        self.assertEqual([(o.channel, o.state, o.is_main) for o in action.step_outcome_ids], [("sms", "failed", False)])
        self.assertFalse(self._run(days=1), "no second reminder while the action failed")
        self.invoice_contact.mobile = "+31 6 87654321"
        action.with_user(self.collector).action_retry_failed()
        self.assertEqual(action.state, "done")
        self.assertEqual(len(self._partner_mails(self.customer)), 1)
        self.assertEqual(len(self._sms(self.customer)), 1)
        self.assertEqual(
            sorted((o.channel, o.state) for o in action.step_outcome_ids),
            [("email", "done"), ("sms", "done"), ("sms", "failed")],
        )
        with self.assertRaises(UserError):
            action.with_user(self.collector).action_retry_failed()
        self.assertEqual(len(self._partner_mails(self.customer)), 1)

    def test_a_broken_letter_template_fails_the_action_with_the_step_named(self):
        broken = self.env["mail.template"].create(
            {
                "name": "Kapotte brief",
                "model_id": self.env["ir.model"]._get_id("credit.action"),
                "body_html": "<p><t t-out='object.no_such_field'/></p>",
            }
        )
        self._step("letter", letter_template_id=broken.id)
        self._invoice(self.customer, 300.0, due_in=-10)
        with mute_logger(
            "odoo.addons.credit_control.models.credit_action_step", "odoo.addons.mail.models.mail_render_mixin"
        ):
            action = self._run()
        self.assertEqual(action.state, "failed")
        self.assertIn("The Letter step of Laatste aanmaning failed", action.result)
        self.assertFalse(self._partner_mails(self.customer))
        self.assertNotIn(action, self._letters_to_print())

    def test_bulk_posting_failing_takes_the_steps_again_one_by_one_once(self):
        """The "done iff posted" guarantee with steps: the bulk posting fails, everything is undone and taken
        again action by action: one email and one letter, no duplicate outcome."""
        self.level.auto_execute = False
        self._step("letter")
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        self.assertEqual(action.state, "proposed")
        with (
            patch.object(credit_action_step.CreditAction, "_post_emails_bulk", side_effect=RuntimeError("bulk")),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            action.action_approve()
        self.assertEqual(action.state, "done")
        self.assertEqual(len(self._partner_mails(self.customer)), 1)
        self.assertEqual(self._mail(action).recipient_ids, self.invoice_contact)
        self.assertEqual(sorted(action.step_outcome_ids.mapped("channel")), ["email", "letter"])
        letters = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id), ("attachment_ids", "!=", False)]
        )
        self.assertEqual(len(letters), 1)

    # ------------------------------------------------------------------
    # A level without steps behaves as before
    # ------------------------------------------------------------------

    def test_a_level_without_steps_sends_the_same_mail_as_before(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.result, "Reminder emailed to boekhouding@garagedevries.nl with 0 attachment(s).")
        self.assertFalse(action.step_outcome_ids, "no outcome lines: the level has no additional steps")
        self.assertEqual(len(self._partner_mails(self.customer)), 1)
        self.assertEqual(self._mail(action).recipient_ids, self.invoice_contact)
        self.assertNotIn(action, self._letters_to_print())
        self.assertFalse(self._run())

    def test_the_shipped_policies_have_no_additional_steps(self):
        shipped = self.env["ir.model.data"].search(
            [("module", "=", "credit_control"), ("model", "=", "credit.policy.level")]
        )
        levels = self.env["credit.policy.level"].browse(shipped.mapped("res_id"))
        self.assertTrue(levels)
        self.assertFalse(levels.step_ids)
        self.assertFalse(any(levels.mapped("preferred_channel_only")))

    # ------------------------------------------------------------------
    # The preview lists the additional steps
    # ------------------------------------------------------------------

    def test_the_preview_lists_the_additional_steps(self):
        self.level.auto_execute = False
        self._step("letter", letter_template_id=self.letter_template.id)
        self._step("phone")
        self._invoice(self.customer, 300.0, due_in=-10)
        action = self._run()
        preview = (
            self.env["credit.action.preview"]
            .with_user(self.collector)
            .with_context(default_action_id=action.id)
            .create({})
        )
        self.assertEqual(
            preview.additional_steps,
            "Letter: Laatste aanmaning per brief\nPhone Call: a call activity for the collector",
        )
        preview.action_send()
        self.assertEqual(action.state, "done")
        self.assertEqual(sorted(action.step_outcome_ids.mapped("channel")), ["email", "letter", "phone"])

    # ------------------------------------------------------------------
    # Configuration and security
    # ------------------------------------------------------------------

    def test_at_most_one_step_per_channel(self):
        self._step("letter")
        with self.assertRaisesRegex(ValidationError, "at most one step per channel"):
            self._step("letter")
        with self.assertRaisesRegex(ValidationError, "already takes its main step by Email"):
            self._step("email")
        with self.assertRaisesRegex(ValidationError, "already has an additional step by Letter"):
            self.level.action_type = "letter"
        with self.assertRaisesRegex(ValidationError, "needs an SMS template"):
            self._step("sms", sms_template_id=False)

    def test_collectors_read_the_steps_managers_change_them(self):
        step = self._step("letter")
        self.assertEqual(step.with_user(self.collector).channel, "letter")
        with self.assertRaises(AccessError):
            step.with_user(self.collector).write({"channel": "sms"})
        with self.assertRaises(AccessError):
            self.Step.with_user(self.collector).create({"level_id": self.level.id, "channel": "phone"})
        with self.assertRaises(AccessError):
            step.with_user(self.collector).unlink()
        with self.assertRaises(AccessError):
            self.level.with_user(self.collector).write({"step_ids": [Command.create({"channel": "phone"})]})
        phone = self.Step.with_user(self.manager).create({"level_id": self.level.id, "channel": "phone"})
        self.assertEqual(self.level.step_ids, step | phone)
        # the outcomes are the engine's: read by the collectors, written by nobody
        self._invoice(self.customer, 300.0, due_in=-10)
        outcome = self._run().step_outcome_ids[:1]
        self.assertTrue(outcome.with_user(self.collector).result)
        for user in (self.collector, self.manager):
            with self.assertRaises(AccessError):
                outcome.with_user(user).write({"state": "failed"})
            with self.assertRaises(AccessError):
                outcome.with_user(user).unlink()

    def test_steps_of_another_company_are_not_visible(self):
        other_company = self.env["res.company"].create({"name": "Andere BV"})
        other_policy = self.env["credit.policy"].create(
            {
                "name": "Andere",
                "company_id": other_company.id,
                "level_ids": [Command.create({"name": "Brief", "days": 10, "action_type": "letter"})],
            }
        )
        step = self._step("phone", level=other_policy.level_ids)
        self.assertEqual(step.company_id, other_company)
        # the credit manager works in the first company only
        self.assertFalse(self.Step.with_user(self.manager).search([("id", "=", step.id)]))
