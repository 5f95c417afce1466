from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTrustArrangements(CreditArrangementCommon):
    """Disputes, promises and payment plans change only through their workflow (issue 11 §3): their decision
    fields are out of reach of a plain write or create, whatever the user and whatever the context; a credit
    note links only to a dispute the user may act on; an invoice that will not be paid keeps no promise."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env.ref("credit_control.credit_dispute_reason_price")
        cls.billing_user = new_test_user(
            cls.env,
            login="billing_user",
            name="Billing User",
            groups="account.group_account_invoice",
            company_ids=[Command.set(cls.company.ids)],
            company_id=cls.company.id,
        )

    def _records(self, amount=600.0):
        """A dispute, a promise and a draft plan (with its schedule), each on its own invoice."""
        dispute_invoice, promise_invoice, plan_invoice = (
            self._invoice(self.customer, amount, due_in=-10) for _i in range(3)
        )
        dispute = self.env["credit.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(dispute_invoice.ids)],
                "reason_id": self.reason.id,
            }
        )
        promise = self.env["credit.promise"].create(
            {"partner_id": self.customer.id, "move_ids": [Command.set(promise_invoice.ids)], "amount": 100.0}
        )
        plan = self.env["credit.payment.plan"].create(
            {"partner_id": self.customer.id, "move_ids": [Command.set(plan_invoice.ids)], "installment_count": 2}
        )
        plan.action_compute_schedule()
        return dispute, promise, plan

    # ------------------------------------------------------------------
    # Decision fields: only the workflow writes them
    # ------------------------------------------------------------------

    def test_collector_cannot_approve_a_plan_by_writing_its_state(self):
        _dispute, _promise, plan = self._records()
        for vals in (
            {"state": "active", "approved_by_id": self.manager.id},
            {"state": "active"},
            {"approved_by_id": self.manager.id},
            {"date_approved": self._days(0)},
            {"amount_total": 1.0},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                plan.with_user(self.collector).write(vals)
        self.assertEqual((plan.state, plan.approved_by_id, plan.date_approved), ("draft", self.env["res.users"], False))
        # the button still refuses a collector, and approves for a manager, in the manager's name
        with self.assertRaises(AccessError):
            plan.with_user(self.collector).action_activate()
        plan.with_user(self.manager).action_activate()
        self.assertEqual((plan.state, plan.approved_by_id), ("active", self.manager))

    def test_installments_are_filled_by_payments_only(self):
        _dispute, _promise, plan = self._records()
        installment = plan.installment_ids[0]
        for user in (self.collector, self.manager):
            for vals in ({"amount_paid": installment.amount}, {"state": "paid"}, {"reminder_sent": True}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    installment.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            self.env["credit.payment.plan.installment"].with_user(self.manager).create(
                {"plan_id": plan.id, "date": self._days(60), "amount": 1.0, "amount_paid": 1.0, "state": "paid"}
            )
        self.assertEqual((installment.amount_paid, installment.state), (0.0, "pending"))
        # a real payment fills it
        plan.with_user(self.manager).action_activate()
        self._pay(plan.move_ids, amount=installment.amount)
        self.assertEqual((installment.amount_paid, installment.state), (300.0, "paid"))

    def test_decision_fields_of_each_kind_are_out_of_reach(self):
        dispute, promise, plan = self._records()
        other = self.other_customer
        attacks = {
            dispute: [
                {"state": "resolved"},
                {"state": "cancelled"},
                {"source": "portal"},
                {"partner_id": other.id},
                {"resolution": "Settled by phone."},
                {"date_closed": self._days(0)},
                {"date_opened": self._days(-100)},
            ],
            promise: [
                {"state": "kept"},
                {"source": "portal"},
                {"partner_id": other.id},
                {"residual_at_promise": 100.0},
                {"move_ids": [Command.set([])]},
            ],
            plan: [{"state": "done"}, {"state": "cancelled"}, {"source": "portal"}, {"partner_id": other.id}],
        }
        for record, attempts in attacks.items():
            before = record.read(["state", "source", "partner_id"])
            for user in (self.collector, self.manager):
                for vals in attempts:
                    with self.subTest(model=record._name, user=user.login, vals=vals), self.assertRaises(AccessError):
                        record.with_user(user).write(vals)
            self.assertEqual(record.read(["state", "source", "partner_id"]), before)

    def test_no_context_key_opens_the_workflow(self):
        _dispute, promise, _plan = self._records()
        for value in (True, 1, "1", {"x": 1}):
            Promise = promise.with_user(self.collector).with_context(credit_arrangement_workflow=value)
            with self.subTest(value=value), self.assertRaises(AccessError):
                Promise.write({"state": "kept"})
        self.assertEqual(promise.state, "open")

    def test_records_are_created_in_their_initial_state_only(self):
        invoice = self._invoice(self.customer, 400.0, due_in=-10)
        moves = [Command.set(invoice.ids)]
        attempts = [
            ("credit.dispute", {"reason_id": self.reason.id, "state": "resolved"}),
            ("credit.dispute", {"reason_id": self.reason.id, "source": "portal"}),
            ("credit.dispute", {"reason_id": self.reason.id, "resolution": "Nothing to see."}),
            ("credit.promise", {"amount": 10.0, "state": "kept"}),
            ("credit.promise", {"amount": 10.0, "residual_at_promise": 5000.0}),
            ("credit.payment.plan", {"state": "active", "approved_by_id": self.manager.id}),
            ("credit.payment.plan", {"date_approved": self._days(0)}),
        ]
        for model, vals in attempts:
            Model = self.env[model].with_user(self.collector)
            with self.subTest(model=model, vals=vals), self.assertRaises(AccessError):
                Model.create({"partner_id": self.customer.id, "move_ids": moves, **vals})
            self.assertFalse(self.env[model].search([("move_ids", "in", invoice.ids)]))
        # what the form sends for a new record still works
        promise = (
            self.env["credit.promise"]
            .with_user(self.collector)
            .create({"partner_id": self.customer.id, "move_ids": moves, "amount": 50.0, "state": "open"})
        )
        self.assertEqual((promise.state, promise.source, promise.residual_at_promise), ("open", "collector", 400.0))

    def test_a_closed_record_is_history(self):
        dispute, promise, plan = self._records()
        promise.with_user(self.collector).action_cancel()
        dispute.with_user(self.collector)._reject("The price was agreed in the quotation.")
        for record, vals in (
            (promise, {"amount": 1.0}),
            (promise, {"date": self._days(90)}),
            (dispute, {"amount": 1.0}),
        ):
            with self.subTest(model=record._name, vals=vals), self.assertRaises(UserError):
                record.with_user(self.collector).write(vals)
        self.assertEqual(promise.amount, 100.0)
        # who handles it may still change
        promise.with_user(self.collector).write({"user_id": self.manager.id})
        self.assertEqual(promise.user_id, self.manager)
        plan.with_user(self.collector).action_cancel()
        with self.assertRaises(UserError):
            plan.with_user(self.manager).write({"note": "fine", "interval_number": 2})

    # ------------------------------------------------------------------
    # One live record of each kind per invoice, on every path
    # ------------------------------------------------------------------

    def test_an_invoice_is_in_one_open_dispute_promise_and_plan(self):
        dispute, promise, plan = self._records()
        cases = [
            ("credit.dispute", dispute.move_ids, {"reason_id": self.reason.id}),
            ("credit.promise", promise.move_ids, {"amount": 10.0}),
            ("credit.payment.plan", plan.move_ids, {}),
        ]
        for model, invoice, vals in cases:
            other = self._invoice(self.customer, 100.0, due_in=-5)
            with self.subTest(model=model), self.assertRaises(UserError):
                self.env[model].with_user(self.collector).create(
                    {"partner_id": self.customer.id, "move_ids": [Command.set((invoice | other).ids)], **vals}
                )
            self.assertEqual(self.env[model].search_count([("move_ids", "in", invoice.ids)]), 1)
        # a promise on a disputed invoice is refused with the reason
        with self.assertRaisesRegex(UserError, "disputed"):
            self.env["credit.promise"].with_user(self.collector).create(
                {"partner_id": self.customer.id, "move_ids": [Command.set(dispute.move_ids.ids)], "amount": 10.0}
            )
        # once closed, a new one may cover the invoice
        promise.with_user(self.collector).action_cancel()
        again = (
            self.env["credit.promise"]
            .with_user(self.collector)
            .create({"partner_id": self.customer.id, "move_ids": [Command.set(promise.move_ids.ids)], "amount": 10.0})
        )
        self.assertEqual(again.state, "open")

    # ------------------------------------------------------------------
    # The credit-note wizard and a dispute id in its context
    # ------------------------------------------------------------------

    def _reverse(self, user, invoice, dispute):
        wizard = (
            self.env["account.move.reversal"]
            .with_user(user)
            .with_context(active_model="account.move", active_ids=invoice.ids, credit_dispute_id=dispute.id)
            .create({"reason": "Credit", "journal_id": invoice.journal_id.id})
        )
        return wizard.refund_moves()

    def test_credit_note_wizard_refuses_a_dispute_the_user_may_not_act_on(self):
        dispute, _promise, _plan = self._records()
        disputed = dispute.move_ids
        undisputed = self._invoice(self.customer, 80.0, due_in=-5)
        with self.assertRaises(AccessError):
            self._reverse(self.billing_user, disputed, dispute)
        with self.assertRaises(UserError):
            self._reverse(self.collector, undisputed, dispute)
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_2
        invoice_2 = self._invoice(self.customer, 300.0, due_in=-10, company=company_2)
        dispute_2 = (
            self.env["credit.dispute"]
            .with_company(company_2)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company_2.id,
                    "move_ids": [Command.set(invoice_2.ids)],
                    "reason_id": self.reason.id,
                }
            )
        )
        with self.assertRaises(UserError):
            self._reverse(self.collector, disputed, dispute_2)
        self.assertFalse(dispute.credit_note_id | dispute_2.credit_note_id)
        self.assertEqual((dispute.state, dispute_2.state), ("new", "new"))
        # the dispute's own button, by credit staff, still links the credit note
        self._reverse(self.collector, disputed, dispute)
        self.assertEqual(dispute.credit_note_id.reversed_entry_id, disputed)

    # ------------------------------------------------------------------
    # An invoice that will not be paid keeps no promise and closes no plan
    # ------------------------------------------------------------------

    def test_reversed_invoice_cancels_its_promise_and_plan(self):
        invoice = self._invoice(self.customer, 500.0, due_in=-10)
        moves = [Command.set(invoice.ids)]
        promise = self.env["credit.promise"].create(
            {"partner_id": self.customer.id, "move_ids": moves, "amount": 500.0, "date": self._days(5)}
        )
        plan = self.env["credit.payment.plan"].create(
            {"partner_id": self.customer.id, "move_ids": moves, "installment_count": 2}
        )
        plan.action_compute_schedule()
        plan.action_activate()
        invoice._reverse_moves(cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self._daily(days=1)
        self.assertEqual(promise.state, "cancelled", "a credit note is no payment: not kept")
        self.assertEqual(plan.state, "cancelled", "not done")
        self.assertEqual(plan.installment_ids.mapped("amount_paid"), [0.0, 0.0])
        self.assertFalse(self.customer.with_company(self.company).credit_promise_kept_rate)

    def test_deleted_invoice_cancels_its_promise_and_plan(self):
        kept_invoice = self._invoice(self.customer, 200.0, due_in=-10)
        invoice = self._invoice(self.customer, 500.0, due_in=-10)  # the last one: it may be deleted
        moves = [Command.set(invoice.ids)]
        promise = self.env["credit.promise"].create({"partner_id": self.customer.id, "move_ids": moves})
        plan = self.env["credit.payment.plan"].create(
            {"partner_id": self.customer.id, "move_ids": [Command.set((invoice | kept_invoice).ids)]}
        )
        plan.action_compute_schedule()
        plan.action_activate()
        invoice.button_draft()
        self._daily(days=1)
        self.assertEqual((promise.state, plan.state), ("open", "active"), "a correction in draft decides nothing")
        invoice.unlink()
        self._daily(days=2)
        self.assertEqual(promise.state, "cancelled")
        self.assertEqual(plan.state, "cancelled", "the deleted invoice was not paid")
        self.assertFalse(any(plan.installment_ids.mapped("amount_paid")))
        self.assertFalse(self.customer.with_company(self.company).credit_promise_kept_rate)
