from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditDispute(CreditArrangementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason_quality = cls.env.ref("credit_control.credit_dispute_reason_quality")
        cls.reason_price = cls.env.ref("credit_control.credit_dispute_reason_price")

    def _dispute(self, invoices, reason=None, amount=None, user=None):
        vals = {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(invoices.ids)],
            "reason_id": (reason or self.reason_quality).id,
            "description": "Two brake discs arrived broken.",
        }
        if amount is not None:
            vals["amount"] = amount
        return self.env["credit.dispute"].with_user(user or self.collector).create(vals)

    def test_reasons_ship_one_per_root_cause(self):
        reasons = self.env["credit.dispute.reason"].search([])
        categories = dict(reasons._fields["category"].selection)
        self.assertEqual(set(reasons.mapped("category")), set(categories))

    def test_dispute_from_the_invoice_form_pauses_its_followup(self):
        invoice = self._invoice(self.customer, 600.0, due_in=-10)
        action = invoice.with_user(self.collector).action_credit_dispute()
        self.assertEqual(action["res_model"], "credit.dispute")
        form = Form(self.env["credit.dispute"].with_user(self.collector).with_context(**action["context"]))
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.amount, 600.0, "the whole open amount by default")
        form.reason_id = self.reason_price
        form.amount = 150.0
        dispute = form.save()
        self.assertTrue(dispute.name.startswith("DIS/"))
        self.assertEqual(dispute.state, "new")
        self.assertEqual(dispute.move_ids, invoice)
        self.assertEqual(dispute.access_url, f"/my/disputes/{dispute.id}")
        self.assertEqual(invoice.credit_pause_info, dispute.display_name)
        self.assertEqual(self.customer.credit_dispute_count, 1)
        self.assertEqual(self.customer.action_credit_view_disputes()["domain"], [("partner_id", "=", self.customer.id)])
        self.assertFalse(self._daily(), "a disputed invoice is not reminded")
        other = self._invoice(self.customer, 100.0, due_in=-10)
        self.assertEqual(self._daily(days=1).line_ids, self._item(other), "only the undisputed invoice")

    def test_dispute_resolved_by_a_credit_note_through_the_reversal_wizard(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        self.assertEqual(self._daily().level_id, self.reminder)
        with self._at(1):
            dispute = self._dispute(invoice)
            dispute.with_user(self.collector).action_start()
        self.assertEqual(dispute.state, "in_progress")
        self.assertFalse(self._daily(days=2), "the call is due, but the invoice is disputed")
        with self._at(5):
            action = dispute.with_user(self.collector).action_resolve_credit_note()
            self.assertEqual(action["res_model"], "account.move.reversal")
            wizard = (
                self.env["account.move.reversal"]
                .with_user(self.collector)
                .with_context(**action["context"])
                .create({"reason": "Broken brake discs", "journal_id": invoice.journal_id.id})
            )
            wizard.refund_moves()
            credit_note = dispute.credit_note_id
            self.assertEqual(credit_note.move_type, "out_refund")
            self.assertEqual(credit_note.reversed_entry_id, invoice)
            self.assertEqual(dispute.state, "in_progress", "resolved once the credit note is posted")
            credit_note.with_user(self.collector).action_post()
        self.assertEqual(dispute.state, "resolved")
        self.assertEqual(dispute.date_closed, self._days(5))
        self.assertEqual(dispute.cycle_time_days, 4.0)
        self.assertIn(credit_note.name, dispute.resolution)
        self.assertIn("1,000.00", dispute.resolution)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertFalse(self._daily(days=6), "nothing left to follow up")
        self.assertFalse(self._daily(days=15))
        # the analysis: average cycle time per root cause
        groups = self.env["credit.dispute"]._read_group(
            [("id", "=", dispute.id)], ["reason_category"], ["cycle_time_days:avg", "amount:sum"]
        )
        self.assertEqual(groups, [("quality", 4.0, 1000.0)])

    def test_rejected_dispute_tells_the_customer_and_followup_resumes_at_the_same_level(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        self._daily()  # reminder 1
        dispute = self._dispute(invoice, amount=250.0)
        self.assertFalse(self._daily(days=1))
        with self._at(2):
            wizard_action = dispute.with_user(self.collector).action_reject()
            wizard = Form(
                self.env[wizard_action["res_model"]].with_user(self.collector).with_context(**wizard_action["context"])
            )
            wizard.explanation = "The delivery note signed on 3 June shows the discs arrived intact."
            wizard.save().action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(dispute.date_closed, self._days(2))
        message = self._messages(dispute).filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("signed on 3 June", message.body)
        self.assertEqual(message.partner_ids, self.customer)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        mails = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertIn(self.customer, mails.recipient_ids, "emailed to the customer")
        self.assertEqual(self._item(invoice).credit_level_id, self.reminder, "the items kept their level")
        actions = self._daily(days=14)
        self.assertEqual(actions.level_id, self.call, "follow-up resumes with the next level, at the policy's gap")
        self.assertAlmostEqual(actions.amount, 1000.0, places=2)

    def test_rejection_needs_an_explanation(self):
        dispute = self._dispute(self._invoice(self.customer, 100.0, due_in=-5))
        with self.assertRaisesRegex(UserError, "Explain"):
            dispute.with_user(self.collector)._reject("  ")
        self.assertEqual(dispute.state, "new")

    def test_bad_disputes_are_refused(self):
        invoice = self._invoice(self.customer, 500.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "more than the"):
            self._dispute(invoice, amount=500.01)
        with self.assertRaisesRegex(UserError, "more than zero"):
            self._dispute(invoice, amount=0.0)
        other = self._invoice(self.other_customer, 200.0, due_in=-10)
        with self.assertRaisesRegex(UserError, "not a posted invoice of"):
            self._dispute(invoice | other)
        paid = self._invoice(self.customer, 50.0, due_in=-10)
        self._pay(paid)
        with self.assertRaisesRegex(UserError, "already paid"):
            self._dispute(paid)

    def test_disputes_are_cancelled_never_deleted(self):
        dispute = self._dispute(self._invoice(self.customer, 100.0, due_in=-5))
        with self.assertRaises(UserError):
            dispute.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "kept as history: cancel it"):
            dispute.sudo().unlink()
        dispute.with_user(self.collector).action_cancel()
        self.assertEqual(dispute.state, "cancelled")
        with self.assertRaisesRegex(UserError, "already closed"):
            dispute.with_user(self.collector).action_start()

    def test_dispute_from_a_worklist_action(self):
        invoice = self._invoice(self.customer, 700.0, due_in=-25)
        self._daily()
        call = self._daily(days=14)  # the gap between the reminder (7) and the call (21)
        form = Form(self.env["credit.dispute"].with_user(self.collector).with_context(default_credit_action_id=call.id))
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.amount, 700.0)
        form.reason_id = self.reason_quality
        dispute = form.save()
        self.assertEqual(dispute.move_ids, invoice)
        self.assertEqual(call.state, "cancelled")

    def test_portal_dispute_goes_to_the_collector(self):
        invoice = self._invoice(self.customer, 400.0, due_in=-3)
        attachment = self.env["ir.attachment"].create(
            {"name": "photo.jpg", "raw": b"jpeg", "res_model": "mail.compose.message", "res_id": 0}
        )
        dispute = (
            self.env["credit.dispute"]
            .sudo()
            ._portal_create(
                self.customer_contact, invoice, self.reason_quality, "The discs were cracked.", attachment.ids
            )
        )
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(dispute.source, "portal")
        self.assertEqual(dispute.user_id, self.collector)
        self.assertAlmostEqual(dispute.amount, 400.0, places=2)
        activity = dispute.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        message = self._messages(dispute).filtered(lambda m: m.author_id == self.customer_contact)
        self.assertIn("cracked", message.body)
        self.assertEqual(message.attachment_ids, attachment)
        with self.assertRaisesRegex(UserError, "not a posted invoice of"):
            self.env["credit.dispute"].sudo()._portal_create(
                self.customer_contact, self._invoice(self.other_customer, 10.0), self.reason_quality, "Wrong"
            )
