from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.credit_control.tools import payment_anomaly

from .common import TODAY, CreditControlCommon

# (due, paid) in days from today. Baseline: paid 90 to 455 days ago, 0, 2, 4, 2, 2 days late: mean 2.0,
# sample standard deviation sqrt(8 / 4) = 1.41.
BASELINE = [(-300, -300), (-270, -268), (-240, -236), (-210, -208), (-180, -178)]
# Recent (paid in the last 90 days): 25, 30, 20 days late, mean 25.0: 23.0 days later than usual, more than
# the margin max(10, 2 × 1.41 / sqrt(3)) = 10.0 days.
LATE_NOW = [(-80, -55), (-60, -30), (-40, -20)]
# A steady payer: 3, 1, 2 days late, mean 2.0.
STEADY_NOW = [(-80, -77), (-60, -59), (-40, -38)]


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAnomalyWarning(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Segment = cls.env["credit.segment"]
        cls.watch = Segment.create({"name": "Watch list", "sequence": 5, "partner_domain": "[('id', '=', 0)]"})
        cls.good = Segment.create(
            {
                "name": "Good payers",
                "sequence": 10,
                "partner_domain": "[('id', '!=', 0)]",
                "warning_segment_id": cls.watch.id,
            }
        )
        cls.customer.write(
            {"credit_segment_id": cls.good.id, "credit_segment_mode": "auto", "credit_collector_id": cls.collector.id}
        )
        cls.other_customer.write({"credit_segment_id": cls.good.id, "credit_segment_mode": "auto"})
        cls._history(cls.customer, BASELINE + LATE_NOW)
        cls._history(cls.other_customer, BASELINE + STEADY_NOW)
        cls.warning_type = cls.env.ref("credit_control.mail_activity_type_credit_warning")
        cls.cron = cls.env.ref("credit_control.ir_cron_credit_followup")

    @classmethod
    def _history(cls, partner, items):
        for due, paid in items:
            cls._pay(cls._invoice(partner, 100.0, due_in=due), days=paid)

    def _warnings(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.warning_type.id),
            ]
        )

    def _detect(self):
        return self.Partner._credit_detect_anomalies(self.company, self.today)

    def test_paying_later_than_usual_warns_the_collector_and_proposes_a_segment(self):
        anomaly, evidence = payment_anomaly.is_late_anomaly([0, 2, 4, 2, 2], [25, 30, 20])
        self.assertTrue(anomaly)
        self.assertEqual(
            [round(evidence[key], 2) for key in ("baseline_mean", "baseline_std", "recent_mean", "excess", "margin")],
            [2.0, 1.41, 25.0, 23.0, 10.0],
        )

        warned = self._detect()

        self.assertEqual(warned, self.customer)
        activity = self._warnings(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, self.today)
        self.assertEqual(activity.summary, "Early warning: paying later than usual")
        self.assertIn(
            "In the last 90 days 3 payments were on average 25.0 days late, against 2.0 days (standard deviation "
            "1.4, 5 payments) in the 365 days before: 23.0 days later, more than the margin of 10.0 days.",
            str(activity.note),
        )
        # the credit manager gets a proposal; the assignment itself does not change
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertEqual(self.customer.credit_proposed_segment_id, self.watch)
        self.assertEqual(self.customer.credit_segment_mode, "proposed")
        self.assertEqual(self.customer.credit_warning_date, self.today)
        self.assertEqual(
            self.customer.credit_warning_reason,
            "Paying later than usual: 25.0 days late on average recently, against 2.0 before",
        )
        self.assertIn(self.customer, self.Partner.search([("credit_proposed_segment_id", "!=", False)]))
        body = self._messages(self.customer)[0].body
        self.assertIn("Early warning: paying later than usual", body)
        self.assertIn("23.0 days later", body)
        self.assertIn(f"Segment Watch list proposed for {self.company.name}", body)

        # the manager confirms: the customer moves, and stays (proposed mode: the rules only propose)
        self.customer.with_user(self.manager).action_credit_confirm_segment()
        self.assertEqual(self.customer.credit_segment_id, self.watch)
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.watch)

    def test_steady_payer_is_not_warned(self):
        anomaly, evidence = payment_anomaly.is_late_anomaly([0, 2, 4, 2, 2], [3, 1, 2])
        self.assertFalse(anomaly)
        self.assertEqual(evidence["reason"], "within_margin")
        self._detect()
        self.assertFalse(self._warnings(self.other_customer))
        self.assertFalse(self.other_customer.credit_warning_date)
        self.assertFalse(self.other_customer.credit_proposed_segment_id)
        self.assertEqual(self.other_customer.credit_segment_mode, "auto")

    def test_an_ongoing_anomaly_is_warned_once(self):
        self.cron.method_direct_trigger()
        self.cron.method_direct_trigger()
        activity = self._warnings(self.customer)
        self.assertEqual(len(activity), 1)
        # the nightly assignment keeps the warning's proposal (the rule would send the customer to Good payers)
        self.assertEqual(self.customer.credit_proposed_segment_id, self.watch)

        # done with the activity: still quiet for 90 days after the warning
        activity.action_feedback(feedback="Called, they had a cash-flow problem")
        self.customer.sudo().credit_warning_date = self.today - timedelta(days=89)
        self.assertFalse(self._detect())
        self.customer.sudo().credit_warning_date = self.today - timedelta(days=90)
        self.assertEqual(self._detect(), self.customer)
        self.assertEqual(len(self._warnings(self.customer)), 1)

    def test_an_open_warning_activity_blocks_a_new_warning(self):
        self._detect()
        self.customer.sudo().credit_warning_date = self.today - timedelta(days=200)
        self.assertFalse(self._detect())

    def test_manual_segment_is_respected(self):
        self.customer.credit_segment_id = self.good  # by hand: locked
        self.assertEqual(self.customer.credit_segment_mode, "manual")
        self._detect()
        self.assertEqual(self.customer.credit_segment_mode, "manual")
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertEqual(self.customer.credit_proposed_segment_id, self.watch)
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertEqual(self.customer.credit_proposed_segment_id, self.watch)
        self.customer.with_user(self.manager).action_credit_confirm_segment()
        self.assertEqual(self.customer.credit_segment_id, self.watch)
        self.assertEqual(self.customer.credit_segment_mode, "manual")

    def test_without_a_warning_segment_only_the_collector_is_warned(self):
        self.good.warning_segment_id = False
        self._detect()
        self.assertEqual(len(self._warnings(self.customer)), 1)
        self.assertFalse(self.customer.credit_proposed_segment_id)
        self.assertEqual(self.customer.credit_segment_mode, "auto")

    def test_without_collector_the_responsible_user_is_warned(self):
        self.customer.credit_collector_id = False
        self.cron.method_direct_trigger()  # as the scheduled action's user, OdooBot: the administrator gets it
        self.assertEqual(self._warnings(self.customer).user_id, self.env.ref("base.user_admin"))

    # ------------------------------------------------------------------
    # Credit rating
    # ------------------------------------------------------------------

    def test_rating_drop_warns_at_once(self):
        self.customer.write({"credit_rating": "BBB", "credit_rating_source": "Graydon"})
        self.assertFalse(self._warnings(self.customer))
        self.customer.with_user(self.collector).write({"credit_rating": "B-", "credit_rating_date": self.today})
        activity = self._warnings(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.summary, "Early warning: credit rating dropped")
        self.assertIn(
            "Credit rating dropped from BBB to B- (source: Graydon, rating date: 06/15/2026).", str(activity.note)
        )
        self.assertEqual(self.customer.credit_proposed_segment_id, self.watch)
        self.assertEqual(self.customer.credit_warning_reason, "Credit rating dropped from BBB to B-")
        self.assertIn("Early warning: credit rating dropped", self._messages(self.customer)[0].body)

    def test_rising_or_unreadable_ratings_do_nothing(self):
        for old, new in (("B", "BBB"), ("unknown", "B"), ("BBB", "n/a"), ("72", "A")):
            self.customer.credit_rating = old
            self.customer.with_user(self.collector).credit_rating = new
        self.assertFalse(self._warnings(self.customer))
        self.assertFalse(self.customer.credit_proposed_segment_id)
        self.assertFalse(self.customer.credit_warning_date)

    def test_rating_import_compares_each_customer_with_its_own_old_rating(self):
        self.customer.credit_rating = "BBB"
        self.other_customer.credit_rating = "CCC"
        (self.customer | self.other_customer).write({"credit_rating": "B"})
        self.assertEqual(len(self._warnings(self.customer)), 1)  # BBB -> B: down
        self.assertFalse(self._warnings(self.other_customer))  # CCC -> B: up

    # ------------------------------------------------------------------
    # Access and queries
    # ------------------------------------------------------------------

    def test_salesman_cannot_write_the_warning_fields(self):
        for vals in ({"credit_warning_date": self.today}, {"credit_warning_reason": "x"}, {"credit_rating": "D"}):
            with self.assertRaises(AccessError):
                self.customer.with_user(self.salesman).write(vals)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).write({"credit_warning_date": False})

    def test_the_detection_query_count_does_not_grow_with_the_customers(self):
        self._detect()  # the late payer is warned; from now on it is only checked, and nobody else is warned
        self.Partner.invalidate_model(["credit_warning_date"])
        with self.assertQueryCount(3):  # the payments of all customers, the open warnings, the warning dates
            self.assertFalse(self._detect())
        for index in range(3):
            partner = self.Partner.create({"name": f"Vaste betaler {index}", "is_company": True, "customer_rank": 1})
            self._history(partner, BASELINE + STEADY_NOW)
        self.Partner.invalidate_model(["credit_warning_date"])
        with self.assertQueryCount(3):
            self.assertFalse(self._detect())
