from collections import Counter
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, CreditControlCommon

# what the seed gives: 12 disputes, 18 promises and 6 plans
EXPECTED_DISPUTES = {"resolved": 6, "rejected": 4, "in_progress": 1, "new": 1}
EXPECTED_PROMISES = {"kept": 8, "broken": 8, "open": 2}
EXPECTED_PLANS = {"done": 3, "active": 2, "broken": 1}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDemoHistory(CreditControlCommon):
    """The demo's year of disputes, promises and plans (``account.move._credit_demo_arrangement_history``),
    on a fresh company: every kind of outcome, reached through the workflows, dated in the past year,
    the same on every run."""

    def _history(self):
        return self.env["account.move"]._credit_demo_arrangement_history(
            self.product.id, [self.customer.id, self.other_customer.id]
        )

    def test_a_year_of_arrangements_with_every_outcome(self):
        history = self._history()
        disputes, promises, plans = history["disputes"], history["promises"], history["plans"]
        year_ago = self.today - timedelta(days=365)

        # seeded: the same states on every run
        self.assertEqual(
            (Counter(disputes.mapped("state")), Counter(promises.mapped("state")), Counter(plans.mapped("state"))),
            (Counter(EXPECTED_DISPUTES), Counter(EXPECTED_PROMISES), Counter(EXPECTED_PLANS)),
        )
        self.assertGreater(len(set(disputes.mapped("reason_category"))), 2, "several root causes")

        for dispute in disputes:
            self.assertTrue(year_ago <= dispute.date_opened < self.today, dispute.name)
            if dispute.state in ("resolved", "rejected"):
                self.assertTrue(dispute.date_opened < dispute.date_closed < self.today, dispute.name)
                self.assertTrue(dispute.resolution, dispute.name)
            else:
                self.assertFalse(dispute.date_closed, dispute.name)
        resolved = disputes.filtered(lambda d: d.state == "resolved")
        self.assertEqual(set(resolved.credit_note_id.mapped("state")), {"posted"})
        self.assertEqual(set(resolved.move_ids.mapped("payment_state")), {"reversed"})

        for promise in promises:
            if promise.state == "open":
                self.assertGreaterEqual(promise.date, self.today)
            else:
                self.assertTrue(year_ago < promise.date < self.today, promise.display_name)
        kept = promises.filtered(lambda p: p.state == "kept")
        self.assertLessEqual(set(kept.move_ids.mapped("payment_state")), {"paid", "in_payment"})

        done = plans.filtered(lambda p: p.state == "done")
        self.assertEqual(set(done.installment_ids.mapped("state")), {"paid"})
        active = plans.filtered(lambda p: p.state == "active")
        self.assertIn("paid", active.installment_ids.mapped("state"))
        self.assertIn("pending", active.installment_ids.mapped("state"))
        for plan in plans - active:
            self.assertTrue(plan.date_approved < plan.date_closed < self.today, plan.name)
        # a broken plan stays broken when the rest is paid later (at most 50 days after the break)
        for plan in plans.filtered(lambda p: p.state == "broken" and p.date_closed + timedelta(days=50) < self.today):
            self.assertIn(plan.move_ids.payment_state, ("paid", "in_payment"), plan.name)
        # the broken ones of the past were followed up long ago: no activity left open for them
        self.assertFalse(promises.filtered(lambda p: p.state == "broken").activity_ids)
        self.assertFalse(plans.filtered(lambda p: p.state == "broken").activity_ids)
