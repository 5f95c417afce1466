from datetime import date
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.tools import be_consumer, nl_bik, statutory_interest

D = Decimal
EASTER_MONDAY_2024 = date(2024, 4, 1)


@tagged("post_install", "-at_install")
class TestDutchCollectionCosts(BaseCase):
    def test_scale_charges_15_10_and_5_percent_up_to_10000(self):
        self.assertEqual(nl_bik.bik_collection_costs(2500), D("375.00"))
        self.assertEqual(nl_bik.bik_collection_costs(5000), D("625.00"))
        self.assertEqual(nl_bik.bik_collection_costs(10000), D("875.00"))

    def test_scale_charges_1_percent_to_200000_and_half_percent_above(self):
        # 875 + 1% of 190,000 = 2,775; then 0.5% of 100,000 = 500
        self.assertEqual(nl_bik.bik_collection_costs(200000), D("2775.00"))
        self.assertEqual(nl_bik.bik_collection_costs(300000), D("3275.00"))

    def test_costs_are_at_least_40_euros(self):
        self.assertEqual(nl_bik.bik_collection_costs(200), D("40.00"))
        self.assertEqual(nl_bik.bik_collection_costs("0.01"), D("40.00"))
        # 15% of 267 = 40.05, just above the minimum
        self.assertEqual(nl_bik.bik_collection_costs(267), D("40.05"))

    def test_costs_are_at_most_6775_euros(self):
        self.assertEqual(nl_bik.bik_collection_costs(1000000), D("6775.00"))
        self.assertEqual(nl_bik.bik_collection_costs(5000000), D("6775.00"))

    def test_costs_are_rounded_half_up_to_the_cent(self):
        # 15% of 266.70 = 40.005
        self.assertEqual(nl_bik.bik_collection_costs(D("266.70")), D("40.01"))
        self.assertEqual(nl_bik.bik_collection_costs(266.7), D("40.01"))

    def test_nothing_to_collect_gives_no_costs_and_negative_is_refused(self):
        self.assertEqual(nl_bik.bik_collection_costs(0), D("0.00"))
        with self.assertRaises(ValueError):
            nl_bik.bik_collection_costs(-1)

    def test_costs_may_be_charged_15_days_after_the_letter_is_received(self):
        # received Tuesday 5 March; the term runs 6-19 March; costs from Wednesday 20 March
        self.assertEqual(nl_bik.nl_fourteen_day_letter_deadline(date(2024, 3, 5)), date(2024, 3, 20))

    def test_term_ending_in_a_weekend_runs_to_monday(self):
        # received Saturday 2 March; day 14 is Saturday 16 March, extended to Monday 18 March
        self.assertEqual(nl_bik.nl_fourteen_day_letter_deadline(date(2024, 3, 2)), date(2024, 3, 19))

    def test_term_ending_on_a_public_holiday_runs_to_the_next_working_day(self):
        received = date(2024, 3, 18)  # day 14 is Easter Monday
        self.assertEqual(nl_bik.nl_fourteen_day_letter_deadline(received), date(2024, 4, 2))
        self.assertEqual(
            nl_bik.nl_fourteen_day_letter_deadline(received, holidays=[EASTER_MONDAY_2024]), date(2024, 4, 3)
        )


