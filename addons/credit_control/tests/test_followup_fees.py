from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupFees(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_fee_product_id = cls._create_product(
            name="Incassokosten", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        cls.Action = cls.env["credit.action"]

    def test_fixed_fee_is_invoiced_once(self):
        self._policy("Fees", {"name": "Reminder with fee", "days": 7, "fee_type": "fixed", "fee_amount": 15.0})
        self._invoice(self.customer, 500.0, due_in=-8)
        action = self._run()
        fee = action.fee_move_id
        self.assertEqual(fee.state, "posted")
        self.assertEqual(fee.partner_id, self.customer)
        self.assertAlmostEqual(fee.amount_total, 15.0, places=2)
        self.assertFalse(self._run(), "nothing new the same day")
        self.assertEqual(
            self.env["account.move"].search_count(
                [("invoice_line_ids.product_id", "=", self.company.credit_fee_product_id.id)]
            ),
            1,
        )

    def test_dutch_collection_costs_only_after_the_fourteen_day_term(self):
        self._policy(
            "Fees",
            {"name": "14-dagenbrief", "days": 7, "is_fourteen_day_letter": True},
            {"name": "Incasso (te vroeg)", "days": 10, "fee_type": "nl_bik"},
            {"name": "Incasso", "days": 30, "fee_type": "nl_bik"},
        )
        self._invoice(self.customer, 10000.0, due_in=-8)
        letter = self._run()  # sent on 15 June: the 14 days run from 16 to 29 June
        self.assertTrue(letter.level_id.is_fourteen_day_letter)
        self.assertFalse(letter.fee_move_id)
        self.assertFalse(self._run(days=2), "the next level waits for the gap between the levels (3 days)")
        too_early = self._run(days=3)
        self.assertFalse(too_early.fee_move_id)
        self.assertIn("06/30/2026", too_early.result)  # in the user's date format, not ISO
        costs = self._run(days=23)  # the gap (30 - 10 days) since the level before
        self.assertAlmostEqual(costs.fee_move_id.amount_total, 875.00, places=2)  # BIK on 10,000

    def test_dutch_collection_costs_need_the_letter(self):
        self._policy("Fees", {"name": "Incasso", "days": 7, "fee_type": "nl_bik"})
        self._invoice(self.customer, 1000.0, due_in=-8)
        action = self._run()
        self.assertFalse(action.fee_move_id)
        self.assertIn("14-day letter has not been sent", action.result)

    def test_belgian_first_reminder_is_free_then_at_most_7_50_and_no_postage_on_an_email(self):
        self._policy(
            "Fees",
            {"name": "Eerste herinnering", "days": 7, "fee_type": "be_consumer", "fee_amount": 1.0},
            {"name": "Tweede herinnering", "days": 21, "fee_type": "be_consumer", "fee_amount": 1.0},
        )
        self._invoice(self.customer, 300.0, due_in=-8)
        first = self._run()
        self.assertFalse(first.fee_move_id)
        self.assertIn("first reminder is free", first.result)
        second = self._run(days=14)
        # art. XIX.2 CEL: 7.50 plus the postage in force when sent; an email has no postage
        self.assertAlmostEqual(second.fee_move_id.amount_total, 7.50, places=2)

    def test_belgian_reminder_by_post_adds_the_postage(self):
        self._policy(
            "Fees",
            {"name": "Eerste herinnering", "days": 7, "fee_type": "be_consumer", "fee_amount": 1.0},
            {
                "name": "Tweede herinnering",
                "days": 21,
                "action_type": "letter",
                "auto_execute": True,
                "fee_type": "be_consumer",
                "fee_amount": 1.0,
            },
        )
        self._invoice(self.customer, 300.0, due_in=-8)
        self.assertFalse(self._run().fee_move_id)
        letter = self._run(days=14)
        self.assertEqual(letter.channel, "letter")
        self.assertAlmostEqual(letter.fee_move_id.amount_total, 8.50, places=2)

    def test_fee_needs_a_fee_product(self):
        self.company.credit_fee_product_id = False
        self._policy("Fees", {"name": "Reminder with fee", "days": 7, "fee_type": "fixed", "fee_amount": 15.0})
        self._invoice(self.customer, 500.0, due_in=-8)
        action = self._run()
        self.assertEqual(action.state, "failed")
        self.assertIn("fee product", action.result)
