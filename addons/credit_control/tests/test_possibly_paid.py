from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPossiblyPaid(CreditControlCommon):
    """No reminder for what is already paid: money arrived unmatched holds the reminder on the worklist."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Possibly paid", {"name": "Reminder", "days": 7})
        cls.level = cls.policy.level_ids
        cls.bank = cls.company_data["default_journal_bank"]
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.Action = cls.env["credit.action"]
        # 20 days late: the reminder is due today and auto-executed
        cls.invoice = cls._invoice(cls.customer, 1234.56, due_in=-20)

    @classmethod
    def _bank_line(cls, amount, label, partner=None, journal=None, days=-1):
        journal = journal or cls.bank
        return (
            cls.env["account.bank.statement.line"]
            .with_company(journal.company_id)
            .create(
                {
                    "journal_id": journal.id,
                    "date": cls._days(days),
                    "payment_ref": label,
                    "partner_id": partner.id if partner else False,
                    "amount": amount,
                }
            )
        )

    @classmethod
    def _match(cls, bank_line, invoice):
        """Reconcile the bank line with the invoice as a Community user does (no bank reconciliation widget): the
        line's counterpart moved from the suspense account to the receivable, then matched with the invoice."""
        _liquidity, suspense, _other = bank_line.with_context(skip_account_move_synchronization=True)._seek_for_lines()
        receivable_line = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        suspense.write({"account_id": receivable_line.account_id.id, "partner_id": invoice.partner_id.id})
        (suspense + receivable_line).reconcile()

    @classmethod
    def _customer_payment(cls, partner, amount, memo="Betaling"):
        payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "journal_id": cls.bank.id,
                "date": cls._days(-1),
                "memo": memo,
            }
        )
        payment.action_post()
        return payment

    def _assert_sent(self, action):
        self.assertEqual(action.state, "done")
        self.assertFalse(action.possibly_paid)
        self.assertEqual(len(self._mail(action)), 1)

    def _assert_held(self, action, *evidence):
        """Proposed, flagged, no email; the evidence names each of ``evidence`` (texts)."""
        self.assertEqual(action.state, "proposed")
        self.assertTrue(action.possibly_paid)
        self.assertFalse(action.mail_message_id)
        for text in evidence:
            self.assertIn(text, action.possibly_paid_evidence)

    # ------------------------------------------------------------------
    # What stops a reminder
    # ------------------------------------------------------------------

    def test_an_unmatched_bank_line_of_the_customer_stops_the_reminder(self):
        line = self._bank_line(300.0, "Overboeking Garage De Vries", partner=self.customer_contact)
        action = self._run()
        self.assertEqual(action.partner_id, self.customer)
        self._assert_held(action, "Overboeking Garage De Vries", "300.00", f"/odoo/account.move/{line.move_id.id}")
        self.assertEqual(action.possibly_paid_statement_line_ids, line)
        self.assertFalse(action.possibly_paid_payment_ids)
        self.assertEqual(action.run_id.possibly_paid_count, 1)
        # the worklist's filter finds it
        self.assertEqual(
            self.Action.search([("possibly_paid", "=", True), ("state", "in", ("proposed", "failed"))]), action
        )
        # the invoice's level is not taken: the reminder waits
        self.assertFalse(self.invoice.line_ids.filtered("date_maturity").credit_level_id)

    def test_a_bank_line_naming_the_invoice_without_partner_stops_the_reminder(self):
        # the number as a bank writes it: other case, spaces instead of slashes
        label = "betaling {} dank u".format(self.invoice.name.lower().replace("/", " "))
        line = self._bank_line(50.0, label)
        action = self._run()
        self._assert_held(action, label, f"names {self.invoice.name}")
        self.assertEqual(action.possibly_paid_statement_line_ids, line)

    def test_a_label_naming_another_number_that_starts_alike_does_not(self):
        # INV/2026/00001 is not named by INV/2026/000012
        self._bank_line(50.0, f"Betaling {self.invoice.name}2")
        self._assert_sent(self._run())

    def test_a_bank_line_without_partner_for_the_exact_amount_stops_the_reminder(self):
        line = self._bank_line(1234.56, "Overboeking 88123")
        action = self._run()
        self._assert_held(action, "Overboeking 88123", "1,234.56", f"open amount of {self.invoice.name}")
        self.assertEqual(action.possibly_paid_statement_line_ids, line)

    def test_an_unreconciled_customer_payment_stops_the_reminder(self):
        payment = self._customer_payment(self.customer, 200.0, memo="Vooruitbetaling")
        action = self._run()
        self._assert_held(action, f"/odoo/account.payment/{payment.id}", "200.00")
        self.assertEqual(action.possibly_paid_payment_ids, payment)
        # the payment was netted already: the reminder waits for the rest
        self.assertAlmostEqual(action.amount, 1034.56, places=2)

    # ------------------------------------------------------------------
    # What does not
    # ------------------------------------------------------------------

    def test_matched_bank_lines_and_payments_do_not_stop_the_reminder(self):
        other_invoice = self._invoice(self.customer, 400.0, due_in=10)
        line = self._bank_line(400.0, other_invoice.name, partner=self.customer)
        self._match(line, other_invoice)
        self.assertTrue(line.is_reconciled)
        paid_invoice = self._invoice(self.customer, 150.0, due_in=10)
        self._pay(paid_invoice, days=-1)
        action = self._run()
        self._assert_sent(action)
        self.assertEqual(action.line_ids.move_id, self.invoice)

    def test_another_customers_line_and_another_companys_line_do_not_stop_the_reminder(self):
        self._bank_line(300.0, "Overboeking Peeters", partner=self.other_customer)
        self._customer_payment(self.other_customer, 1234.56)
        other_company = self.setup_other_company(name="Van Dijk België")
        other_bank = other_company["default_journal_bank"]
        self._bank_line(1234.56, self.invoice.name, partner=self.customer, journal=other_bank)
        self._assert_sent(self._run())

    def test_a_bank_line_for_the_amount_from_before_the_invoice_does_not_stop_the_reminder(self):
        self.assertEqual(self.invoice.date, self._days(-50))
        self._bank_line(1234.56, "Overboeking", days=-60)
        self._assert_sent(self._run())

    def test_a_call_waits_too(self):
        self.level.write({"action_type": "phone", "auto_execute": True})
        line = self._bank_line(300.0, "Overboeking Garage De Vries", partner=self.customer)
        action = self._run()
        self.assertEqual(action.channel, "phone")
        self._assert_held(action, "Overboeking Garage De Vries")
        self.assertFalse(action.call_activity_id, "no call to make while the money may have arrived")
        self.assertEqual(action.possibly_paid_statement_line_ids, line)

    def test_outgoing_money_does_not_stop_the_reminder(self):
        self._bank_line(-1234.56, "Terugbetaling", partner=self.customer)
        self._assert_sent(self._run())

    # ------------------------------------------------------------------
    # The collector decides
    # ------------------------------------------------------------------

    def test_send_anyway_sends_the_reminder_and_logs_it(self):
        self._bank_line(300.0, "Overboeking Garage De Vries", partner=self.customer)
        action = self._run()
        self.assertTrue(action.possibly_paid)
        # approving does not send past the evidence
        action.with_user(self.collector).action_approve()
        self._assert_held(action)
        action.with_user(self.collector).action_send_anyway()
        self.assertEqual(action.state, "done")
        self.assertTrue(action.possibly_paid_acknowledged)
        self.assertEqual(len(self._mail(action)), 1)
        note = self._messages(action).filtered(lambda m: "Sent anyway by Collector" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Overboeking Garage De Vries", note.body)
        self.assertEqual(action.executed_by_id, self.collector)

    def test_only_collectors_send_anyway_and_nobody_writes_the_flag(self):
        self._bank_line(300.0, "Overboeking Garage De Vries", partner=self.customer)
        action = self._run()
        with self.assertRaises(AccessError):
            action.with_user(self.salesman).action_send_anyway()
        with self.assertRaises(AccessError):
            action.with_user(self.salesman).action_possibly_paid_reconcile()
        for user in (self.salesman, self.collector):
            with self.assertRaises(AccessError):
                action.with_user(user).write({"possibly_paid": False})
            with self.assertRaises(AccessError):
                action.with_user(user).write({"possibly_paid_acknowledged": True})
        self.assertEqual(action.state, "proposed")
        self.assertTrue(action.possibly_paid)
        self.assertFalse(action.possibly_paid_acknowledged)

    def test_an_approval_without_evidence_left_sends_and_a_new_one_holds(self):
        # proposed for the collector (not auto-executed), no evidence: approved later, after money arrived
        self.level.auto_execute = False
        action = self._run()
        self.assertEqual(action.state, "proposed")
        self.assertFalse(action.possibly_paid)
        with self.assertRaises(UserError):
            action.with_user(self.collector).action_send_anyway()  # nothing to send anyway: approve it
        line = self._bank_line(1234.56, "Overboeking")
        result = action.with_user(self.collector).action_approve()
        self._assert_held(action, "Overboeking")
        self.assertIn("possibly paid", result["params"]["message"])
        self.assertEqual(result["params"]["type"], "warning")
        # the collector reconciles the bank line with the invoice: the next run withdraws the reminder
        self._match(line, self.invoice)
        self._run(days=1)
        self.assertEqual(action.state, "cancelled")
        self.assertIn("is paid", action.result)

    def test_the_run_clears_the_flag_when_the_evidence_is_matched_elsewhere(self):
        other_invoice = self._invoice(self.customer, 300.0, due_in=10)
        line = self._bank_line(300.0, "Overboeking", partner=self.customer)
        action = self._run()
        self.assertTrue(action.possibly_paid)
        self._match(line, other_invoice)
        self._run(days=1)
        self.assertEqual(action.state, "proposed")
        self.assertFalse(action.possibly_paid)
        self.assertFalse(action.possibly_paid_statement_line_ids)
        # now approved, it is sent
        action.with_user(self.collector).action_approve()
        self._assert_sent(action)

    def test_reconcile_opens_the_invoice_with_its_outstanding_credits(self):
        payment = self._customer_payment(self.customer, 200.0)
        action = self._run()
        result = action.with_user(self.collector).action_possibly_paid_reconcile()
        self.assertEqual((result["res_model"], result["res_id"]), ("account.move", self.invoice.id))
        # Odoo's own reconciliation: the invoice offers the payment among its outstanding credits
        widget = self.invoice.invoice_outstanding_credits_debits_widget
        self.assertIn(payment.move_id.id, [credit["move_id"] for credit in widget["content"]])

    # ------------------------------------------------------------------
    # Set-based
    # ------------------------------------------------------------------

    def test_the_check_costs_a_fixed_number_of_queries_per_batch(self):
        self.level.auto_execute = False

        def customers(count, tag):
            partners = self.Partner.create(
                [
                    {"name": f"Klant {tag}-{n}", "is_company": True, "email": f"k{tag}{n}@example.com"}
                    for n in range(count)
                ]
            )
            for partner in partners:
                self._invoice(partner, 100.0, due_in=-20)
                self._bank_line(40.0, f"Storting {partner.name}", partner=partner)
            return partners

        counts = []
        for count, tag in ((2, "a"), (10, "b")):
            partners = customers(count, tag)
            actions = self.Action.search([("partner_id", "in", partners.ids)])
            self.assertFalse(actions)
            actions = self._run().filtered(lambda a, partners=partners: a.partner_id in partners)
            self.assertEqual(len(actions), count)
            self.assertTrue(all(actions.mapped("possibly_paid")))
            actions._credit_flag_possibly_paid()  # warm-up: what Odoo caches for the process (currencies, langs)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            actions._credit_flag_possibly_paid()
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - before)
            # the next customers are the run's only new ones
            actions.sudo().write({"state": "cancelled"})
        self.assertEqual(counts[0], counts[1], f"2 actions: {counts[0]} queries, 10 actions: {counts[1]}")
        # the actions read (channel, check, company), the evidence, the currencies, the flags, the relations
        self.assertLessEqual(counts[1], 8)
