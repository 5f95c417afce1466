from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, CreditControlCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestPeriodicReview(CreditControlCommon):
    """The daily run opens a periodic review (``credit.review`` of kind *review*) when a customer's segment asks for
    one: its last credit decision is older than the segment's frequency, or its bureau rating older than allowed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["credit.segment"].create(
            {
                "name": "Low risk",
                "partner_domain": "[('id', '=', 0)]",
                "review_interval_months": 12,
                "rating_max_age_months": 12,
            }
        )
        cls.customer.write(
            {
                "credit_segment_id": cls.segment.id,
                "credit_segment_mode": "manual",
                "credit_limit": 10000.0,
                "credit_collector_id": cls.collector.id,
            }
        )
        cls.company_b = cls.setup_other_company(name="Van Dijk België")["company"]
        cls.Review = cls.env["credit.review"]

    def _months_ago(self, months):
        return self.today - relativedelta(months=months)

    def _decided(self, partner, months_ago, limit=10000.0):
        """A credit application for ``partner`` approved ``months_ago`` months before today."""
        with freeze_time(self._months_ago(months_ago)):
            application = self.Review.with_user(self.salesman).create(
                {"partner_id": partner.id, "requested_limit": limit, "request_reason": "Vaste klant"}
            )
            application.with_user(self.manager).action_approve("Goed betaalgedrag")
        return application

    def _reviews(self, partner=None, company=None):
        return self.Review.search(
            [
                ("kind", "=", "review"),
                ("partner_id", "=", (partner or self.customer).id),
                ("company_id", "=", (company or self.company).id),
            ]
        )

    def _open(self, days=0, company=None):
        """The periodic-review step of the company's daily run, ``days`` from today."""
        with freeze_time(self._days(days)):
            return self.Review._credit_open_periodic_reviews(company or self.company)

    # ------------------------------------------------------------------
    # When a review is due
    # ------------------------------------------------------------------

    def test_due_by_interval_asks_the_current_limit_again(self):
        self._decided(self.customer, 13)
        reviews = self._open()
        self.assertEqual(reviews, self._reviews())
        self.assertRecordValues(
            reviews,
            [
                {
                    "kind": "review",
                    "state": "submitted",
                    "partner_id": self.customer.id,
                    "requested_limit": 10000.0,
                    "decided_limit": 10000.0,
                    "request_reason": "Periodic review: last review 13 months ago",
                }
            ],
        )
        self.assertTrue(reviews.name.startswith("CRA/"))

    def test_the_reason_is_written_in_the_company_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        self.company.partner_id.lang = "nl_NL"
        self.customer.credit_rating_date = self._months_ago(14)
        self._decided(self.customer, 12)
        review = self._open()
        self.assertEqual(
            review.request_reason,
            "Periodieke herziening: laatste herziening 12 maanden geleden\nRating van 14 maanden oud",
        )
        self.assertEqual(review.activity_ids.summary, "Kredietlimiet van Garage De Vries B.V. herzien")

    def test_due_by_rating_age(self):
        # the customer was created today by the test (the interval counts from there): only the rating is old
        self.customer.write({"credit_rating": "A", "credit_rating_date": self._months_ago(14)})
        review = self._open()
        self.assertEqual(review.request_reason, "Rating of 14 months old")
        # a decision on the old rating waits the maximum age again for a new one
        review.with_user(self.manager).action_approve("Rating komt volgende maand; betaalt op tijd")
        self.assertFalse(self._open(days=300))
        self.assertIn("Rating of 26 months old", self._open(days=370).request_reason)

    def test_not_due_within_the_interval_and_the_rating_age(self):
        self._decided(self.customer, 11)
        self.customer.credit_rating_date = self._months_ago(11)
        self.assertFalse(self._open())
        self.assertFalse(self._reviews())

    def test_a_segment_without_frequency_asks_no_review(self):
        self.segment.write({"review_interval_months": 0, "rating_max_age_months": 0})
        self._decided(self.customer, 60)
        self.customer.credit_rating_date = self._months_ago(60)
        self.assertFalse(self._open())
        # nor does a customer without a segment
        self.segment.review_interval_months = 12
        self.customer.credit_segment_id = False
        self.assertFalse(self._open())

    def test_customers_without_limit_and_exposure_are_skipped(self):
        self.customer.credit_rating_date = self._months_ago(14)
        self.customer.credit_limit = 0.0
        self.assertFalse(self._open())
        # an exposure without a limit is reviewed, asking a limit of 0
        self._invoice(self.customer, 1250.0, due_in=10)
        self.assertRecordValues(self._open(), [{"requested_limit": 0.0, "partner_id": self.customer.id}])

    # ------------------------------------------------------------------
    # Once per customer
    # ------------------------------------------------------------------

    def test_once_per_customer_across_two_runs(self):
        self._decided(self.customer, 13)
        first = self._open()
        self.assertEqual(len(first), 1)
        self.assertFalse(self._open())  # a second run the same day
        self.assertFalse(self._open(days=1))  # the next day, while the review is open
        with freeze_time(self._days(2)):
            self.env.ref("credit_control.ir_cron_credit_followup").method_direct_trigger()
        self.assertEqual(self._reviews(), first)
        self.assertEqual(len(first.activity_ids), 1)

    def test_an_open_application_counts_as_the_open_review(self):
        self._decided(self.customer, 13)
        self.Review.with_user(self.salesman).create(
            {"partner_id": self.customer.id, "requested_limit": 20000.0, "request_reason": "Meer omzet"}
        )
        self.assertFalse(self._open())

    def test_a_salesperson_can_neither_open_a_review_nor_silence_the_managers(self):
        application = (
            self.Review.with_user(self.salesman)
            .with_context(credit_review_activities_scheduled=True)
            .create(
                {"kind": "review", "partner_id": self.customer.id, "requested_limit": 1.0, "request_reason": "Stil"}
            )
        )
        self.assertEqual(application.kind, "application")
        self.assertIn(self.manager, application.activity_ids.user_id)

    def test_the_database_refuses_a_second_open_review(self):
        self._decided(self.customer, 13)
        self._open()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Review.create(
                {
                    "kind": "review",
                    "partner_id": self.customer.id,
                    "requested_limit": 10000.0,
                    "request_reason": "Tweede herziening",
                }
            ).flush_recordset()

    # ------------------------------------------------------------------
    # The activity and the decision
    # ------------------------------------------------------------------

    def test_the_collector_gets_the_activity_and_the_decision_closes_it(self):
        self._decided(self.customer, 13)
        review = self._open()
        activity = review.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "user_id": self.collector.id,
                    "activity_type_id": self.env.ref("credit_control.mail_activity_type_credit_review").id,
                    "date_deadline": self.today,
                }
            ],
        )
        self.assertIn("last review 13 months ago", str(activity.note))
        # approve = keep the limit: no change in the limit history
        history = self.env["credit.limit.history"].search_count([("partner_id", "=", self.customer.id)])
        review.with_user(self.manager).action_approve("Betaalt op tijd, limiet blijft")
        self.assertRecordValues(review, [{"state": "approved", "decided_limit": 10000.0}])
        self.assertFalse(review.activity_ids)
        self.assertFalse(activity.exists().filtered("active"))  # done, not left open
        self.assertEqual(self.customer.credit_limit, 10000.0)
        self.assertEqual(
            self.env["credit.limit.history"].search_count([("partner_id", "=", self.customer.id)]), history
        )

    def test_without_a_collector_the_credit_managers_get_the_activity(self):
        self.customer.credit_collector_id = False
        other_manager = new_test_user(
            self.env,
            login="manager_b",
            groups="credit_control.group_credit_control_manager",
            company_id=self.company_b.id,
        )
        self._decided(self.customer, 13)
        review = self._open()
        users = review.activity_ids.user_id
        self.assertIn(self.manager, users)
        self.assertNotIn(other_manager, users)  # a manager of another company only
        self.assertNotIn(self.collector, users)

    def test_deciding_starts_the_next_interval(self):
        self._decided(self.customer, 13)
        review = self._open()
        review.with_user(self.manager).write({"decided_limit": 8000.0})
        review.with_user(self.manager).action_approve("Omzet gedaald: limiet omlaag")
        self.assertEqual(self.customer.credit_limit, 8000.0)
        self.assertFalse(self._open(days=1))
        self.assertFalse(self._open(days=360))
        # twelve months after the decision the next review is due
        next_review = self._open(days=365)
        self.assertRecordValues(
            next_review,
            [{"requested_limit": 8000.0, "request_reason": "Periodic review: last review 12 months ago"}],
        )

    def test_a_cancelled_review_is_opened_again(self):
        self._decided(self.customer, 13)
        self._open().with_user(self.manager).action_cancel()
        self.assertEqual(len(self._open(days=1)), 1)

    # ------------------------------------------------------------------
    # Companies and cost
    # ------------------------------------------------------------------

    def test_another_company_reviews_only_its_own_customers(self):
        company_b = self.company_b
        self._decided(self.customer, 13)
        self.customer.credit_rating_date = self._months_ago(30)
        self.assertFalse(self._open(company=company_b))  # the customer has no segment in company B
        self.assertFalse(self._reviews(company=company_b))
        self.assertEqual(len(self._open()), 1)
        # with a segment in company B, its review of the customer is company B's own
        segment_b = self.segment.copy({"company_id": company_b.id})
        self.customer.with_company(company_b).write(
            {"credit_segment_id": segment_b.id, "credit_segment_mode": "manual", "credit_limit": 3000.0}
        )
        review_b = self._open(company=company_b)
        self.assertRecordValues(
            review_b,
            [{"company_id": company_b.id, "requested_limit": 3000.0, "request_reason": "Rating of 30 months old"}],
        )

    def test_query_count_does_not_grow_with_the_customers(self):
        Partner = self.env["res.partner"]

        def customers(count, prefix):
            partners = Partner.create(
                [{"name": f"{prefix} {index}", "is_company": True, "customer_rank": 1} for index in range(count)]
            )
            partners.write(
                {
                    "credit_segment_id": self.segment.id,
                    "credit_segment_mode": "manual",
                    "credit_limit": 5000.0,
                    "credit_rating": "B",
                    "credit_rating_date": self._months_ago(14),
                    "credit_collector_id": self.collector.id,
                }
            )
            partners.flush_recordset()
            return partners

        # as the cron runs it: with the chatter and tracking (the test class disables them)
        self.Review = self.Review.with_context(tracking_disable=False, mail_create_nolog=False)
        # two runs fill the caches: the sequence's year, the activity type, the model id, the defaults
        for run in range(2):
            customers(2, f"Warm-up {run}")
            with self.assertQueryCount(100):
                self.assertEqual(len(self._open()), 2)
        counts = {}
        for count in (2, 20):
            customers(count, f"Klant {count}")
            self.env.cr.precommit.run()  # the previous run's notifications
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            # the query, the limits, the exposure of none, the sequence, the reviews, their chatter, the activities,
            # the notes' language (the company's partner's language read alone, see ``_credit_note_lang``)
            with self.assertQueryCount(34):
                self.assertEqual(len(self._open()), count)
            counts[count] = self.env.cr.sql_log_count - start
        self.assertEqual(counts[2], counts[20])
