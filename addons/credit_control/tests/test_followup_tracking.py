from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import TODAY, CreditControlCommon


class _Rollback(Exception):
    pass


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupTracking(CreditControlCommon):
    """The chatter notes of the tracked changes (state, date, collector) of many actions are logged together, and
    are the notes mail.thread's ``_message_log`` writes for each action on its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Tracking policy", {"name": "Reminder", "days": 7, "auto_execute": False})
        cls.Action = cls.env["credit.action"]
        cls.collector = new_test_user(cls.env, login="tracking_collector", name="Tracking Collector")
        cls.author = cls.env["res.partner"].create({"name": "Night Operator", "email": "night@example.com"})

    def _actions(self, count, prefix):
        customers = self.Partner.create(
            [{"name": f"{prefix} {index}", "is_company": True, "customer_rank": 1} for index in range(count)]
        )
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-10)
        actions = self._run().filtered(lambda a: a.partner_id in customers)
        self.assertEqual(len(actions), count)
        self.assertEqual(set(actions.mapped("state")), {"proposed"})
        return actions.sorted("id")

    @staticmethod
    def _tracked(actions):
        """The actions with tracking on, as in the daily run and the UI (the common set-up turns it off)."""
        return actions.sudo().with_context(tracking_disable=False, mail_notrack=False)

    def _change(self, actions):
        """What the run and the collectors change: the state, the date and the collector; one author set."""
        self._tracked(actions).write(
            {"state": "done", "date": actions[0].date + timedelta(days=3), "user_id": self.collector.id}
        )
        actions[1:2]._track_set_author(self.author)

    def _finalize(self):
        """Flush and run the pre-commit hooks, where mail.thread logs the tracked changes."""
        self.env.flush_all()
        self.env.cr.flush()

    def _notes(self, actions, before):
        self._finalize()
        self.env.invalidate_all()
        result = []
        for action in actions:
            messages = self.env["mail.message"].search(
                [
                    ("model", "=", "credit.action"),
                    ("res_id", "=", action.id),
                    ("id", ">", before),
                    ("message_type", "=", "notification"),  # not the collector's "you have been assigned"
                ],
                order="id",
            )
            self.assertEqual(len(messages), 1, "one note per action")
            result.append(
                {
                    "body": messages.body,
                    "author": messages.author_id,
                    "email_from": messages.email_from,
                    "reply_to": messages.reply_to,
                    "subject": messages.subject,
                    "subtype": messages.subtype_id,
                    "message_type": messages.message_type,
                    "is_internal": messages.is_internal,
                    "partners": messages.partner_ids,
                    "attachments": messages.attachment_ids,
                    "parent": messages.parent_id,
                    "record_name": messages.record_name,
                    "record_company": messages.record_company_id,
                    "record_alias_domain": messages.record_alias_domain_id,
                    "email_add_signature": messages.email_add_signature,
                    "notifications": messages.notification_ids,
                    "message_id_kind": messages.message_id.split("-", 1)[1] if messages.message_id else False,
                    "tracking": [
                        (
                            value.field_id.name,
                            value.old_value_char,
                            value.new_value_char,
                            value.old_value_integer,
                            value.new_value_integer,
                            value.old_value_datetime,
                            value.new_value_datetime,
                        )
                        for value in messages.sudo().tracking_value_ids.sorted("id")
                    ],
                    "message_id": messages.message_id,
                }
            )
        return result

    def test_notes_logged_together_are_the_notes_logged_one_by_one(self):
        actions = self._actions(4, "Tracking")
        self._finalize()
        before = self.env["mail.message"].search([], order="id desc", limit=1).id
        new_date = actions[0].date + timedelta(days=3)
        try:
            with self.env.cr.savepoint():
                for action in actions:
                    self._tracked(action).write({"state": "done", "date": new_date, "user_id": self.collector.id})
                    if action == actions[1]:
                        action._track_set_author(self.author)
                    self._finalize()  # one action per pre-commit: mail.thread's own _message_log
                one_by_one = self._notes(actions, before)
                raise _Rollback
        except _Rollback:
            self.env.invalidate_all()
        self.assertFalse(self.env["mail.message"].search_count([("id", ">", before)]), "the reference was undone")
        self._change(actions)
        together = self._notes(actions, before)

        self.assertEqual(len(together), len(one_by_one))
        for index, (expected, got) in enumerate(zip(one_by_one, together, strict=True)):
            self.assertNotEqual(got.pop("message_id"), expected.pop("message_id"))
            self.assertEqual(got, expected, f"action {index}")
        self.assertEqual(together[1]["author"], self.author, "the author set for the tracking is kept")
        self.assertEqual(together[0]["author"], self.env.user.partner_id)
        self.assertEqual(
            [name for name, *_values in together[0]["tracking"]],
            [name for name, *_values in one_by_one[0]["tracking"]],
        )
        self.assertEqual({name for name, *_values in together[0]["tracking"]}, {"state", "date", "user_id"})
        message_ids = (
            self.env["mail.message"]
            .search([("id", ">", before), ("message_type", "=", "notification")])
            .mapped("message_id")
        )
        self.assertEqual(len(set(message_ids)), len(actions), "each note has its own Message-Id")

    def test_an_unchanged_action_gets_no_note(self):
        actions = self._actions(3, "Unchanged")
        self._finalize()
        before = self.env["mail.message"].search([], order="id desc", limit=1).id
        self._tracked(actions).write({"state": "done"})
        self._tracked(actions[2]).write({"state": "proposed"})  # back where it was: nothing to log
        self._finalize()
        notes = self.env["mail.message"].search([("model", "=", "credit.action"), ("id", ">", before)])
        self.assertEqual(set(notes.mapped("res_id")), set(actions[:2].ids))
        self.assertEqual(
            notes.sudo().tracking_value_ids.mapped("new_value_char"), ["Done", "Done"], "only the state changed"
        )

    def test_the_queries_of_logging_the_notes_do_not_grow_with_the_actions(self):
        def queries(count, prefix):
            actions = self._actions(count, prefix)
            self._finalize()
            self.env.invalidate_all()
            self._tracked(actions).write({"state": "done", "user_id": self.collector.id})
            self.env.flush_all()
            start = self.env.cr.sql_log_count
            self.env.cr.flush()
            return self.env.cr.sql_log_count - start

        queries(2, "warm")
        two = queries(2, "two")
        twenty = queries(20, "twenty")
        self.assertEqual(two, twenty, "logging the notes of 20 actions costs the queries of logging 2")

    def test_the_holds_of_a_batch_are_set_together_each_with_its_note(self):
        """A level that also puts the customer on credit hold: the run sets the batch's holds together, each
        customer with its own note in the chatter, before its reminder, as when the steps are taken one by one."""
        self._policy("Hold policy", {"name": "Last reminder", "days": 7, "set_credit_hold": True})
        customers = self.Partner.create(
            [
                {"name": f"Hold {index}", "is_company": True, "customer_rank": 1, "email": f"hold{index}@example.nl"}
                for index in range(3)
            ]
        )
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-10)
        self._finalize()
        before = self.env["mail.message"].search([], order="id desc", limit=1).id
        actions = self._run().filtered(lambda a: a.partner_id in customers)
        self.assertEqual(actions.mapped("state"), ["done"] * 3)
        notes = self.env["mail.message"]
        for action in actions:
            customer = action.partner_id.with_company(self.company)
            self.assertTrue(customer.credit_hold)
            self.assertEqual(customer.credit_hold_reason, "Follow-up: Last reminder")
            self.assertIn("Customer put on credit hold.", action.result)
            note = self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", customer.id),
                    ("id", ">", before),
                    ("message_type", "=", "notification"),
                ]
            )
            self.assertEqual(len(note), 1, "one hold note per customer")
            self.assertIn("Credit hold set for", note.body)
            self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
            self.assertEqual(note.author_id, self.env.user.partner_id)
            self.assertLess(note.id, action.mail_message_id.id, "the hold's note comes before the reminder")
            notes |= note
        self.assertEqual(len(set(notes.mapped("message_id"))), 3, "each note has its own Message-Id")

        # a customer released and held again by hand: its own note, as before
        customer = customers[0].with_company(self.company)
        customer.write({"credit_hold": False})
        customer.write({"credit_hold": True, "credit_hold_reason": "Fraud suspected"})
        bodies = (
            self.env["mail.message"]
            .search([("model", "=", "res.partner"), ("res_id", "=", customer.id), ("id", ">", before)], order="id")
            .filtered(lambda m: m.message_type == "notification")
            .mapped("body")
        )
        self.assertEqual(len(bodies), 3)
        self.assertIn("Credit hold released", bodies[1])
        self.assertNotIn("Fraud", bodies[2], "the reason stays out of the chatter")
