import math
from datetime import date, datetime
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.tools import channel_ranking, credit_kpi, payment_anomaly, payment_prediction

D = Decimal
MONDAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestCreditKpi(BaseCase):
    def test_count_back_dso_counts_whole_months_then_a_fraction(self):
        # 212,000 - 100,000 - 80,000 = 32,000 left: 30 + 30 + 32,000 / 70,000 x 30 = 73.714
        sales = [(100000, 30), (80000, 30), (70000, 30)]
        self.assertEqual(credit_kpi.dso_count_back(212000, sales), D("73.7"))

    def test_count_back_dso_uses_each_month_own_days(self):
        # 150,000 - 100,000 (31 days) = 50,000: 31 + 50,000 / 80,000 x 28 = 48.5
        self.assertEqual(credit_kpi.dso_count_back(150000, [(100000, 31), (80000, 28)]), D("48.5"))
        # exactly one month covered: its days and nothing of the next one
        self.assertEqual(credit_kpi.dso_count_back(100000, [(100000, 31), (80000, 28)]), D("31.0"))

    def test_count_back_dso_beyond_the_months_given_is_their_total_days(self):
        self.assertEqual(credit_kpi.dso_count_back(500000, [(100000, 30), (80000, 31)]), D("61.0"))

    def test_count_back_dso_without_sales_is_not_measurable(self):
        self.assertIsNone(credit_kpi.dso_count_back(212000, []))
        self.assertIsNone(credit_kpi.dso_count_back(212000, [(0, 30), (0, 31)]))
        self.assertEqual(credit_kpi.dso_count_back(0, [(100000, 30)]), D("0.0"))
        with self.assertRaises(ValueError):
            credit_kpi.dso_count_back(-1, [(100000, 30)])
        with self.assertRaises(ValueError):
            credit_kpi.dso_count_back(1000, [(-100000, 30)])

    def test_standard_and_best_possible_dso_and_days_delinquent(self):
        # quarter of 90 days, 450,000 sales; 150,000 open of which 120,000 not yet due
        dso = credit_kpi.dso_standard(150000, 450000, 90)
        bpdso = credit_kpi.best_possible_dso(120000, 450000, 90)
        self.assertEqual(dso, D("30.0"))
        self.assertEqual(bpdso, D("24.0"))
        self.assertEqual(credit_kpi.average_days_delinquent(dso, bpdso), D("6.0"))
        # 100,000 / 365,000 x 365 = 100; 1,000 / 3,000 x 30 = 10
        self.assertEqual(credit_kpi.dso_standard(D("100000"), 365000, 365), D("100.0"))
        self.assertEqual(credit_kpi.dso_standard("1000.00", "3000.00", 30), D("10.0"))

    def test_dso_without_sales_is_not_measurable(self):
        self.assertIsNone(credit_kpi.dso_standard(150000, 0, 90))
        self.assertIsNone(credit_kpi.best_possible_dso(120000, 0, 90))
        self.assertIsNone(credit_kpi.average_days_delinquent(None, D("24.0")))
        self.assertIsNone(credit_kpi.average_days_delinquent(D("30.0"), None))
        with self.assertRaises(ValueError):
            credit_kpi.dso_standard(150000, -450000, 90)
        with self.assertRaises(ValueError):
            credit_kpi.average_days_delinquent(-1, 0)

    def test_collection_effectiveness_index(self):
        # (100,000 + 300,000 - 120,000) / (100,000 + 300,000 - 80,000) = 280 / 320 = 87.5%
        self.assertEqual(credit_kpi.collection_effectiveness_index(100000, 300000, 120000, 80000), D("87.5"))
        # everything that fell due was collected
        self.assertEqual(credit_kpi.collection_effectiveness_index(100000, 300000, 80000, 80000), D("100.0"))
        self.assertIsNone(credit_kpi.collection_effectiveness_index(0, 0, 0, 0))
        with self.assertRaises(ValueError):
            credit_kpi.collection_effectiveness_index(100000, 300000, 80000, 90000)

    def test_percent_current(self):
        self.assertEqual(credit_kpi.percent_current(80000, 120000), D("66.7"))
        self.assertEqual(credit_kpi.percent_current(0, 120000), D("0.0"))
        self.assertIsNone(credit_kpi.percent_current(0, 0))
        with self.assertRaises(ValueError):
            credit_kpi.percent_current(130000, 120000)

    def test_promise_kept_rate(self):
        self.assertEqual(credit_kpi.promise_kept_rate(9, 3), D("75.0"))
        self.assertEqual(credit_kpi.promise_kept_rate(2, 1), D("66.7"))
        self.assertIsNone(credit_kpi.promise_kept_rate(0, 0))
        with self.assertRaises(ValueError):
            credit_kpi.promise_kept_rate(-1, 3)

    def test_average_cycle_time(self):
        periods = [
            (date(2026, 6, 1), date(2026, 6, 4)),  # 3 days
            (date(2026, 6, 1), date(2026, 6, 11)),  # 10 days
            (date(2026, 5, 1), date(2026, 5, 21)),  # 20 days
        ]
        self.assertEqual(credit_kpi.average_cycle_time(periods), D("11.0"))
        # 36 hours
        self.assertEqual(credit_kpi.average_cycle_time([(datetime(2026, 6, 1, 8), datetime(2026, 6, 2, 20))]), D("1.5"))
        self.assertIsNone(credit_kpi.average_cycle_time([]))
        with self.assertRaises(ValueError):
            credit_kpi.average_cycle_time([(date(2026, 6, 4), date(2026, 6, 1))])

    def test_actions_per_day(self):
        self.assertEqual(credit_kpi.actions_per_day(230, 20), D("11.5"))
        self.assertEqual(credit_kpi.actions_per_day(7, 3), D("2.3"))
        self.assertIsNone(credit_kpi.actions_per_day(230, 0))
        with self.assertRaises(ValueError):
            credit_kpi.actions_per_day(-1, 20)

    def test_aging_buckets_on_their_boundaries(self):
        items = [
            (date(2026, 7, 1), 100),  # not due yet
            (MONDAY, 50),  # due today: not overdue
            (date(2026, 6, 14), "10.10"),  # 1 day
            (date(2026, 5, 16), 20),  # 30 days
            (date(2026, 5, 15), 30),  # 31 days
            (date(2026, 4, 16), 40),  # 60 days
            (date(2026, 4, 15), 1),  # 61 days
            (date(2026, 3, 17), 2),  # 90 days
            (date(2026, 3, 16), D("3.005")),  # 91 days
            (date(2025, 1, 1), 4),
            (date(2026, 5, 20), -5),  # a credit note, 26 days old
        ]
        self.assertEqual(
            credit_kpi.aging_buckets(items, MONDAY),
            {
                "not_due": D("150.00"),
                "1_30": D("25.10"),
                "31_60": D("70.00"),
                "61_90": D("3.00"),
                "over_90": D("7.01"),
            },
        )
        self.assertEqual(set(credit_kpi.aging_buckets([], MONDAY).values()), {D("0.00")})


