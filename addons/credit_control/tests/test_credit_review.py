from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, CreditControlCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCreditReview(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_salesman = new_test_user(
            cls.env, login="salesman_2", groups="sales_team.group_sale_salesman", company_id=cls.company.id
        )
        cls.customer.write({"credit_rating": "BB", "credit_rating_advised_limit": 20000.0})

    def _apply(self, limit=12000.0, user=None, **vals):
        return (
            self.env["credit.review"]
            .with_user(user or self.salesman)
            .create(
                dict(
                    {
                        "partner_id": self.customer_contact.id,
                        "requested_limit": limit,
                        "expected_monthly_volume": 3000.0,
                        "request_reason": "Nieuwe dealer, vier orders per maand",
                    },
                    **vals,
                )
            )
        )

    def test_from_a_blocked_quotation_to_a_decided_limit(self):
        self.customer.with_user(self.manager).credit_limit = 1000.0
        order = self._order(self.customer, 4000.0, user=self.salesman)
        action = order.with_user(self.salesman).action_credit_request_limit()
        self.assertEqual(action["context"]["default_requested_limit"], 4000.0)
        review = self._apply(
            limit=action["context"]["default_requested_limit"],
            order_id=order.id,
            state="approved",  # ignored: the workflow decides
            decided_limit=999999.0,
        )
        self.assertRecordValues(
            review,
            [
                {
                    "state": "submitted",
                    "partner_id": self.customer.id,  # the commercial partner, not the contact
                    "requested_by_id": self.salesman.id,
                    "decided_limit": 4000.0,
                }
            ],
        )
        self.assertTrue(review.name.startswith("CRA/"))
        self.assertIn(self.manager, review.activity_ids.user_id)
        # what the credit manager decides by
        as_manager = review.with_user(self.manager)
        self.assertEqual(as_manager.current_limit, 1000.0)
        self.assertEqual(as_manager.credit_rating, "BB")
        self.assertEqual(as_manager.credit_rating_advised_limit, 20000.0)
        as_manager.write({"decided_limit": 2500.0, "decision_reason": "Score BB: eerst kleiner beginnen"})
        as_manager.action_approve_lower()
        self.assertRecordValues(
            review, [{"state": "approved_lower", "decided_limit": 2500.0, "decided_by_id": self.manager.id}]
        )
        self.assertEqual(self.customer.credit_limit, 2500.0)
        history = self.env["credit.limit.history"].search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertEqual((history.old_limit, history.new_limit), (1000.0, 2500.0))
        self.assertIn(review.name, history.reason)
        self.assertIn("Score BB", history.reason)
        self.assertFalse(review.activity_ids)
        self.assertIn(self.salesman.partner_id, review.message_ids[0].partner_ids)
        # decided: kept as it is
        with self.assertRaises(AccessError):
            as_manager.write({"decision_reason": "toch anders"})
        with self.assertRaises(UserError):
            as_manager.action_reject("te laat")
        with self.assertRaises(UserError):
            review.unlink()

    def test_salespeople_ask_but_never_decide(self):
        review = self._apply()
        as_salesman = review.with_user(self.salesman)
        for method in ("action_approve", "action_approve_lower", "action_approve_prepayment", "action_reject"):
            with self.assertRaises(AccessError):
                getattr(as_salesman, method)("mijn klant")
        for vals in (
            {"state": "approved"},
            {"decided_limit": 50000.0},
            {"decision_reason": "goed"},
            {"requested_by_id": self.other_salesman.id},
        ):
            with self.assertRaises(AccessError):
                as_salesman.write(vals)
        as_salesman.write({"requested_limit": 15000.0})  # the requester may still change the request
        with self.assertRaises(AccessError):
            review.with_user(self.other_salesman).read(["requested_limit"])  # not theirs
        with self.assertRaises(AccessError):
            review.with_user(self.other_salesman).write({"requested_limit": 1.0})
        self.assertEqual(self.customer.credit_limit, 0.0)
        # the profile is credit staff's
        with self.assertRaises(AccessError):
            as_salesman.read(["credit_rating"])

    def test_every_decision_needs_a_reason_and_sane_figures(self):
        review = self._apply().with_user(self.manager)
        with self.assertRaisesRegex(UserError, "reason"):
            review.action_approve()
        with self.assertRaisesRegex(UserError, "below the requested"):
            review.action_approve_lower("lager", limit=12000.0)
        with self.assertRaisesRegex(UserError, "percentage"):
            review.action_approve_prepayment("vooruit", percent=0.0)
        review.action_approve_prepayment("Nieuwe klant: de eerste orders 50% vooraf", percent=50.0)
        self.assertRecordValues(
            review, [{"state": "approved_prepayment", "prepayment_percent": 50.0, "decided_limit": 12000.0}]
        )
        self.assertEqual(self.customer.credit_limit, 12000.0)

    def test_rejection_keeps_the_limit_and_the_reason(self):
        self.customer.with_user(self.manager).credit_limit = 500.0
        review = self._apply()
        review.with_user(self.manager).action_reject("Twee keer betalingsachterstand bij Graydon gemeld")
        self.assertRecordValues(
            review,
            [{"state": "rejected", "decision_reason": "Twee keer betalingsachterstand bij Graydon gemeld"}],
        )
        self.assertEqual(self.customer.credit_limit, 500.0)

    def test_the_requester_may_cancel_before_the_decision(self):
        review = self._apply()
        with self.assertRaises(AccessError):
            review.with_user(self.other_salesman).action_cancel()
        review.with_user(self.salesman).action_cancel()
        self.assertEqual(review.state, "cancelled")
        self.assertFalse(review.activity_ids)
        with self.assertRaises(UserError):
            review.with_user(self.manager).action_approve("te laat")