@tagged("post_install", "-at_install")
class TestBelgianConsumerRules(BaseCase):
    def test_first_reminder_is_free_even_with_postage(self):
        self.assertEqual(be_consumer.be_reminder_fee(1, postage=D("1.43")), D("0.00"))

    def test_further_reminders_cost_at_most_750_plus_postage(self):
        self.assertEqual(be_consumer.be_reminder_fee(2), D("7.50"))
        self.assertEqual(be_consumer.be_reminder_fee(3, postage=D("1.43")), D("8.93"))

    def test_cap_applies_to_every_further_reminder(self):
        # art. XIX.2 CEL sets no yearly number of charged reminders: each further one may cost the cap
        self.assertEqual([be_consumer.be_reminder_fee(n, postage=D("1.43")) for n in (2, 3, 4)], [D("8.93")] * 3)

    def test_an_email_reminder_has_no_postage(self):
        self.assertEqual(be_consumer.be_reminder_fee(2, postage=D("1.43"), by_post=False), D("7.50"))
        self.assertEqual(be_consumer.be_reminder_fee(1, postage=D("1.43"), by_post=False), D("0.00"))

    def test_regular_supply_reminders_about_three_due_dates_a_year_are_free(self):
        # a subscription: every reminder about the first three due dates reminded in a year is free, even a second one
        for due_date in (1, 2, 3):
            self.assertEqual(be_consumer.be_reminder_fee(2, postage=1, regular_supply_due_date=due_date), D("0.00"))
        # from the fourth due date of the year even the first reminder may cost the cap
        self.assertEqual(be_consumer.be_reminder_fee(1, postage=1, regular_supply_due_date=4), D("8.50"))
        self.assertEqual(be_consumer.be_reminder_fee(1, postage=1, by_post=False, regular_supply_due_date=4), D("7.50"))

    def test_reminders_are_numbered_from_one(self):
        with self.assertRaises(ValueError):
            be_consumer.be_reminder_fee(0)
        with self.assertRaises(ValueError):
            be_consumer.be_reminder_fee(1, regular_supply_due_date=0)
        with self.assertRaises(ValueError):
            be_consumer.be_reminder_fee(2, postage=-1)

    def test_damages_are_capped_at_20_euros_up_to_150(self):
        self.assertEqual(be_consumer.be_damages_cap(100), D("20.00"))
        self.assertEqual(be_consumer.be_damages_cap(150), D("20.00"))

    def test_damages_from_150_to_500_are_30_plus_10_percent_above_150(self):
        self.assertEqual(be_consumer.be_damages_cap(D("150.01")), D("30.00"))
        self.assertEqual(be_consumer.be_damages_cap(400), D("55.00"))  # 30 + 10% x 250
        self.assertEqual(be_consumer.be_damages_cap(500), D("65.00"))  # 30 + 10% x 350

    def test_damages_above_500_are_65_plus_5_percent_above_500(self):
        self.assertEqual(be_consumer.be_damages_cap(1000), D("90.00"))  # 65 + 5% x 500
        self.assertEqual(be_consumer.be_damages_cap(39000), D("1990.00"))  # 65 + 5% x 38,500

    def test_damages_never_exceed_2000_euros(self):
        self.assertEqual(be_consumer.be_damages_cap(40000), D("2000.00"))

    def test_email_reminder_term_starts_the_next_calendar_day(self):
        # art. XIX.2 CEL: sent Monday 4 March, the term runs 5-18 March, chargeable Tuesday 19 March
        self.assertEqual(be_consumer.be_first_chargeable_date(date(2024, 3, 4), by_email=True), date(2024, 3, 19))
        # sent Friday 8 March: the term starts on Saturday 9 March, a weekend does not move it
        self.assertEqual(be_consumer.be_first_chargeable_date(date(2024, 3, 8), by_email=True), date(2024, 3, 23))
        # sent the Sunday before Easter Monday: the term still starts on the holiday
        self.assertEqual(
            be_consumer.be_first_chargeable_date(date(2024, 3, 31), by_email=True, holidays=[EASTER_MONDAY_2024]),
            date(2024, 4, 15),
        )

    def test_paper_reminder_term_starts_the_third_working_day(self):
        # sent Monday 4 March: third working day Thursday 7 March, chargeable Thursday 21 March
        self.assertEqual(be_consumer.be_first_chargeable_date(date(2024, 3, 4), by_email=False), date(2024, 3, 21))
        # sent Friday 8 March: Monday, Tuesday, Wednesday 13 March; chargeable 27 March
        self.assertEqual(be_consumer.be_first_chargeable_date(date(2024, 3, 8), by_email=False), date(2024, 3, 27))

    def test_paper_reminder_skips_public_holidays(self):
        sent = date(2024, 3, 28)  # Thursday before Easter
        self.assertEqual(be_consumer.be_first_chargeable_date(sent, by_email=False), date(2024, 4, 16))
        self.assertEqual(
            be_consumer.be_first_chargeable_date(sent, by_email=False, holidays=[EASTER_MONDAY_2024]),
            date(2024, 4, 17),
        )


