import itertools
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.credit_control.tools import reply_parser, reply_pause

from .common import TODAY, CreditControlCommon

# A reply as a customer's mail program sends it: the answer on top, the reminder quoted below.
REPLY_EMAIL = """From: {email_from}
To: {to}
Subject: Re: {subject}
Date: {date}
Message-ID: {msg_id}
In-Reply-To: {parent}
References: {parent}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{text}

Met vriendelijke groet,
Jan de Vries

Op 15-06-2026 schreef Credit Control:
> Herinnering: uw factuur staat nog open.
"""


MESSAGE_COUNTER = itertools.count(1)


class CreditReplyCommon(CreditControlCommon):
    """A two-step email ladder: the reminder 7 days after the due date, the second 14 days after it. Both
    customers' invoices fell due 7 days before today (Monday 15 June 2026), so today's run sends both reminders
    and the second step is due on day 7 (Monday 22 June)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._policy("Replies", {"name": "Herinnering", "days": 7}, {"name": "Tweede herinnering", "days": 14})
        cls.customer.email = "info@garagedevries.nl"
        cls.other_customer.email = "info@peeters.be"
        cls.invoice = cls._invoice(cls.customer, 1000.0, due_in=-7)
        cls.other_invoice = cls._invoice(cls.other_customer, 500.0, due_in=-7)
        cls.Reply = cls.env["credit.reply"]

    def _reminder(self, partner=None):
        """Today's run: the first reminders emailed; the action of ``partner``."""
        actions = self._run()
        action = actions.filtered(lambda a: a.partner_id == (partner or self.customer))
        self.assertEqual(action.state, "done", action.result)
        self.assertTrue(action.mail_message_id.message_id)
        return action

    def _reply(self, action, text, days=0, email_from="Jan de Vries <jan@garagedevries.nl>", msg_id=None, parent=None):
        """Feed the customer's answer to ``action``'s reminder (or to the message ``parent``) through the mail
        gateway, ``days`` from today."""
        parent = parent or action.mail_message_id
        day = self._days(days)
        raw = REPLY_EMAIL.format(
            email_from=email_from,
            to="catchall@example.com",
            subject=parent.subject or "Herinnering",
            date=f"{day.strftime('%a, %d %b %Y')} 10:00:00 +0000",
            msg_id=msg_id or f"<reply-{next(MESSAGE_COUNTER)}@garagedevries.nl>",
            parent=parent.message_id,
            text=text,
        )
        with freeze_time(f"{day} 10:05:00"):
            self.env["mail.thread"].sudo().message_process(None, raw)
        return self.Reply.search([("partner_id", "=", action.partner_id.id)], order="id desc", limit=1)

    def _step_of(self, actions, partner):
        return actions.filtered(lambda a: a.partner_id == partner)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditReply(CreditReplyCommon):
    """A customer's reply to a reminder pauses exactly that customer's next step until the collector handles it
    on the Replies list, or until the company's reply pause (working days) is over."""

    # ------------------------------------------------------------------
    # Capture through the mail gateway
    # ------------------------------------------------------------------

    def test_a_reply_email_marks_the_customer_replied_with_the_suggestion(self):
        action = self._reminder()
        reply = self._reply(action, "Wij hebben de factuur al betaald.", days=2)
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.partner_id, self.customer)
        self.assertEqual(reply.company_id, self.company)
        self.assertEqual(reply.action_id, action)
        self.assertEqual(reply.message_id.model, "res.partner")
        self.assertEqual(reply.message_id.res_id, self.customer.id)
        self.assertEqual(reply.message_id.parent_id, action.mail_message_id)
        self.assertEqual(reply.date, date(2026, 6, 17))
        self.assertEqual(reply.state, "pending")
        # the quoted reminder is not part of the reply
        self.assertIn("Wij hebben de factuur al betaald.", reply.body)
        self.assertNotIn("Herinnering: uw factuur", reply.body)
        self.assertEqual(reply.suggestion_kind, "paid")
        self.assertIn("betaald", reply.suggestion_evidence)
        # Wednesday plus 5 working days is the next Wednesday
        self.assertEqual(reply.pause_until, date(2026, 6, 24))
        self.assertTrue(self.customer.credit_replied)
        self.assertFalse(self.other_customer.credit_replied)
        self.assertEqual(self.Partner.search([("credit_replied", "=", True)]), self.customer)

    def test_the_same_email_twice_is_one_reply(self):
        action = self._reminder()
        reply = self._reply(action, "Bedankt voor uw bericht.", msg_id="<same@garagedevries.nl>")
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            self._reply(action, "Bedankt voor uw bericht.", msg_id="<same@garagedevries.nl>")
        self.assertEqual(self.Reply.search_count([("partner_id", "=", self.customer.id)]), 1)
        self.assertFalse(reply.suggestion_kind, "nothing recognised: no suggestion")
        # the capture itself is idempotent, whoever calls it again with the message
        self.assertFalse(self.Reply._credit_capture(self.customer, reply.message_id))
        self.assertEqual(self.Reply.search_count([("message_id", "=", reply.message_id.id)]), 1)

    def test_an_unrelated_domain_does_not_count_a_public_domain_only_with_the_exact_address(self):
        action = self._reminder()
        self.assertFalse(self._reply(action, "Wij hebben de factuur al betaald.", email_from="info@example.org"))
        self.customer_contact.email = "jan.devries@gmail.com"
        self.assertFalse(self._reply(action, "Ik betaal vrijdag.", email_from="iemand.anders@gmail.com"))
        self.assertFalse(self.customer.credit_replied)
        reply = self._reply(action, "Ik betaal vrijdag.", email_from="Jan <jan.devries@gmail.com>")
        self.assertEqual(reply.author_id, self.customer_contact)
        self.assertTrue(self.customer.credit_replied)
        # a public domain of one contact does not make every address there the customer's
        self.assertFalse(self.Reply._credit_sender_matches(self.customer, "wie.dan.ook@gmail.com"))
        self.assertTrue(self.Reply._credit_sender_matches(self.customer, "boekhouding@garagedevries.nl"))

    def test_a_failing_capture_keeps_the_email(self):
        action = self._reminder()

        def broken(text, reply_date):
            raise ValueError("parser failure")

        with (
            patch.object(reply_parser, "parse_reply", broken),
            mute_logger("odoo.addons.credit_control.models.credit_reply"),
        ):
            self.assertFalse(self._reply(action, "Ik betaal vrijdag.", days=1, msg_id="<broken@garagedevries.nl>"))
        message = self.env["mail.message"].search([("message_id", "=", "<broken@garagedevries.nl>")])
        self.assertEqual((message.model, message.res_id), ("res.partner", self.customer.id))
        self.assertIn("Ik betaal vrijdag.", message.body)

    def test_an_email_of_an_internal_user_is_no_reply(self):
        action = self._reminder()
        # even from the customer's own domain (a colleague working at the customer's office)
        self.collector.email = "collector@garagedevries.nl"
        self.assertFalse(self._reply(action, "Ik betaal vrijdag.", email_from=self.collector.email))
        self.assertFalse(self.customer.credit_replied)

    def test_a_reply_to_a_mail_from_the_actions_chatter_is_a_reply_to_that_action(self):
        action = self._reminder()
        question = action.message_post(
            body="Kunt u laten weten wanneer u betaalt?",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer.ids,
        )
        reply = self._reply(action, "Ik betaal vrijdag.", days=1, parent=question)
        self.assertEqual(reply.message_id.model, "credit.action")
        self.assertEqual(reply.message_id.res_id, action.id)
        self.assertEqual(reply.action_id, action)
        self.assertEqual(reply.partner_id, self.customer)
        self.assertEqual(reply.suggestion_kind, "promise")

    def test_the_company_setting_sets_the_pause_and_the_menu_is_next_to_today(self):
        settings = self.env["res.config.settings"].create({"credit_reply_pause_days": 2})
        settings.execute()
        self.assertEqual(self.company.credit_reply_pause_days, 2)
        action = self._reminder()
        # Friday plus 2 working days is Tuesday
        self.assertEqual(self._reply(action, "Bedankt voor uw bericht.", days=4).pause_until, date(2026, 6, 23))
        today_menu = self.env.ref("credit_control.credit_action_worklist_menu")
        menu = self.env.ref("credit_control.credit_reply_menu")
        self.assertEqual(menu.parent_id, today_menu.parent_id)
        self.assertEqual(menu.action, self.env.ref("credit_control.credit_reply_action"))
        siblings = menu.parent_id.child_id.sorted("sequence")
        self.assertEqual(siblings[list(siblings).index(today_menu) + 1], menu)

    # ------------------------------------------------------------------
    # The pause, through the daily run
    # ------------------------------------------------------------------

    def test_a_reply_on_friday_pauses_that_customer_until_the_next_friday(self):
        action = self._reminder()
        # Friday 19 June: 5 working days later is Friday 26 June
        reply = self._reply(action, "Bedankt voor uw bericht.", days=4)
        self.assertEqual(reply.date, date(2026, 6, 19))
        self.assertEqual(reply.pause_until, date(2026, 6, 26))
        # the second step's day: the other customer's goes, this customer's waits
        day7 = self._run(days=7)
        self.assertEqual(self._step_of(day7, self.other_customer).level_id.name, "Tweede herinnering")
        self.assertFalse(self._step_of(day7, self.customer))
        self.assertEqual(self.invoice._credit_pause_records(self._days(7))[self.invoice], [reply])
        # still waiting on the last day of the pause
        self.assertFalse(self._step_of(self._run(days=11), self.customer))
        # the day after: the ladder resumes by itself; the reply stays on the Replies list
        day12 = self._run(days=12)
        self.assertEqual(self._step_of(day12, self.customer).level_id.name, "Tweede herinnering")
        self.assertEqual(reply.state, "pending")
        self.assertTrue(self.customer.credit_replied)

    def test_handling_with_no_action_resumes_at_once(self):
        action = self._reminder()
        reply = self._reply(action, "Bedankt voor uw bericht.", days=4)
        self.assertFalse(self._step_of(self._run(days=7), self.customer))
        with freeze_time(self._days(8)):
            reply.with_user(self.collector).action_no_action()
        self.assertEqual(reply.state, "handled")
        self.assertEqual(reply.outcome, "no_action")
        self.assertEqual(reply.handled_by_id, self.collector)
        self.assertFalse(self.customer.credit_replied)
        self.assertIn("No Action", self._messages(self.customer)[0].body)
        # the next run, within what would have been the pause: the step goes
        self.assertEqual(self._step_of(self._run(days=8), self.customer).level_id.name, "Tweede herinnering")
        with self.assertRaises(UserError):
            reply.with_user(self.collector).action_no_action()

    def test_a_proposal_of_the_customer_is_withdrawn_when_the_reply_comes_in(self):
        self.env["credit.policy.level"].search([("name", "=", "Tweede herinnering")]).auto_execute = False
        action = self._reminder()
        proposal = self._step_of(self._run(days=7), self.customer)
        self.assertEqual(proposal.state, "proposed")
        reply = self._reply(action, "Bedankt voor uw bericht.", days=7)
        self.assertEqual(proposal.state, "cancelled")
        self.assertIn(reply.display_name, proposal.result)

    # ------------------------------------------------------------------
    # Handling on the Replies list
    # ------------------------------------------------------------------

    def test_accepting_a_promise_suggestion_creates_the_promise_with_its_date(self):
        action = self._reminder()
        # Wednesday 17 June: "vrijdag" is Friday 19 June
        reply = self._reply(action, "Ik betaal vrijdag.", days=2)
        self.assertEqual(reply.suggestion_kind, "promise")
        self.assertEqual(reply.suggestion_date, date(2026, 6, 19))
        with freeze_time(self._days(2)):
            reply.with_user(self.collector).action_accept_suggestion()
        promise = reply.promise_id
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.date, date(2026, 6, 19))
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.amount, 1000.0)
        self.assertEqual(promise.user_id, self.collector)
        self.assertEqual((reply.state, reply.outcome), ("handled", "promise"))
        self.assertFalse(self.customer.credit_replied)
        # the promise pauses by itself now (until its date plus the grace days), the reply no longer
        self.assertEqual(self.invoice._credit_pause_records(self._days(6))[self.invoice], [promise])

    def test_accepting_a_dispute_suggestion_opens_the_dispute_with_its_reason(self):
        action = self._reminder()
        reply = self._reply(action, "De prijs klopt niet.", days=1)
        self.assertEqual(reply.suggestion_kind, "dispute")
        self.assertEqual(reply.suggestion_reason_id.category, "price")
        reply.with_user(self.collector).action_accept_suggestion()
        dispute = reply.dispute_id
        self.assertEqual(dispute.reason_id.category, "price")
        self.assertEqual(dispute.move_ids, self.invoice)
        self.assertEqual(dispute.amount, 1000.0)
        self.assertIn("De prijs klopt niet.", dispute.description)
        self.assertEqual((reply.state, reply.outcome), ("handled", "dispute"))

    def test_correcting_the_suggestion_through_the_prefilled_promise_form(self):
        action = self._reminder()
        reply = self._reply(action, "Ik betaal vrijdag.", days=2)
        form_action = reply.with_user(self.collector).action_record_promise()
        self.assertEqual(form_action["res_model"], "credit.promise")
        context = form_action["context"]
        self.assertEqual(context["default_date"], date(2026, 6, 19))
        # the collector corrects the date and the amount, and saves
        with freeze_time(self._days(2)):
            promise = (
                self.env["credit.promise"]
                .with_user(self.collector)
                .with_context(**context)
                .create({"date": date(2026, 6, 22), "amount": 400.0})
            )
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual((promise.date, promise.amount), (date(2026, 6, 22), 400.0))
        self.assertEqual(reply.promise_id, promise)
        self.assertEqual(reply.outcome, "promise")

    def test_the_dispute_form_prefilled_from_a_reply_handles_it_on_save(self):
        action = self._reminder()
        reply = self._reply(action, "Bedankt voor uw bericht.", days=1)
        form_action = reply.with_user(self.collector).action_open_dispute()
        quality = self.env.ref("credit_control.credit_dispute_reason_quality")
        dispute = (
            self.env["credit.dispute"]
            .with_user(self.collector)
            .with_context(**form_action["context"])
            .create({"reason_id": quality.id})
        )
        self.assertEqual(dispute.move_ids, self.invoice)
        self.assertEqual(reply.dispute_id, dispute)
        self.assertEqual(reply.outcome, "dispute")

    def test_already_paid_opens_the_customers_open_payments(self):
        action = self._reminder()
        reply = self._reply(action, "Wij hebben de factuur al betaald.", days=1)
        result = reply.with_user(self.collector).action_accept_suggestion()
        self.assertEqual(result["res_model"], "account.move.line")
        self.assertEqual((reply.state, reply.outcome), ("handled", "paid"))
        # a payment the bank booked without matching it shows on that list
        payment = self.env["account.payment"].create(
            {"payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id, "amount": 1000.0}
        )
        payment.action_post()
        lines = self.env["account.move.line"].search(result["domain"])
        self.assertEqual(lines.move_id, payment.move_id)

    # ------------------------------------------------------------------
    # Security
    # ------------------------------------------------------------------

    def test_salesperson_portal_and_other_company_cannot_read_or_handle_replies(self):
        action = self._reminder()
        reply = self._reply(action, "Ik betaal vrijdag.", days=1)
        portal = new_test_user(self.env, login="portal_garage", groups="base.group_portal")
        for user in (self.salesman, portal):
            with self.assertRaises(AccessError):
                self.Reply.with_user(user).search([])
            with self.assertRaises(AccessError):
                reply.with_user(user).read(["body"])
            with self.assertRaises(AccessError):
                reply.with_user(user).action_no_action()
        company_2 = self.env["res.company"].create({"name": "Dochter B.V."})
        collector_2 = new_test_user(
            self.env,
            login="collector_2",
            groups="credit_control.group_credit_control_user",
            company_ids=[Command.set(company_2.ids)],
            company_id=company_2.id,
        )
        self.assertFalse(self.Reply.with_user(collector_2).search([]))
        with self.assertRaises(AccessError):
            reply.with_user(collector_2).read(["body"])
        # collectors handle through the buttons only: no write, no create, no delete; nobody deletes a reply
        with self.assertRaises(AccessError):
            reply.with_user(self.collector).write({"state": "handled"})
        with self.assertRaises(AccessError):
            self.Reply.with_user(self.collector).create({"partner_id": self.customer.id})
        with self.assertRaises(AccessError):
            reply.with_user(self.manager).unlink()
        with self.assertRaises(UserError):
            reply.sudo().unlink()
        self.assertEqual(reply.state, "pending")
        # the salesperson's customer form has no Replied banner and still opens; the invoice shows the pause
        salesman_form = self.Partner.with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("credit_replied", salesman_form)
        collector_form = self.Partner.with_user(self.collector).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("credit_replied", collector_form)
        self.assertEqual(self.invoice.with_user(self.collector).credit_pause_info, reply.display_name)


@tagged("post_install", "-at_install")
class TestReplyRules(BaseCase):
    """The pure rules: the pause in working days, and the placeholder parser's phrases."""

    def test_working_days(self):
        friday, saturday, wednesday = date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 17)
        self.assertEqual(reply_pause.add_working_days(friday, 5), date(2026, 6, 26))
        self.assertEqual(reply_pause.add_working_days(saturday, 1), date(2026, 6, 22))
        self.assertEqual(reply_pause.add_working_days(wednesday, 5), date(2026, 6, 24))
        self.assertEqual(reply_pause.add_working_days(wednesday, 0), wednesday)

    def test_parser_phrases(self):
        wednesday = date(2026, 6, 17)
        self.assertEqual(reply_parser.parse_reply("Wij hebben de factuur al betaald.", wednesday).kind, "paid")
        dispute = reply_parser.parse_reply("De prijs klopt niet.", wednesday)
        self.assertEqual((dispute.kind, dispute.reason), ("dispute", "price"))
        promise = reply_parser.parse_reply("Ik betaal vrijdag.", wednesday)
        self.assertEqual((promise.kind, promise.date), ("promise", date(2026, 6, 19)))
        self.assertIsNone(reply_parser.parse_reply("Bedankt voor uw bericht.", wednesday).kind)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReplyRunQueries(CreditControlCommon):
    """The pause is one clause of the run's SQL: customers who replied cost the run no query each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._policy("Daily", {"name": "Reminder", "days": 7})
        # on day 1, one customer without reply and 2 who replied reach the reminder; on day 2, one and 20
        cls.groups = {}
        for day, count in ((0, 1), (1, 3), (2, 21)):
            customers = cls.Partner.create(
                [
                    {
                        "name": f"Klant {day}-{index}",
                        "is_company": True,
                        "customer_rank": 1,
                        "email": f"klant{day}.{index}@klant{day}-{index}.example.com",
                    }
                    for index in range(count)
                ]
            )
            for customer in customers:
                cls._invoice(customer, 100.0 + day, due_in=day - 7)
            for customer in customers[1:]:
                customer.message_post(body="Bedankt voor uw bericht.", message_type="email", email_from=customer.email)
            cls.groups[day] = customers

    def _queries_of_run(self, day):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        actions = self._run(day)
        self.env.flush_all()
        return self.cr.sql_log_count - before, actions

    def test_replied_customers_add_no_query_to_the_run(self):
        replied = self.groups[1][1:] | self.groups[2][1:]
        self.assertEqual(len(self.env["credit.reply"].search([("partner_id", "in", replied.ids)])), 22)
        self._queries_of_run(0)
        two, actions_two = self._queries_of_run(1)
        twenty, actions_twenty = self._queries_of_run(2)
        self.assertEqual(actions_two.partner_id, self.groups[1][:1])
        self.assertEqual(actions_twenty.partner_id, self.groups[2][:1])
        self.assertEqual(twenty, two, f"2 customers paused: {two} queries, 20 paused: {twenty}")
