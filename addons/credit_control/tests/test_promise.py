from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditPromise(CreditArrangementCommon):
    def _promise(self, invoices, amount, days, user=None):
        return (
            self.env["credit.promise"]
            .with_user(user or self.collector)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoices.ids)],
                    "amount": amount,
                    "date": self._days(days),
                }
            )
        )

    def test_collector_records_a_promise_from_the_worklist_in_two_clicks(self):
        invoice = self._invoice(self.customer, 800.0, due_in=-25)
        self._daily()  # reminder 1, sent by itself
        call = self._daily(days=14)  # the gap between the reminder (7) and the call (21)
        self.assertEqual(call.level_id, self.call)
        self.assertEqual(call.state, "proposed")
        with self._at(14):
            form = Form(
                self.env["credit.promise"].with_user(self.collector).with_context(default_credit_action_id=call.id),
                view="credit_control.credit_promise_view_form_quick",
            )
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.amount, 800.0)
            self.assertEqual(form.date, self._days(21))
            promise = form.save()
        self.assertEqual(promise.move_ids, invoice)
        self.assertEqual(promise.user_id, self.collector)
        self.assertEqual(promise.residual_at_promise, 800.0)
        self.assertEqual(call.state, "cancelled", "the worklist proposal is taken care of")
        self.assertEqual(invoice.credit_pause_info, promise.display_name)
        # paused until the date plus 3 grace days
        self.assertEqual(promise.date_grace_end, self._days(24))
        self.assertFalse(self._daily(days=15))
        self.assertFalse(self._daily(days=24))

    def test_kept_promise_ends_the_pause_and_the_rest_is_followed_up(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        first = self._daily()
        self.assertEqual(first.level_id, self.reminder)
        promise = self._promise(invoice, 400.0, days=5)
        self.assertFalse(self._daily(days=1), "the call is due but the promise pauses it")
        self._pay(invoice, amount=400.0, days=3)
        self._daily(days=4)
        self.assertEqual(promise.state, "kept")
        actions = self._daily(days=14)  # at the policy's gap after the reminder
        self.assertEqual(self.customer.credit_promise_kept_rate, 1.0)
        self.assertEqual(actions.level_id, self.call, "follow-up resumes for the 600.00 still open")
        self.assertAlmostEqual(actions.amount, 600.0, places=2)
        self.assertEqual(self._item(invoice).credit_level_id, self.reminder)

    def test_broken_promise_resumes_followup_and_tells_the_collector(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        self._daily()  # reminder 1
        promise = self._promise(invoice, 1000.0, days=5)
        self._pay(invoice, amount=200.0, days=2)  # not what was promised
        self.assertFalse(self._daily(days=1))
        self.assertFalse(self._daily(days=8), "still in the grace days (3)")
        self.assertEqual(promise.state, "open")
        self._daily(days=9)
        self.assertEqual(promise.state, "broken")
        actions = self._daily(days=14)  # at the policy's gap after the reminder
        self.assertEqual(actions.partner_id, self.customer)
        self.assertEqual(actions.level_id, self.call, "follow-up resumes at the next level")
        self.assertAlmostEqual(actions.amount, 800.0, places=2)
        activity = promise.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        note = self._messages(promise).filtered(lambda m: m.body.startswith("<p>Promise broken"))
        self.assertEqual(len(note), 1, "the broken promise is noted in its chatter")
        self.assertIn("1,000.00", note.body)
        self.assertEqual(self.customer.credit_promise_kept_rate, 0.0)
        # idempotent: a second check the same day changes nothing
        with self._at(9):
            kept, broken = self.env["credit.promise"]._check_promises(self.company)
        self.assertFalse(kept or broken)
        self.assertEqual(len(promise.activity_ids), 1)

    def test_the_daily_cron_decides_promises_before_the_followup_run(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-25)
        self._daily()  # reminder 1
        promise = self._promise(invoice, 1000.0, days=1)
        with self._at(14):  # the promise (day 1, 3 grace days) is broken; the call's gap has passed
            self.env.ref("credit_control.ir_cron_credit_followup").method_direct_trigger()
        self.assertEqual(promise.state, "broken")
        call = self.Action.search([("partner_id", "=", self.customer.id), ("level_id", "=", self.call.id)])
        self.assertEqual(call.state, "proposed", "the broken promise is followed up in the same run")

    def test_kept_rate_counts_kept_and_broken_promises(self):
        first = self._invoice(self.customer, 300.0, due_in=-10)
        second = self._invoice(self.customer, 500.0, due_in=-10)
        kept = self._promise(first, 300.0, days=2)
        broken = self._promise(second, 500.0, days=2)
        self._pay(first, days=1)
        self._daily(days=6)
        self.assertEqual((kept.state, broken.state), ("kept", "broken"))
        self.assertEqual(self.customer.credit_promise_kept_rate, 0.5)

    def test_bad_promises_are_refused(self):
        invoice = self._invoice(self.customer, 500.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "in the past"), self.env.cr.savepoint():
            self._promise(invoice, 100.0, days=-1)
        with self.assertRaisesRegex(UserError, "more than the"), self.env.cr.savepoint():
            self._promise(invoice, 500.01, days=3)
        with self.assertRaisesRegex(UserError, "more than zero"), self.env.cr.savepoint():
            self._promise(invoice, 0.0, days=3)
        other = self._invoice(self.other_customer, 200.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "not a posted invoice of"), self.env.cr.savepoint():
            self._promise(other, 100.0, days=3)
        with self.assertRaises(UserError):
            self._promise(invoice, 100.0, days=3).with_user(self.manager).unlink()

    def test_portal_promise(self):
        invoice = self._invoice(self.customer, 500.0, due_in=-10)
        Promise = self.env["credit.promise"].sudo()
        promise = Promise._portal_create(self.customer_contact, invoice, self._days(4))
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.source, "portal")
        self.assertEqual(promise.amount, 500.0)
        self.assertEqual(promise.user_id, self.collector)
        self.assertIn(self.customer_contact, promise.message_partner_ids)
        second = self._invoice(self.customer, 500.0, due_in=-10)  # one open promise per invoice
        with self.assertRaisesRegex(UserError, "in the past"), self.env.cr.savepoint():
            Promise._portal_create(self.customer_contact, second, self._days(-1), amount=100.0)
        with self.assertRaisesRegex(UserError, "more than the"), self.env.cr.savepoint():
            Promise._portal_create(self.customer_contact, second, self._days(2), amount=900.0)
        with self.assertRaisesRegex(UserError, "already in"), self.env.cr.savepoint():
            Promise._portal_create(self.customer_contact, invoice, self._days(2), amount=100.0)
        other = self._invoice(self.other_customer, 200.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "not a posted invoice of"), self.env.cr.savepoint():
            Promise._portal_create(self.customer_contact, other, self._days(2))
        self.assertEqual(promise.date_grace_end, self._days(4) + timedelta(days=3))
