import re

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPaymentPrediction(CreditControlCommon):
    """A hand-computed book (half-life 180 days, the segment counts as 3 payments, a prior needs 5 payments).

    Segment Garages: the regular customer paid 30, 20 and 10 days late today (weight 1 each) and 20 days late
    180 days ago (weight 0.5); the occasional customer paid once, 5 days late, today; the newcomer never paid.
    The segment's behaviour over its 5 payments: mean 85 / 5 = 17, variance 1825 / 5 - 17² = 76, std 8.72.

    - regular: (30 + 20 + 10 + 0.5 × 20 + 3 × 17) / (3.5 + 3) = 121 / 6.5 = 18.62 days late, std 8.25,
      own history 3.5 / 6.5 = 54%; its invoice due in 10 days is expected in 10 + 19 = 29 days
    - occasional (little history, shrunk): (5 + 3 × 17) / 4 = 14.0, std sqrt((81 + 3 × (76 + 9)) / 4) = 9.17
    - newcomer: the segment's 17.0 ± 8.7; a customer without segment: the company's, the same 17.0 ± 8.7
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["credit.segment"].create({"name": "Garages", "partner_domain": "[('id', '=', 0)]"})
        cls.regular = cls.customer
        cls.newcomer = cls.other_customer
        cls.occasional = cls.Partner.create({"name": "Bandenhuis Jansen", "is_company": True, "customer_rank": 1})
        cls.unsegmented = cls.Partner.create({"name": "Autohandel Visser", "is_company": True, "customer_rank": 1})
        (cls.regular | cls.newcomer | cls.occasional).write({"credit_segment_id": cls.segment.id})
        for due_in, paid_in in ((-30, 0), (-20, 0), (-10, 0), (-200, -180)):
            cls._pay(cls._invoice(cls.regular, 100.0, due_in=due_in), days=paid_in)
        cls._pay(cls._invoice(cls.occasional, 100.0, due_in=-5))
        cls.regular_open = cls._invoice(cls.regular, 1000.0, due_in=10)
        cls.newcomer_open = cls._invoice(cls.newcomer, 500.0, due_in=3)
        cls.occasional_open = cls._invoice(cls.occasional, 200.0, due_in=-4)
        cls.unsegmented_open = cls._invoice(cls.unsegmented, 300.0, due_in=7)
        cls.Move = cls.env["account.move"]
        cls.Move._credit_compute_predictions(cls.company, cls.today)

    def _assert_prediction(self, move, days_late, std, basis, weight, expected_in):
        self.assertAlmostEqual(move.credit_expected_days_late, days_late, places=1)
        self.assertAlmostEqual(move.credit_prediction_std, std, places=1)
        self.assertEqual(move.credit_prediction_basis, basis)
        self.assertAlmostEqual(move.credit_prediction_weight, weight, places=2)
        self.assertEqual(move.credit_expected_payment_date, self._days(expected_in))

    def test_customer_with_history_recent_payments_weigh_more(self):
        self._assert_prediction(self.regular_open, 18.6, 8.3, "history", 0.54, 29)

    def test_customer_with_little_history_is_pulled_towards_its_segment(self):
        self._assert_prediction(self.occasional_open, 14.0, 9.2, "history", 0.25, -4 + 14)

    def test_new_customer_gets_its_segment_behaviour(self):
        self._assert_prediction(self.newcomer_open, 17.0, 8.7, "segment", 0.0, 3 + 17)

    def test_customer_without_segment_gets_the_company_behaviour(self):
        self._assert_prediction(self.unsegmented_open, 17.0, 8.7, "company", 0.0, 7 + 17)

    def test_invoice_with_installments_shows_its_last_open_installment(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "50% in 10 days, 50% in 40 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 10}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 40}),
                ],
            }
        )
        invoice = self._invoice(self.regular, 800.0, invoice_days=-5, payment_term=term)
        self.Move._credit_compute_predictions(self.company, self.today)
        # installments due in 5 and 35 days; the last is expected 19 days after its due date
        self.assertEqual(invoice.credit_expected_payment_date, self._days(35 + 19))

    def test_paid_invoice_loses_its_prediction(self):
        self._pay(self.newcomer_open)
        self.Move._credit_compute_predictions(self.company, self.today)
        self.assertFalse(self.newcomer_open.credit_expected_payment_date)
        self.assertFalse(self.newcomer_open.credit_prediction_basis)
        self.assertTrue(self.regular_open.credit_expected_payment_date)

    def test_expected_overdue_counts_what_is_overdue_or_expected_late(self):
        # nothing of the regular customer is overdue yet, but its 1,000 is expected 19 days late
        self.regular.invalidate_recordset()
        self.assertEqual(self.regular.credit_overdue_amount, 0.0)
        self.assertEqual(self.regular.credit_expected_overdue, 1000.0)
        self.assertEqual(self.occasional.credit_expected_overdue, 200.0)
        # a payment refreshes it at once, without waiting for the nightly run
        self._pay(self.regular_open, amount=400.0)
        self.assertEqual(self.regular.credit_expected_overdue, 600.0)

    def test_a_customer_expected_early_has_only_its_overdue_as_expected_overdue(self):
        prompt = self.env["credit.segment"].create({"name": "Prompt payers", "partner_domain": "[('id', '=', 0)]"})
        punctual = self.Partner.create({"name": "Garage Stipt", "is_company": True, "customer_rank": 1})
        punctual.credit_segment_id = prompt
        for due_in in (-60, -50, -40, -30, -20):
            self._pay(self._invoice(punctual, 100.0, due_in=due_in), days=due_in - 10)  # 10 days early each time
        self._invoice(punctual, 250.0, due_in=-2)
        not_due = self._invoice(punctual, 700.0, due_in=20)
        self.Move._credit_compute_predictions(self.company, self.today)
        # its own payments and its segment's (the same 5): exactly 10 days early, no spread
        self.assertAlmostEqual(not_due.credit_expected_days_late, -10.0, places=1)
        self.assertAlmostEqual(not_due.credit_prediction_std, 0.0, places=1)
        self.assertEqual(not_due.credit_expected_payment_date, self._days(10))
        self.assertEqual(punctual.credit_expected_overdue, 250.0)

    def test_queries_do_not_grow_with_the_number_of_customers(self):
        self.env.flush_all()
        with self.assertQueryCount(5):  # history, open invoices, clear the paid, one UPDATE of invoices, customers
            self.Move._credit_compute_predictions(self.company, self.today)
        for index in range(6):
            partner = self.Partner.create({"name": f"Klant {index}", "customer_rank": 1})
            self._pay(self._invoice(partner, 100.0, due_in=-10 - index))
            self._invoice(partner, 100.0, due_in=index)
        self.env.flush_all()
        with self.assertQueryCount(5):
            self.assertEqual(self.Move._credit_compute_predictions(self.company, self.today), 10)

    def test_daily_run_predicts(self):
        late_invoice = self._invoice(self.newcomer, 120.0, due_in=30)
        self.env.ref("credit_control.ir_cron_credit_followup").method_direct_trigger()
        self.assertEqual(late_invoice.credit_expected_payment_date, self._days(30 + 17))

    def test_only_managers_refresh_predictions(self):
        new_invoice = self._invoice(self.newcomer, 90.0, due_in=1)
        with self.assertRaises(AccessError):
            new_invoice.with_user(self.collector).action_credit_refresh_predictions()
        self.assertFalse(new_invoice.credit_expected_payment_date)
        result = new_invoice.with_user(self.manager).action_credit_refresh_predictions()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(new_invoice.credit_expected_payment_date, self._days(1 + 17))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWorklistPriority(CreditControlCommon):
    """Two customers with a reminder due today.

    The structural payer has 100 overdue and 5,000 not yet due; it paid its last two invoices 30 days late, so the
    5,000 is expected late: expected overdue 5,100, late ratio 1 (3 of its 3 items due this year were late),
    priority 5,100 × 2 = 10,200. The punctual payer has 300 overdue, paid 3 invoices on time: late ratio
    1/4, expected overdue 300, priority 300 × 1.25 = 375. Without predictions the structural payer would
    rank last: 100 × 2 = 200.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env["credit.policy"].create(
            {"name": "Call", "level_ids": [Command.create({"name": "Call", "days": 1, "action_type": "phone"})]}
        )
        cls.company.credit_default_policy_id = cls.policy
        cls.structural, cls.punctual = cls.customer, cls.other_customer
        for _index in range(2):
            cls._pay(cls._invoice(cls.structural, 100.0, due_in=-100), days=-70)
        cls._invoice(cls.structural, 100.0, due_in=-5)
        cls._invoice(cls.structural, 5000.0, due_in=10)
        for due_in in (-90, -60, -30):
            cls._pay(cls._invoice(cls.punctual, 100.0, due_in=due_in), days=due_in)
        cls._invoice(cls.punctual, 300.0, due_in=-5)
        cls._refresh()
        cls.Action = cls.env["credit.action"]

    def _worklist(self):
        actions = self.env["credit.followup.run"]._run_followup(self.company, self.today)
        return self.Action.search([("id", "in", actions.ids)])  # in the worklist's order

    def test_expected_overdue_puts_the_structural_payer_first(self):
        self.env["account.move"]._credit_compute_predictions(self.company, self.today)
        worklist = self._worklist()
        self.assertEqual(worklist.partner_id.ids, [self.structural.id, self.punctual.id])
        self.assertAlmostEqual(worklist[0].priority, 10200.0, places=2)
        self.assertAlmostEqual(worklist[0].expected_overdue, 5100.0, places=2)
        self.assertAlmostEqual(worklist[1].priority, 375.0, places=2)

    def test_without_prediction_the_overdue_amount_ranks(self):
        worklist = self._worklist()
        self.assertEqual(worklist.partner_id.ids, [self.punctual.id, self.structural.id])
        self.assertAlmostEqual(worklist[0].priority, 375.0, places=2)
        self.assertAlmostEqual(worklist[1].priority, 200.0, places=2)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPredictionBacktest(CreditControlCommon):
    """A customer always pays 10 days late; its invoices fell due 120, 90, 60 and 30 days ago.

    Walking forward, each invoice is predicted from the payments made before its due date only (weights as
    seen on that day, half-life 180 days; no segment and fewer than 5 payments in the company: the prior is
    0 ± 15 days with the weight of 3 payments):
    - due -120: no history: 0 days late, 10 days off
    - due -90: one payment 20 days old, w = 0.926: 9.26 / 3.926 = 2.4 → 2 days, 8 days off
    - due -60: w = 0.825 + 0.926: 17.51 / 4.751 = 3.7 → 4 days, 6 days off
    - due -30: w = 0.741 + 0.825 + 0.926: 24.92 / 5.492 = 4.5 → 5 days, 5 days off
    MAE 29 / 4 = 7.25 days against 10 days for the due date.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for due_in in (-120, -90, -60, -30):
            cls._pay(cls._invoice(cls.customer, 100.0, due_in=due_in), days=due_in + 10)
        cls.Backtest = cls.env["credit.prediction.backtest"]

    def test_backtest_beats_the_due_date(self):
        wizard = self.Backtest.with_user(self.manager).create({"date_from": self._days(-365), "date_to": self.today})
        wizard.action_run()
        self.assertEqual(wizard.invoice_count, 4)
        self.assertAlmostEqual(wizard.mae_prediction, 7.25, places=2)
        self.assertAlmostEqual(wizard.mae_naive, 10.0, places=2)
        self.assertAlmostEqual(wizard.improvement_days, 2.75, places=2)
        self.assertAlmostEqual(wizard.improvement_ratio, 0.275, places=4)

    def test_backtest_period_counts_payments_in_it_but_learns_from_earlier_ones(self):
        result = self.Backtest._backtest(self.company, self._days(-85), self.today)
        self.assertEqual(result["invoice_count"], 3)
        self.assertAlmostEqual(result["mae_prediction"], 6.33, places=2)  # (8 + 6 + 5) / 3
        self.assertAlmostEqual(result["improvement_days"], 3.67, places=2)

    def test_backtest_is_for_managers_and_checks_the_period(self):
        with self.assertRaises(AccessError):
            self.Backtest.with_user(self.collector).create({"date_from": self._days(-30), "date_to": self.today})
        wizard = self.Backtest.with_user(self.manager).create({"date_from": self.today, "date_to": self._days(-30)})
        with self.assertRaises(UserError):
            wizard.action_run()

    def test_uncertainty_is_shown_in_whole_days_and_stored_as_computed(self):
        """ "± 13 days", not "± 12.6 days": every view shows the stored standard deviation rounded to the day."""
        views = [
            (self.env.ref("account.view_move_form").id, "form"),
            (self.env.ref("account.view_invoice_tree").id, "list"),
        ]
        result = self.env["account.move"].with_user(self.manager).get_views(views)
        arch = result["views"]["form"]["arch"] + result["views"]["list"]["arch"]
        fields = re.findall(r'<field name="credit_prediction_std"[^>]*>', arch)
        self.assertGreaterEqual(len(fields), 3)
        self.assertTrue(all('digits="[16, 0]"' in field for field in fields), fields)
        self.assertEqual(self.env["account.move"]._fields["credit_prediction_std"].get_digits(self.env), (16, 1))