@tagged("post_install", "-at_install")
class TestPaymentPrediction(BaseCase):
    def test_recent_payments_weigh_more_and_the_segment_pulls_towards_its_mean(self):
        half_a_year_ago = date(2025, 12, 17)  # 180 days before MONDAY: weight 0.5
        history = [(MONDAY, 10), (half_a_year_ago, 4), (half_a_year_ago, 8)]
        prediction = payment_prediction.expected_days_late(
            history, MONDAY, half_life_days=180, prior_mean=4, prior_weight=2, prior_std=2
        )
        # weights 1, 0.5, 0.5: mean (10 + 2 + 4 + 2 x 4) / (2 + 2) = 6
        self.assertAlmostEqual(prediction.days_late, 6.0)
        self.assertAlmostEqual(prediction.weight, 2.0)
        # (1 x 16 + 0.5 x 4 + 0.5 x 4 + 2 x (2² + (4 - 6)²)) / 4 = 36 / 4 = 9
        self.assertAlmostEqual(prediction.std_days, 3.0)

    def test_the_same_payments_in_another_order_of_time_give_another_mean(self):
        recent_late = [(MONDAY, 20), (date(2025, 12, 17), 0)]
        recent_on_time = [(MONDAY, 0), (date(2025, 12, 17), 20)]
        # (20 + 0) / 1.5 = 13.33 against (0 + 10) / 1.5 = 6.67
        late = payment_prediction.expected_days_late(recent_late, MONDAY, prior_weight=0)
        on_time = payment_prediction.expected_days_late(recent_on_time, MONDAY, prior_weight=0)
        self.assertAlmostEqual(late.days_late, 40 / 3)
        self.assertAlmostEqual(on_time.days_late, 20 / 3)

    def test_without_history_the_prediction_is_the_segment(self):
        prediction = payment_prediction.expected_days_late([], MONDAY, prior_mean=7.5, prior_std=12.0)
        self.assertEqual(prediction, payment_prediction.Prediction(7.5, 12.0, 0.0))
        self.assertEqual(
            payment_prediction.expected_days_late([], MONDAY), payment_prediction.Prediction(0.0, 15.0, 0.0)
        )
        self.assertEqual(
            payment_prediction.expected_days_late([], MONDAY, prior_mean=3, prior_weight=0),
            payment_prediction.Prediction(3.0, 15.0, 0.0),
        )

    def test_a_future_payment_date_counts_as_today(self):
        prediction = payment_prediction.expected_days_late([(date(2026, 7, 1), 12)], MONDAY, prior_weight=3)
        self.assertAlmostEqual(prediction.weight, 1.0)
        self.assertAlmostEqual(prediction.days_late, 3.0)  # 12 / (1 + 3)
        # (1 x 9² + 3 x (15² + 3²)) / 4 = (81 + 702) / 4 = 195.75
        self.assertAlmostEqual(prediction.std_days, math.sqrt(195.75))

    def test_nonsense_parameters_are_refused(self):
        with self.assertRaises(ValueError):
            payment_prediction.expected_days_late([], MONDAY, half_life_days=0)
        with self.assertRaises(ValueError):
            payment_prediction.expected_days_late([], MONDAY, prior_weight=-1)

    def test_expected_payment_date_rounds_half_away_from_zero(self):
        Prediction = payment_prediction.Prediction
        due = date(2026, 6, 30)
        self.assertEqual(payment_prediction.expected_payment_date(due, Prediction(2.5, 1.0, 1.0)), date(2026, 7, 3))
        self.assertEqual(payment_prediction.expected_payment_date(due, Prediction(2.49, 1.0, 1.0)), date(2026, 7, 2))
        self.assertEqual(payment_prediction.expected_payment_date(due, Prediction(-2.5, 1.0, 1.0)), date(2026, 6, 27))

    def test_early_payer_is_never_expected_before_the_invoice_date(self):
        prediction = payment_prediction.Prediction(-40.0, 5.0, 3.0)
        due, invoiced = date(2026, 6, 30), date(2026, 6, 1)
        self.assertEqual(payment_prediction.expected_payment_date(due, prediction, invoice_date=invoiced), invoiced)
        self.assertEqual(payment_prediction.expected_payment_date(due, prediction), date(2026, 5, 21))

    def test_weekly_forecast_buckets_from_monday_and_drops_beyond_13_weeks(self):
        items = [
            (date(2026, 6, 1), 100),  # expected two weeks ago, still open: now
            (MONDAY, 50),
            (date(2026, 6, 21), "25.50"),  # Sunday, same week
            (date(2026, 6, 22), 10),  # next Monday
            (date(2026, 9, 13), 7),  # Sunday of week 12, the last one
            (date(2026, 9, 14), 1000),  # week 13: beyond the forecast
        ]
        forecast = payment_prediction.weekly_forecast(items, MONDAY)
        self.assertEqual(len(forecast), 13)
        self.assertEqual(forecast[0], payment_prediction.WeekBucket(MONDAY, D("175.50")))
        self.assertEqual(forecast[1], (date(2026, 6, 22), D("10")))
        self.assertEqual(forecast[12], (date(2026, 9, 7), D("7")))
        self.assertEqual(sum(bucket.amount for bucket in forecast), D("192.50"))

    def test_weekly_forecast_starts_on_the_monday_of_a_midweek_day(self):
        wednesday = date(2026, 6, 17)
        forecast = payment_prediction.weekly_forecast([(date(2026, 6, 16), 5), (wednesday, 1)], wednesday, weeks=2)
        self.assertEqual(forecast, [(MONDAY, D("6")), (date(2026, 6, 22), D("0"))])

    def test_mean_absolute_error_of_dates_and_numbers(self):
        # 3 days late and 1 day early: (3 + 1) / 2
        pairs = [(date(2026, 6, 1), date(2026, 6, 4)), (date(2026, 6, 10), date(2026, 6, 9))]
        self.assertEqual(payment_prediction.mean_absolute_error(pairs), 2.0)
        self.assertEqual(payment_prediction.mean_absolute_error([(1, 3), (5, 1.5)]), 2.75)
        self.assertIsNone(payment_prediction.mean_absolute_error([]))


