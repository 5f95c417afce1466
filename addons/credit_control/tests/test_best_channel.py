from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.credit_control.tools import channel_ranking

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBestChannel(CreditControlCommon):
    """A hand-made reminder history (days from today; paid: days from the reminder to the payment).

    Garage De Vries (segment Retail): SMS 3, 5, 2 and one unpaid = 3 of 4 paid, median 3 days; email 10, one
    paid after 40 days (outside the 30-day window) and one unpaid = 1 of 3. Not counted: an unpaid email of
    10 days ago (its window still runs) and an SMS of 400 days ago (older than 12 months).
    Autobedrijf Peeters (Retail): one email paid after 1 day, too little history of its own.
    Bandenhandel Jansen (Retail): three phone calls paid after 7, 6 and 9 days.
    Garage Smit (Retail): no reminders. Autoservice Bakker (no segment): one letter.
    Retail: SMS 3 of 4, median 3; email 2 of 4; phone 3 of 3, median 7 -> phone.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        levels = {
            channel: Command.create({"name": f"Level {channel}", "days": days, "action_type": channel})
            for channel, days in (("email", 7), ("sms", 14), ("phone", 21), ("letter", 28), ("manual", 35))
        }
        cls.policy = cls.env["credit.policy"].create({"name": "Channels", "level_ids": list(levels.values())})
        cls.level = {level.action_type: level for level in cls.policy.level_ids}
        cls.retail = cls.env["credit.segment"].create({"name": "Retail", "partner_domain": "[('id', '=', 0)]"})
        cls.jansen = cls.Partner.create({"name": "Bandenhandel Jansen", "is_company": True, "customer_rank": 1})
        cls.smit = cls.Partner.create({"name": "Garage Smit", "is_company": True, "customer_rank": 1})
        cls.bakker = cls.Partner.create({"name": "Autoservice Bakker", "is_company": True, "customer_rank": 1})
        (cls.customer | cls.other_customer | cls.jansen | cls.smit).write({"credit_segment_id": cls.retail.id})
        cls.Action = cls.env["credit.action"]
        for channel, days_ago, paid_after in (
            ("sms", 200, 3),
            ("sms", 150, 5),
            ("sms", 100, 2),
            ("sms", 60, None),
            ("email", 220, 10),
            ("email", 180, 40),
            ("email", 120, None),
            ("email", 10, None),
            ("sms", 400, 1),
        ):
            cls._reminder(cls.customer, channel, days_ago, paid_after)
        cls._reminder(cls.other_customer, "email", 90, 1)
        for days_ago, paid_after in ((300, 7), (250, 6), (200, 9)):
            cls._reminder(cls.jansen, "phone", days_ago, paid_after)
        cls._reminder(cls.bakker, "letter", 100, 2)
        cls.customer_observations = [("sms", 3), ("sms", 5), ("sms", 2), ("sms", None)]
        cls.customer_observations += [("email", 10), ("email", None), ("email", None)]
        cls.segment_observations = cls.customer_observations + [("email", 1), ("phone", 7), ("phone", 6), ("phone", 9)]

    @classmethod
    def _reminder(cls, partner, channel, days_ago, paid_after=None):
        """A done reminder of ``days_ago`` days on a new invoice, paid ``paid_after`` days after it."""
        invoice = cls._invoice(partner, 100.0, due_in=-days_ago - 7)
        line = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        action = cls.Action.create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "level_id": cls.level[channel].id,
                "channel": channel,
                "date": cls._days(-days_ago),
                "state": "done",
                "line_ids": [Command.set(line.ids)],
                "amount": 100.0,
            }
        )
        if paid_after is not None:
            cls._pay(invoice, days=-days_ago + paid_after)
        return action

    def _compute(self):
        return self.Partner._credit_compute_best_channels(self.company, self.today)

    def test_best_channel_per_customer_with_segment_fallback(self):
        self._compute()
        self.assertEqual(
            channel_ranking.best_channel(self.customer_observations, self.segment_observations)[:2],
            ("sms", "customer"),
        )
        self.assertEqual(self.customer.credit_best_channel, "sms")
        self.assertEqual(
            self.customer.credit_best_channel_evidence,
            "SMS: paid after 3 of 4 reminders, median 3 days (customer history)",
        )
        # too little history of their own: the segment's best channel
        self.assertEqual(
            channel_ranking.best_channel([("email", 1)], self.segment_observations)[:2], ("phone", "segment")
        )
        for partner in (self.other_customer, self.smit):
            self.assertEqual(partner.credit_best_channel, "phone")
            self.assertEqual(
                partner.credit_best_channel_evidence,
                "Phone Call: paid after 3 of 3 reminders, median 7 days (segment Retail)",
            )
        self.assertEqual(
            self.jansen.credit_best_channel_evidence,
            "Phone Call: paid after 3 of 3 reminders, median 7 days (customer history)",
        )
        self.assertFalse(self.bakker.credit_best_channel)
        self.assertFalse(self.bakker.credit_best_channel_evidence)

    def test_a_suggestion_goes_when_its_evidence_goes(self):
        self._compute()
        self.assertEqual(self.smit.credit_best_channel, "phone")
        self.smit.credit_segment_id = False
        self._compute()
        self.assertFalse(self.smit.credit_best_channel)
        self.assertFalse(self.smit.credit_best_channel_evidence)
        self.assertEqual(self.other_customer.credit_best_channel, "phone")

    def test_the_daily_run_stores_the_suggestion(self):
        self.env.ref("credit_control.ir_cron_credit_followup").method_direct_trigger()
        self.assertEqual(self.customer.credit_best_channel, "sms")

    def test_query_count_does_not_grow_with_the_customers(self):
        self._compute()
        # the observations, the customers concerned, the UPDATE, the clean-up (of Autoservice Bakker's)
        with self.assertQueryCount(4):
            self.assertEqual(self._compute(), 0)
        for index in range(3):
            partner = self.Partner.create({"name": f"Klant {index}", "is_company": True, "customer_rank": 1})
            partner.credit_segment_id = self.retail
            self._reminder(partner, "email", 50 + index, index)
        with self.assertQueryCount(4):
            self.assertEqual(self._compute(), 3)
        self.assertEqual(partner.credit_best_channel, "phone")

    # ------------------------------------------------------------------
    # The worklist
    # ------------------------------------------------------------------

    def _proposal(self, channel, partner=None):
        partner = partner or self.customer
        invoice = self._invoice(partner, 250.0, due_in=-20)
        return self.Action.create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "level_id": self.level[channel].id,
                "channel": channel,
                "date": self.today,
                "line_ids": [
                    Command.set(invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids)
                ],
                "amount": 250.0,
            }
        )

    def test_collector_sees_the_suggestion_and_uses_it(self):
        self._compute()
        action = self._proposal("email").with_user(self.collector)
        self.assertEqual(action.suggested_channel, "sms")
        self.assertEqual(
            action.suggested_channel_evidence, "SMS: paid after 3 of 4 reminders, median 3 days (customer history)"
        )
        worklist = self.Action.with_user(self.collector).search_read(
            [("id", "=", action.id)], ["channel", "suggested_channel", "suggested_channel_evidence"]
        )
        self.assertEqual(worklist[0]["suggested_channel"], "sms")
        action.action_use_suggested_channel()
        self.assertEqual(action.channel, "sms")
        self.assertIn("Channel changed from Email to SMS by Collector", self._messages(action)[0].body)

    def test_a_step_that_is_not_a_reminder_is_only_advised(self):
        self._compute()
        action = self._proposal("manual")
        self.assertEqual(action.suggested_channel, "sms")
        with self.assertRaises(UserError):
            action.with_user(self.collector).action_use_suggested_channel()
        self.assertEqual(action.channel, "manual")

    def test_salesman_neither_switches_nor_writes_suggestions(self):
        self._compute()
        action = self._proposal("email")
        with self.assertRaises(AccessError):
            action.with_user(self.salesman).action_use_suggested_channel()
        for vals in ({"credit_best_channel": "letter"}, {"credit_best_channel_evidence": "x"}):
            with self.assertRaises(AccessError):
                self.customer.with_user(self.salesman).write(vals)
        # the suggestion is the collector's: a salesperson does not read it (issue 11 §2)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).read(["credit_best_channel"])
        self.assertEqual(self.customer.with_user(self.collector).credit_best_channel, "sms")
