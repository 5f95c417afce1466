from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.credit_control.models import credit_action_step

from .common import TODAY, CreditControlCommon

# What the daily run costs per action taken, outside the email posting: the action's savepoint and its release,
# then, flushed by the next action's savepoint, the action's result and the items' new level. Everything else is
# per batch. (Issue 13: the run doubled unnoticed, from the payment link's token written invoice by invoice.)
PER_ACTION_QUERIES = 4


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDailyRunQueries(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        first = cls.env.ref("credit_control.mail_template_credit_first")
        cls._policy(
            "Daily",
            {"name": "Reminder", "days": 7, "mail_template_id": first.id, "interest_type": "nl_commercial"},
        )
        # one customer reaches the reminder on day 0 (the warm-up), 2 on day 1, 20 on day 2
        cls.groups = {}
        for day, count in ((0, 1), (1, 2), (2, 20)):
            customers = cls.Partner.create(
                [
                    {
                        "name": f"Klant {day}-{index}",
                        "is_company": True,
                        "customer_rank": 1,
                        "email": f"klant{day}.{index}@example.com",
                    }
                    for index in range(count)
                ]
            )
            for customer in customers:
                cls._invoice(customer, 100.0 + day, due_in=day - 7)
            cls.groups[day] = customers

    def _queries_of_run(self, day):
        """The number of queries of the run of ``day`` (the emails not posted), and the actions it took."""
        self.env.flush_all()
        self.env.invalidate_all()

        def post_nothing(action, rendered=None, email_posts=None):
            return "posting left out"

        with patch.object(credit_action_step.CreditAction, "_execute_email", post_nothing):
            before = self.cr.sql_log_count
            actions = self._run(day)
            self.env.flush_all()
            count = self.cr.sql_log_count - before
        return count, actions

    def test_the_daily_run_costs_a_fixed_number_of_queries_per_action_outside_the_emails(self):
        _warm, warm_actions = self._queries_of_run(0)
        self.assertEqual(warm_actions.partner_id, self.groups[0])
        two, actions_two = self._queries_of_run(1)
        twenty, actions_twenty = self._queries_of_run(2)
        self.assertEqual(actions_two.partner_id, self.groups[1])
        self.assertEqual(actions_twenty.partner_id, self.groups[2])
        self.assertEqual(set(actions_two.mapped("state")) | set(actions_twenty.mapped("state")), {"done"})
        # every reminder's Pay now link has its invoice's access token, as before
        self.assertTrue(all(actions_twenty.invoice_ids.mapped("access_token")))
        self.assertLessEqual(
            twenty - two,
            18 * PER_ACTION_QUERIES,
            f"2 actions: {two} queries, 20 actions: {twenty}; at most {PER_ACTION_QUERIES} more per action",
        )
