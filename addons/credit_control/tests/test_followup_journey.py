from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupJourney(CreditControlCommon):
    """One customer, one invoice, 120 days: every step of a B2B policy, a partial payment and a
    credit note in between, the sale-order block at the credit hold, and the agency at the end."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_credit_reminder")
        cls.agency = cls.Partner.create({"name": "Incassobureau Noord B.V.", "is_company": True})
        cls.company.credit_fee_product_id = cls._create_product(
            name="Aanmaningskosten", type="service", taxes_id=[Command.clear()]
        )
        email = {"action_type": "email", "auto_execute": True, "mail_template_id": template.id}
        cls.policy = cls.env["credit.policy"].create(
            {
                "name": "B2B journey",
                "level_ids": [
                    Command.create(dict(email, name="Before due", days=-3)),
                    Command.create(dict(email, name="Reminder 1", days=7, attach_invoices=True)),
                    Command.create(dict(email, name="Reminder 2", days=21, fee_type="fixed", fee_amount=25.0)),
                    Command.create({"name": "Call", "days": 35, "action_type": "phone"}),
                    Command.create({"name": "Hold", "days": 60, "action_type": "credit_hold", "auto_execute": True}),
                    Command.create(
                        {
                            "name": "Agency",
                            "days": 90,
                            "action_type": "agency",
                            "auto_execute": True,
                            "agency_id": cls.agency.id,
                        }
                    ),
                ],
            }
        )
        cls.company.credit_default_policy_id = cls.policy

    def _on(self, day):
        return freeze_time(fields.Date.from_string(TODAY) + timedelta(days=day))

    def _run(self, day):
        """Run the follow-up on ``day``; return the action on our invoice's item, if any."""
        with self._on(day):
            actions = self.env["credit.followup.run"]._run_followup(self.company)
        return actions.filtered(lambda a: a.line_ids & self.item)

    def _mail(self, action):
        return self.env["mail.mail"].search([("mail_message_id", "=", action.mail_message_id.id)])

    def test_one_customer_through_120_days(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=3, invoice_days=-27)
        self.item = invoice.line_ids.filtered("date_maturity")

        # day 0: 3 days before the due date, a friendly reminder
        before_due = self._run(0)
        self.assertEqual(before_due.level_id.name, "Before due")
        mail = self._mail(before_due)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("1,000.00", mail.body_html)
        self.assertFalse(mail.attachment_ids)
        for day in (1, 5, 9):
            self.assertFalse(self._run(day), f"nothing on day {day}")

        # day 10 (7 days late): first reminder with the invoice attached
        reminder_1 = self._run(10)
        self.assertEqual(reminder_1.level_id.name, "Reminder 1")
        self.assertEqual(len(self._mail(reminder_1).attachment_ids), 1)

        # day 15: the customer pays 400
        with self._on(15):
            self._pay(invoice, amount=400.0, days=15)
        self.assertAlmostEqual(self.item.amount_residual, 600.0, places=2)

        # day 24 (21 days late): second reminder on what is left, with a fee invoiced once
        reminder_2 = self._run(24)
        self.assertEqual(reminder_2.level_id.name, "Reminder 2")
        self.assertAlmostEqual(reminder_2.amount, 600.0, places=2)
        self.assertIn("600.00", self._mail(reminder_2).body_html)
        self.assertAlmostEqual(reminder_2.fee_move_id.amount_total, 25.0, places=2)
        self.assertFalse(self._run(24))

        # day 30: a credit note of 100 is set off against the invoice
        with self._on(30):
            refund = self._invoice(self.customer, 100.0, move_type="out_refund", due_in=30, invoice_days=30)
            (self.item | refund.line_ids.filtered("date_maturity")).reconcile()
        self.assertAlmostEqual(self.item.amount_residual, 500.0, places=2)

        # day 38 (35 days late): a call, proposed to the collector, who makes it
        call = self._run(38)
        self.assertEqual(call.state, "proposed")
        self.assertAlmostEqual(call.amount, 500.0, places=2)
        with self._on(38):
            call.with_user(self.collector).action_approve()
        self.assertEqual(call.state, "done")
        self.assertTrue(self.customer.activity_ids)

        # day 63 (60 days late): credit hold, and the sale order block fires
        hold = self._run(63)
        self.assertEqual(hold.level_id.name, "Hold")
        self.assertTrue(self.customer.credit_hold)
        with self._on(63):
            order = self._order(self.customer, 50.0, user=self.salesman)
            self.assertIn("on credit hold", order.credit_block_reason)

        # day 93 (90 days late): handed over to the agency, our own follow-up stops
        agency = self._run(93)
        self.assertEqual(agency.level_id.name, "Agency")
        self.assertEqual(self.item.credit_agency_id, self.agency)
        for day in (100, 110, 120):
            self.assertFalse(self._run(day), f"nothing of ours on day {day}")
        with self._on(120):
            export = self.env["credit.agency.export"].with_user(self.collector).create({"agency_id": self.agency.id})
            rows = export._csv().splitlines()
        self.assertEqual(len(rows), 2)
        self.assertIn(invoice.name, rows[1])
        self.assertIn("500.00", rows[1])
        self.assertIn(";117;", rows[1])  # days overdue on day 120

        history = self.env["credit.action"].search([("line_ids", "in", self.item.ids)], order="id")
        self.assertEqual(
            history.mapped("level_id.name"), ["Before due", "Reminder 1", "Reminder 2", "Call", "Hold", "Agency"]
        )
        self.assertEqual(set(history.mapped("state")), {"done"})
