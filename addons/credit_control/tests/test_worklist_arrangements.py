from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTodayArrangements(CreditArrangementCommon):
    """Promises due or broken and installments due or late are rows of the collector's *Today*: one list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+31 20 555 0101"
        cls.invoice = cls._invoice(cls.customer, 600.0, due_in=-10)
        cls.Promise = cls.env["credit.promise"]

    def _promise(self, days, amount=600.0):
        """A promise to pay on the day ``days`` from the frozen today (make it at an earlier day)."""
        return self.Promise.with_user(self.collector).create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "amount": amount,
                "date": self._days(days),
            }
        )

    def _plan(self, date_first):
        plan = (
            self.env["credit.payment.plan"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "installment_count": 3,
                    "date_first": date_first,
                }
            )
        )
        plan.action_compute_schedule()
        plan.with_user(self.manager).action_activate()
        return plan

    def _checks(self, days=0):
        """The day's promise and plan checks, then the proposals, as the daily run makes them."""
        with self._at(days):
            self.env["credit.promise"]._check_promises(self.company)
            self.env["credit.payment.plan"]._check_plans(self.company)
            self.Action._credit_propose_arrangement_checks(self.company)
        return self.Action.search([("partner_id", "=", self.customer.id), ("arrangement_check", "!=", False)])

    def _today(self, days=0):
        """The collector's *Today* (its domain and default filter *My Actions*)."""
        worklist = self.env.ref("credit_control.credit_action_worklist_action")
        with self._at(days):
            domain = safe_eval(worklist.domain, {"context_today": fields.Date.today})
            return self.Action.with_user(self.collector).search(domain + [("user_id", "=", self.collector.id)])

    def test_a_promise_due_today_is_a_payment_check_on_my_today_once(self):
        with self._at(-5):
            promise = self._promise(0)
        check = self._checks()
        self.assertEqual(len(check), 1)
        self.assertEqual((check.arrangement_check, check.channel, check.state), ("promise_due", "manual", "proposed"))
        self.assertEqual(check.promise_id, promise)
        self.assertEqual(check.user_id, self.collector)
        self.assertFalse(check.level_id)
        self.assertFalse(check.line_ids, "a check pauses nothing and holds back no reminder")
        self.assertEqual(check.invoice_ids, self.invoice)
        self.assertAlmostEqual(check.amount, 600.0, places=2)
        self.assertIn("check the payment", check.summary)
        self.assertIn(check, self._today())
        self.assertEqual(self._checks(), check, "a second run the same day proposes nothing new")
        opened = check.with_user(self.collector).action_open_promise()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("credit.promise", promise.id))

    def test_approving_a_payment_check_says_so_and_takes_no_follow_up_step(self):
        with self._at(-5):
            self._promise(0)
        check = self._checks()
        item = self._item(self.invoice)
        result = check.with_user(self.collector).action_approve()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(check.state, "done")
        self.assertIn("Checked by", check.result)
        self.assertFalse(item.credit_level_id, "no level was reached")
        self.assertFalse(check.call_activity_id)
        self.assertNotIn(check, self._today())

    def test_a_kept_promise_withdraws_its_check(self):
        with self._at(-5):
            promise = self._promise(0)
        check = self._checks()
        self._pay(self.invoice)
        self._checks(1)
        self.assertEqual(promise.state, "kept")
        self.assertEqual(check.state, "cancelled")
        self.assertIn("kept", check.result)
        self.assertNotIn(check, self._today(1))

    def test_a_broken_promise_is_a_call_logged_like_any_call(self):
        with self._at(-10):
            promise = self._promise(-9)
        due = self._checks(-8)
        self.assertEqual(due.arrangement_check, "promise_due")
        checks = self._checks()  # past the grace days: broken
        self.assertEqual(promise.state, "broken")
        self.assertEqual(due.state, "cancelled", "the payment check gives way to the call")
        call = checks - due
        self.assertEqual((call.arrangement_check, call.channel, call.state), ("promise_broken", "phone", "proposed"))
        self.assertEqual(call.recipient_phone, "+31 20 555 0101")
        self.assertIn(call, self._today())
        Call = self.env["credit.action.call"].with_user(self.collector)
        Call.with_context(default_action_id=call.id).create(
            {"outcome": "reached", "note": "Betaalt vrijdag"}
        ).action_log()
        self.assertEqual((call.state, call.call_outcome, call.call_note), ("done", "reached", "Betaalt vrijdag"))
        self.assertFalse(call.call_activity_id, "the call's activity is done")
        self.assertNotIn(call, self._today())
        self.assertEqual(self._checks(1), checks, "one call per broken promise")

    def test_an_installment_due_then_late_then_paid(self):
        plan = self._plan(self.today)
        first = plan.installment_ids.sorted("date")[0]
        due = self._checks()
        self.assertEqual((due.arrangement_check, due.channel), ("installment_due", "manual"))
        self.assertEqual((due.payment_plan_id, due.installment_id), (plan, first))
        self.assertAlmostEqual(due.amount, first.amount, places=2)
        self.assertIn(due, self._today())
        opened = due.with_user(self.collector).action_open_payment_plan()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("credit.payment.plan", plan.id))

        checks = self._checks(1)
        late = checks - due
        self.assertEqual(due.state, "cancelled")
        self.assertIn("late", due.result)
        self.assertEqual((late.arrangement_check, late.channel, late.state), ("installment_late", "phone", "proposed"))

        with self._at(2):
            self._pay(self.invoice, amount=first.amount)
        self.assertEqual(first.state, "paid")
        self.assertEqual(late.state, "cancelled", "withdrawn as soon as the installment is paid")
        self.assertIn("paid", late.result)
        self.assertEqual(self._checks(2), checks, "nothing new for a paid installment")

    def test_a_check_settled_meanwhile_is_withdrawn_on_approval(self):
        plan = self._plan(self.today)
        due = self._checks()
        plan.with_user(self.collector).action_cancel()
        result = due.with_user(self.collector).action_approve()
        self.assertEqual(due.state, "cancelled")
        self.assertEqual(result["params"]["type"], "warning")

    def test_the_daily_run_proposes_the_checks(self):
        with self._at(-5):
            promise = self._promise(0)
        self.env["credit.followup.run"]._prepare_company(self.company)
        check = self.Action.search([("promise_id", "=", promise.id)])
        self.assertEqual(check.arrangement_check, "promise_due")
        self.assertFalse(self.env["credit.followup.run"].search([("date", "=", self.today)]).failure_note)

    def test_the_worklist_filters_each_kind(self):
        with self._at(-5):
            self._promise(0)
        other = self._invoice(self.other_customer, 100.0, due_in=-10)
        self.assertTrue(other)
        reminder = self.env["credit.followup.run"]._run_followup(self.company)
        check = self._checks()
        search = self.env["credit.action"].get_view(view_type="search")["arch"]
        for name in ("filter_reminders", "filter_calls", "filter_promises", "filter_plans"):
            self.assertIn(f'name="{name}"', search)

        def filtered(name):
            view = self.env.ref("credit_control.credit_action_view_search")
            node = view.arch_db.split(f'name="{name}"')[1].split("/>")[0]
            domain = safe_eval(node.split('domain="')[1].split('"')[0].replace("&amp;", "&"))
            return self.Action.search(domain + [("id", "in", (reminder | check).ids)])

        self.assertEqual(filtered("filter_promises"), check)
        self.assertEqual(filtered("filter_reminders"), reminder)
        self.assertFalse(filtered("filter_plans"))