@tagged("post_install", "-at_install")
class TestPaymentAnomaly(BaseCase):
    BASELINE = [0, 2, 4, 6, 8]  # mean 4, sample std sqrt(40 / 4) = 3.16

    def test_paying_14_days_later_than_usual_is_an_anomaly(self):
        anomaly, evidence = payment_anomaly.is_late_anomaly(self.BASELINE, [20, 16, 18])
        self.assertTrue(anomaly)
        # statistical margin 2 x 3.16 / sqrt(3) = 3.65, below the 10-day threshold
        self.assertEqual(evidence["reason"], "paying_later")
        self.assertAlmostEqual(evidence["baseline_mean"], 4.0)
        self.assertAlmostEqual(evidence["baseline_std"], math.sqrt(10))
        self.assertAlmostEqual(evidence["recent_mean"], 18.0)
        self.assertAlmostEqual(evidence["excess"], 14.0)
        self.assertAlmostEqual(evidence["margin"], 10.0)
        self.assertEqual((evidence["baseline_count"], evidence["recent_count"]), (5, 3))

    def test_exactly_the_threshold_is_not_an_anomaly(self):
        anomaly, evidence = payment_anomaly.is_late_anomaly(self.BASELINE, [12, 14, 16])
        self.assertFalse(anomaly)
        self.assertEqual(evidence["reason"], "within_margin")
        self.assertAlmostEqual(evidence["excess"], 10.0)

    def test_an_erratic_payer_needs_a_larger_jump(self):
        erratic = [0, 40, 0, 40, 0, 40]  # mean 20, sample std sqrt(2400 / 5) = 21.9
        # margin 2 x 21.9 / sqrt(4) = 21.9: 20 days later is within the usual spread, 30 is not
        anomaly, evidence = payment_anomaly.is_late_anomaly(erratic, [40, 40, 40, 40])
        self.assertFalse(anomaly)
        self.assertAlmostEqual(evidence["margin"], math.sqrt(480))
        anomaly, evidence = payment_anomaly.is_late_anomaly(erratic, [50, 50, 50, 50])
        self.assertTrue(anomaly)

    def test_too_few_payments_are_no_evidence(self):
        anomaly, evidence = payment_anomaly.is_late_anomaly([0, 2, 4, 6], [40, 40, 40])
        self.assertFalse(anomaly)
        self.assertEqual(evidence["reason"], "not_enough_baseline")
        self.assertIsNone(evidence["margin"])
        anomaly, evidence = payment_anomaly.is_late_anomaly(self.BASELINE, [40, 40])
        self.assertFalse(anomaly)
        self.assertEqual(evidence["reason"], "not_enough_recent")
        anomaly, evidence = payment_anomaly.is_late_anomaly([], [])
        self.assertFalse(anomaly)
        self.assertIsNone(evidence["baseline_mean"])

    def test_letter_grade_drops(self):
        self.assertTrue(payment_anomaly.rating_dropped("AAA", "AA"))
        self.assertTrue(payment_anomaly.rating_dropped("BBB", "BB"))
        self.assertTrue(payment_anomaly.rating_dropped("C", "D"))
        self.assertFalse(payment_anomaly.rating_dropped("BBB", "A"))
        self.assertFalse(payment_anomaly.rating_dropped("BB", "BB"))

    def test_letter_grade_notches_and_case(self):
        self.assertTrue(payment_anomaly.rating_dropped("BBB", "bbb-"))
        self.assertTrue(payment_anomaly.rating_dropped("BBB+", "BBB"))
        self.assertFalse(payment_anomaly.rating_dropped("bbb-", "BBB"))
        self.assertTrue(payment_anomaly.rating_dropped("BBB-", "BB+"))

    def test_numeric_score_drops(self):
        self.assertTrue(payment_anomaly.rating_dropped(80, 65))
        self.assertFalse(payment_anomaly.rating_dropped(65, 80))
        self.assertTrue(payment_anomaly.rating_dropped("72", " 70.5 "))
        self.assertFalse(payment_anomaly.rating_dropped(D("70"), 70.0))

    def test_unknown_ratings_are_no_drop(self):
        self.assertFalse(payment_anomaly.rating_dropped(None, "B"))
        self.assertFalse(payment_anomaly.rating_dropped("A", None))
        self.assertFalse(payment_anomaly.rating_dropped(False, "D"))  # an empty Odoo field
        self.assertFalse(payment_anomaly.rating_dropped("XYZ", "B"))
        self.assertFalse(payment_anomaly.rating_dropped("A", 70))
        self.assertFalse(payment_anomaly.rating_dropped("A++", "D"))