@tagged("post_install", "-at_install")
class TestStatutoryInterest(BaseCase):
    def test_full_non_leap_year_at_4_percent(self):
        rates = [(date(2023, 1, 1), D(4))]
        self.assertEqual(
            statutory_interest.statutory_interest(1000, date(2023, 1, 1), date(2023, 12, 31), rates), D("40.00")
        )

    def test_first_and_last_day_both_count(self):
        rates = [(date(2023, 1, 1), D(4))]
        # one day: 1,000 x 4% / 365 = 0.1096
        self.assertEqual(
            statutory_interest.statutory_interest(1000, date(2023, 3, 1), date(2023, 3, 1), rates), D("0.11")
        )
        self.assertEqual(
            statutory_interest.statutory_interest(1000, date(2023, 3, 2), date(2023, 3, 1), rates), D("0.00")
        )

    def test_leap_year_divides_by_365(self):
        rates = [(date(2024, 1, 1), D(4))]
        # 1,000 x 4% x 366 / 365 = 40.1096
        self.assertEqual(
            statutory_interest.statutory_interest(1000, date(2024, 1, 1), date(2024, 12, 31), rates), D("40.11")
        )

    def test_each_part_of_a_split_period_uses_its_own_rate(self):
        # Dutch consumer rate: 4% until 30 June 2023, 6% from 1 July 2023
        # June: 10,000 x 4% x 30/365 = 32.8767; July: 10,000 x 6% x 31/365 = 50.9589; total 83.8356
        rates = [(date(2020, 1, 1), D(2)), (date(2023, 1, 1), D(4)), (date(2023, 7, 1), D(6))]
        interest = statutory_interest.statutory_interest(10000, date(2023, 6, 1), date(2023, 7, 31), rates)
        self.assertEqual(interest, D("83.84"))

    def test_compounding_adds_each_year_of_interest_to_the_principal(self):
        rates = [(date(2020, 1, 1), D(8))]
        args = (10000, date(2021, 1, 1), date(2022, 12, 31), rates)
        # 800 in the first year, then 8% of 10,800 = 864
        self.assertEqual(statutory_interest.statutory_interest(*args, compound_yearly=True), D("1664.00"))
        self.assertEqual(statutory_interest.statutory_interest(*args), D("1600.00"))

    def test_compounding_counts_years_from_the_first_day_of_delay(self):
        rates = [(date(2020, 1, 1), D(8))]
        # year 1 (15 Mar 2021 - 14 Mar 2022): 800; then 10,800 x 8% x 31/365 = 73.3808
        interest = statutory_interest.statutory_interest(
            10000, date(2021, 3, 15), date(2022, 4, 14), rates, compound_yearly=True
        )
        self.assertEqual(interest, D("873.38"))

    def test_days_before_the_first_known_rate_are_refused(self):
        with self.assertRaises(ValueError):
            statutory_interest.statutory_interest(1000, date(2019, 12, 31), date(2020, 1, 31), [(date(2020, 1, 1), 8)])

    def test_unsorted_rates_are_refused(self):
        rates = [(date(2021, 1, 1), 8), (date(2020, 1, 1), 8)]
        with self.assertRaises(ValueError):
            statutory_interest.statutory_interest(1000, date(2021, 1, 1), date(2021, 1, 31), rates)
