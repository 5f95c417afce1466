from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupFirstRun(CreditControlCommon):
    """The first run over a whole book: its actions are inserted set-based, exactly as ``create`` makes them,
    and a batch costs the same number of queries however many customers and items it holds (the first run of
    5,000 customers and 39,852 items had regressed from 5 s to 15 s through per-action work)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy(
            "First-run policy",
            {"name": "Reminder", "days": 7, "auto_execute": False},
            {"name": "Call", "days": 21, "action_type": "phone", "auto_execute": False},
            {"name": "Interest", "days": 35, "interest_type": "nl_commercial", "auto_execute": False},
        )
        cls.reminder, cls.call, cls.interest = cls.policy.level_ids.sorted("days")
        cls.Run = cls.env["credit.followup.run"]
        cls.Action = cls.env["credit.action"]

    def _stored(self, action):
        """The action's stored values as the UI reads them, without its identity and timestamps."""
        names = [
            name
            for name, field in self.Action._fields.items()
            if field.store and name not in ("id", "create_date", "write_date", "display_name")
        ]
        values = action.read(names)[0]
        del values["id"]
        return values

    def test_actions_are_inserted_exactly_as_create_makes_them(self):
        invoice = self._invoice(self.customer, 1000.0, due_in=-40)
        credit_note = self._invoice(self.customer, 100.0, due_in=-40, move_type="out_refund")
        run = self.Run._get_run(self.company, self.today)
        self.env.flush_all()
        item = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        credit = credit_note.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        vals = {
            "partner_id": self.customer.id,
            "recipient_id": self.customer_contact.id,
            "company_id": self.company.id,
            "run_id": run.id,
            "channel": "email",
            "date": self.today,
            "user_id": False,
            "amount": 900.0,
            "amount_credit": 100.0,
            "amount_overdue": 900.0,
            "priority": 1234.5678,
        }
        for level in (self.reminder, self.interest):
            level_vals = {**vals, "level_id": level.id}
            created = self.Action.with_context(mail_create_nolog=True, tracking_disable=True).create(
                {**level_vals, "line_ids": [Command.set(item.ids)], "credit_line_ids": [Command.set(credit.ids)]}
            )
            inserted = run._insert_actions([{**level_vals, "line_ids": item.ids, "credit_line_ids": credit.ids}])
            self.env.invalidate_all()
            self.assertEqual(len(inserted), 1)
            self.assertEqual(self._stored(inserted), self._stored(created))
            self.assertIn(inserted, run.action_ids, "the run lists its new actions")
        self.assertAlmostEqual(inserted.interest_amount, created.interest_amount, places=2)
        self.assertGreater(inserted.interest_amount, 0.0, "the interest level computes the statutory interest")
        self.assertEqual(inserted.policy_id, self.policy)
        self.assertEqual(inserted.state, "proposed")
        self.assertEqual((inserted.create_uid, inserted.write_uid), (self.env.user, self.env.user))
        self.assertFalse(self._messages(inserted), "no chatter message, as create with mail_create_nolog")

    def _batch_queries(self, run, customers, items_each):
        for customer in customers:
            for index in range(items_each):
                # items due 10 to 40 days ago
                self._invoice(customer, 100.0 + index, due_in=(-10, -25, -40, -12)[index % 4])
        batch = (
            self.env["credit.followup.run.batch"]
            .sudo()
            .create({"run_id": run.id, "partner_ids": customers.ids, "customer_count": len(customers)})
        )
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        actions = run._process_batch(batch)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, actions

    def test_a_batch_costs_the_same_queries_for_two_or_twelve_customers_with_many_items(self):
        run = self.Run._get_run(self.company, self.today)
        warm_up = self.Partner.create([{"name": f"Warm-up {n}", "email": f"warm{n}@example.com"} for n in range(2)])
        small = self.Partner.create([{"name": f"Klant {n}", "email": f"klant{n}@example.com"} for n in range(2)])
        large = self.Partner.create([{"name": f"Garage {n}", "email": f"garage{n}@example.com"} for n in range(12)])
        self._batch_queries(run, warm_up, 1)  # the access rules and the registry caches
        queries_small, actions_small = self._batch_queries(run, small, 1)
        queries_large, actions_large = self._batch_queries(run, large, 4)
        self.assertEqual(len(actions_small), 2)
        # a first run gives every item the first level: one action per customer, with its four items
        self.assertEqual(len(actions_large), 12)
        self.assertEqual(len(actions_large.line_ids), 48)
        self.assertEqual(
            queries_large, queries_small, "the queries of a batch do not grow with its customers and items"
        )
        self.assertEqual(actions_large.mapped("amount"), [406.0] * 12)
        self.assertEqual(actions_large.level_id, self.reminder)

    def test_an_item_stepped_meanwhile_is_left_out_and_each_step_names_its_action(self):
        invoices = [self._invoice(self.customer, amount, due_in=-10) for amount in (100.0, 200.0, 300.0)]
        items = [
            invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            for invoice in invoices
        ]
        run = self.Run._get_run(self.company, self.today)
        self.env.flush_all()
        rows = self.env.execute_query_dict(run._candidates_sql(self.company, self.today, self.customer.ids))
        self.assertEqual(len(rows), 3)
        # another run steps the first item after this batch read its candidates
        Step = self.env["credit.followup.step"].sudo()
        elsewhere = Step.create({"line_id": items[0].id, "date": self.today})
        actions = run._create_actions(self.company, self.today, self.customer.ids)
        self.assertEqual(len(actions), 1)
        self.assertEqual(actions.line_ids, items[1] | items[2], "the item stepped elsewhere is left out")
        self.assertEqual(actions.amount, 500.0)
        self.assertEqual(
            self.Action.search([("partner_id", "=", self.customer.id)]), actions, "the first attempt left nothing"
        )
        steps = Step.search([("line_id", "in", [item.id for item in items]), ("date", "=", self.today)])
        self.assertEqual(
            {step.line_id: step.action_id for step in steps},
            {items[0].id: 0, items[1].id: actions.id, items[2].id: actions.id},
        )
        self.assertFalse(elsewhere.action_id)
        # every item stepped: nothing is made, and nothing is taken twice
        self.assertFalse(run._create_actions(self.company, self.today, self.customer.ids))
        self.assertEqual(Step.search_count([("line_id", "in", [item.id for item in items])]), 3)