@tagged("post_install", "-at_install")
class TestChannelRanking(BaseCase):
    OBSERVATIONS = [
        ("email", 3),
        ("email", 5),
        ("email", None),
        ("email", 10),
        ("sms", 2),
        ("sms", 4),
        ("sms", 6),
        ("phone", 1),
        ("phone", 2),
        ("phone", 3),
        ("phone", 4),
        ("letter", 1),
        ("letter", 1),
    ]

    def test_channels_rank_by_paid_ratio_then_median_days_then_thin_evidence_last(self):
        ranking = channel_ranking.rank_channels(self.OBSERVATIONS)
        self.assertEqual([row["channel"] for row in ranking], ["phone", "sms", "email", "letter"])
        self.assertEqual(
            ranking[0],
            {
                "channel": "phone",
                "count": 4,
                "paid_count": 4,
                "paid_ratio": 1.0,
                "median_days": 2.5,
                "enough_evidence": True,
            },
        )
        self.assertEqual((ranking[1]["paid_ratio"], ranking[1]["median_days"]), (1.0, 4))
        self.assertEqual((ranking[2]["paid_ratio"], ranking[2]["median_days"]), (0.75, 5))
        # letter: paid fastest, but only two reminders
        self.assertEqual((ranking[3]["paid_ratio"], ranking[3]["enough_evidence"]), (1.0, False))

    def test_a_channel_that_never_led_to_a_payment_has_no_median(self):
        ranking = channel_ranking.rank_channels([("sms", None)] * 3 + [("email", 30)] * 3)
        self.assertEqual([row["channel"] for row in ranking], ["email", "sms"])
        self.assertEqual((ranking[1]["paid_ratio"], ranking[1]["median_days"]), (0.0, None))

    def test_the_minimum_evidence_is_configurable(self):
        ranking = channel_ranking.rank_channels(self.OBSERVATIONS, min_observations=2)
        self.assertEqual([row["channel"] for row in ranking], ["letter", "phone", "sms", "email"])
        self.assertEqual(channel_ranking.rank_channels([]), [])
        with self.assertRaises(ValueError):
            channel_ranking.rank_channels([("email", -1)])

    def test_the_customer_own_best_channel_wins_when_it_has_enough_evidence(self):
        customer = [("sms", 1), ("sms", 2), ("sms", 3), ("email", 1)]
        channel, source, evidence = channel_ranking.best_channel(customer, self.OBSERVATIONS)
        self.assertEqual((channel, source), ("sms", "customer"))
        self.assertEqual((evidence["count"], evidence["median_days"]), (3, 2))

    def test_the_segment_decides_when_the_customer_has_too_little_evidence(self):
        channel, source, evidence = channel_ranking.best_channel([("sms", 1), ("sms", 2)], self.OBSERVATIONS)
        self.assertEqual((channel, source), ("phone", "segment"))
        self.assertEqual(evidence["paid_ratio"], 1.0)

    def test_a_channel_that_never_led_to_a_payment_is_not_recommended(self):
        never_paid = [("sms", None)] * 3
        self.assertEqual(channel_ranking.best_channel(never_paid, self.OBSERVATIONS)[:2], ("phone", "segment"))
        self.assertEqual(channel_ranking.best_channel(never_paid, [("email", None)] * 5), (None, None, {}))
        self.assertEqual(channel_ranking.best_channel([], []), (None, None, {}))
