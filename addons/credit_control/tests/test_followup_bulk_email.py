from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import Markup
from psycopg2 import OperationalError

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.sql_db import Savepoint
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.mail import html_sanitize

from odoo.addons.credit_control.models.credit_action_step import EmailPost

from .common import TODAY, CreditControlCommon


class _Rollback(Exception):
    pass


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBulkEmail(CreditControlCommon):
    """A batch's reminder emails are posted in bulk, with the same result as one ``message_post`` per email."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Bulk policy", {"name": "Reminder", "days": 7, "auto_execute": False})
        cls.Action = cls.env["credit.action"]
        company_ids = [Command.set(cls.company.ids)]
        # internal followers of the customers: one notified by email, one in Odoo's inbox
        cls.follower_email = new_test_user(
            cls.env,
            login="follower_email",
            name="Follower By Email",
            email="follower.email@example.com",
            notification_type="email",
            company_ids=company_ids,
            company_id=cls.company.id,
        )
        cls.follower_inbox = new_test_user(
            cls.env,
            login="follower_inbox",
            name="Follower In Odoo",
            email="follower.inbox@example.com",
            notification_type="inbox",
            company_ids=company_ids,
            company_id=cls.company.id,
        )

    def _customers(self, count, prefix="Klant"):
        return self.Partner.create(
            [
                {"name": f"{prefix} {index}", "is_company": True, "customer_rank": 1, "email": f"k{index}@{prefix}.nl"}
                for index in range(count)
            ]
        )

    def _actions(self, customers):
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-10)
        actions = self._run().filtered(lambda a: a.partner_id in customers)
        self.assertEqual(len(actions), len(customers))
        return actions.sorted(lambda a: customers.ids.index(a.partner_id.id))

    def _posts(self, actions, attachments=None):
        """The emails of these actions, rendered as the run renders them."""
        rendered = actions._render_emails()
        attachments = attachments or {}
        return [
            EmailPost(
                action,
                action.recipient_id or action.partner_id,
                rendered[action.id]["subject"],
                rendered[action.id]["body_html"],
                attachments.get(action.id, self.env["ir.attachment"]),
            )
            for action in actions
        ]

    def _snapshot(self, posts, before_message_id):
        """What posting ``posts`` left, without database ids: per post its message, notifications and mails,
        plus the followers of the customers. Message-Ids of the new messages are replaced by their post's index."""
        self.env.flush_all()
        self.env.invalidate_all()
        messages = self.env["mail.message"].search([("id", ">", before_message_id)], order="id")
        self.assertEqual(len(messages), len(posts), "one message per email, nothing more")
        names = {message.message_id: f"<message {index}>" for index, message in enumerate(messages)}
        names.update({message.id: f"message {index}" for index, message in enumerate(messages)})

        def clean(text):
            for key, name in names.items():
                if isinstance(key, str):
                    text = (text or "").replace(key, name)
            return text

        result = []
        for message in messages:
            mails = self.env["mail.mail"].search([("mail_message_id", "=", message.id)], order="id")
            result.append(
                {
                    "message": {
                        "model": message.model,
                        "res_id": message.res_id,
                        "body": message.body,
                        "subject": message.subject,
                        "author": message.author_id,
                        "email_from": message.email_from,
                        "reply_to": message.reply_to,
                        "subtype": message.subtype_id,
                        "message_type": message.message_type,
                        "partners": message.partner_ids,
                        "attachments": message.attachment_ids,
                        "parent": names.get(message.parent_id.id, message.parent_id.id),
                        "record_name": message.record_name,
                        "record_company": message.record_company_id,
                        "record_alias_domain": message.record_alias_domain_id,
                        "email_layout_xmlid": message.email_layout_xmlid,
                        "email_add_signature": message.email_add_signature,
                        "action": self.Action.search([("mail_message_id", "=", message.id)]),
                    },
                    "notifications": sorted(
                        (
                            n.res_partner_id.id,
                            n.notification_type,
                            n.notification_status,
                            n.is_read,
                            bool(n.mail_mail_id),
                        )
                        for n in message.notification_ids
                    ),
                    "mails": [
                        {
                            "recipients": mail.recipient_ids,
                            "email_to": mail.email_to,
                            "email_cc": mail.email_cc,
                            "state": mail.state,
                            "attachments": mail.attachment_ids,
                            "subject": mail.subject,
                            "auto_delete": mail.auto_delete,
                            "references": clean(mail.references),
                            "headers": mail.headers,
                            "body_html": clean(mail.body_html),
                            "notified": mail.notification_ids.res_partner_id,
                        }
                        for mail in mails
                    ],
                }
            )
        customers = self.env["res.partner"].browse({post.action.partner_id.id for post in posts})
        followers = sorted(
            (f.res_id, f.partner_id.id, tuple(f.subtype_ids.ids))
            for f in self.env["mail.followers"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", customers.ids)]
            )
        )
        attachments = sorted(
            (a.name, a.res_model, a.res_id)
            for a in self.env["ir.attachment"].browse({aid for post in posts for aid in post.attachments.ids})
        )
        return {"posts": result, "followers": followers, "attachments": attachments}

    def _post_both_ways(self, posts):
        """Post ``posts`` one by one (then rolled back) and in bulk; the two snapshots."""
        before = self.env["mail.message"].search([], order="id desc", limit=1).id
        try:
            with self.env.cr.savepoint():
                self.Action._post_emails_one_by_one(posts)
                one_by_one = self._snapshot(posts, before)
                raise _Rollback
        except _Rollback:
            self.env.invalidate_all()
        self.assertFalse(self.env["mail.message"].search_count([("id", ">", before)]), "the reference was undone")
        self.Action._post_emails_bulk(posts)
        return one_by_one, self._snapshot(posts, before)

    def _assert_same(self, one_by_one, bulk):
        self.assertEqual(len(one_by_one["posts"]), len(bulk["posts"]))
        for index, (expected, got) in enumerate(zip(one_by_one["posts"], bulk["posts"], strict=True)):
            for part in ("message", "notifications"):
                self.assertEqual(got[part], expected[part], f"post {index}: {part}")
            self.assertEqual(len(got["mails"]), len(expected["mails"]), f"post {index}: mails")
            for mail_expected, mail_got in zip(expected["mails"], got["mails"], strict=True):
                for key in mail_expected:
                    self.assertEqual(mail_got[key], mail_expected[key], f"post {index}: mail {key}")
        self.assertEqual(bulk["followers"], one_by_one["followers"])
        self.assertEqual(bulk["attachments"], one_by_one["attachments"])

    # ------------------------------------------------------------------
    # The same result as message_post
    # ------------------------------------------------------------------

    def test_bulk_posting_gives_what_message_post_gives(self):
        customers = self._customers(4)
        # followers: by email on the first customer, in the inbox on the second, both on the third
        customers[0].message_subscribe(partner_ids=self.follower_email.partner_id.ids)
        customers[1].message_subscribe(partner_ids=self.follower_inbox.partner_id.ids)
        customers[2].message_subscribe(partner_ids=(self.follower_email | self.follower_inbox).partner_id.ids)
        # earlier history in the chatter of the first: the thread parent and the References header
        customers[0].message_post(body="Earlier discussion", message_type="comment", subtype_xmlid="mail.mt_comment")
        # the last customer's reminder goes to its contact
        contact = self.Partner.create({"name": "Boekhouding", "parent_id": customers[3].id, "email": "boek@k3.nl"})
        actions = self._actions(customers)
        invoice_pdf = self.env["ir.attachment"].create(
            {
                "name": "INV-1.pdf",
                "raw": b"%PDF-1.4 invoice",
                "res_model": "account.move",
                "res_id": actions[0].invoice_ids[:1].id,
            }
        )
        # an attachment left in the composer moves to the customer, as message_post does
        composer_file = self.env["ir.attachment"].create(
            {"name": "terms.pdf", "raw": b"%PDF-1.4 terms", "res_model": "mail.compose.message", "res_id": 0}
        )
        posts = self._posts(actions, {actions[0].id: invoice_pdf, actions[1].id: invoice_pdf | composer_file})
        posts[3] = posts[3]._replace(recipient=contact)
        # the first customer twice in the same batch: the second message threads on what came before
        posts.append(posts[0]._replace(subject="Second email in the same batch"))

        one_by_one, bulk = self._post_both_ways(posts)

        self._assert_same(one_by_one, bulk)
        # and what that means, spelled out
        first = bulk["posts"][0]
        self.assertEqual(first["message"]["res_id"], customers[0].id)
        self.assertEqual(first["message"]["attachments"], invoice_pdf)
        self.assertEqual(first["message"]["subtype"], self.env.ref("mail.mt_comment"))
        self.assertEqual(first["message"]["author"], self.env.user.partner_id)
        self.assertIn("<message 0>", bulk["posts"][4]["mails"][0]["references"])
        kinds = {(partner, kind) for partner, kind, *_rest in first["notifications"]}
        self.assertEqual(
            kinds, {(customers[0].id, "email"), (self.follower_email.partner_id.id, "email")}, "customer + follower"
        )
        self.assertIn((self.follower_inbox.partner_id.id, "inbox"), {n[:2] for n in bulk["posts"][1]["notifications"]})
        self.assertEqual(len(bulk["posts"][2]["notifications"]), 3)
        self.assertEqual(bulk["posts"][3]["message"]["partners"], contact)
        self.assertEqual(bulk["posts"][3]["mails"][0]["recipients"], contact)
        self.assertEqual({mail["state"] for post in bulk["posts"] for mail in post["mails"]}, {"outgoing"})
        self.assertIn(("terms.pdf", "res.partner", customers[1].id), bulk["attachments"])
        self.assertIn(("INV-1.pdf", "account.move", actions[0].invoice_ids[:1].id), bulk["attachments"])
        self.assertEqual(posts[1].action.mail_message_id.attachment_ids, invoice_pdf | composer_file)

    def test_bulk_posting_sanitizes_the_bodies_as_message_post_does(self):
        """The bulk path sanitizes each body once (not twice, as the ORM does): the same stored body, the same
        body in the cache right after posting, the same preview; a body with an embedded image keeps mail's own
        path, which turns the image into an attachment of the message."""
        customers = self._customers(3, prefix="Sanitize")
        posts = self._posts(self._actions(customers))
        # a rendered body is markup: a plain text would be escaped whole, by message_post as here
        dirty = Markup(
            '<p onclick="steal()">Beste klant,<script>alert(1)</script> <b style="color:red;position:fixed">'
            'betaal</b> <a href="javascript:alert(1)">hier</a></p><!--[if mso]><p>mso</p><![endif]-->'
        )
        posts[0] = posts[0]._replace(body=dirty)
        posts[1] = posts[1]._replace(body=Markup("<p>Already <i>markup</i> &amp; escaped</p>"))
        one_by_one, bulk = self._post_both_ways(posts)
        self._assert_same(one_by_one, bulk)
        body = bulk["posts"][0]["message"]["body"]
        self.assertIn("betaal", body)
        self.assertNotIn("<script", body)
        self.assertNotIn("onclick", body)
        self.assertNotIn("javascript:", body)

        # the cache right after posting holds what the database holds, the preview follows the body
        more = self._customers(2, prefix="Cache")
        posts = self._posts(self._actions(more))
        posts[0] = posts[0]._replace(body=dirty)
        with patch("odoo.fields.html_sanitize", wraps=html_sanitize) as sanitize:
            self.Action._post_emails_bulk(posts)
        bodies = [call.args[0] for call in sanitize.call_args_list if call.args[0]]
        self.assertEqual(len(bodies), len(posts), "each body sanitized once")
        message = posts[0].action.mail_message_id
        cached, preview = message.body, message.preview
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(cached, message.body)
        self.assertEqual(preview, message.preview)
        self.assertIn("betaal", message.preview)

        # an embedded image becomes an attachment, as in message_post
        pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        image = self._customers(1, prefix="Image")
        posts = self._posts(self._actions(image))
        posts[0] = posts[0]._replace(body=Markup(f'<p>Zie <img src="data:image/png;base64,{pixel}"></p>'))
        self.Action._post_emails_bulk(posts)
        message = posts[0].action.mail_message_id
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertNotIn("data:image", message.body)
        self.assertIn(f"/web/image/{message.attachment_ids.id}?access_token=", message.body)

    def test_bulk_posting_as_another_user_and_language(self):
        """The collector posts (author, follower subscription, notifications without the author) for a Dutch
        customer: still the same as message_post."""
        self.env["res.lang"]._activate_lang("nl_NL")
        customers = self._customers(3, prefix="nl")
        customers.lang = "nl_NL"
        customers[0].message_subscribe(partner_ids=self.collector.partner_id.ids)
        self.collector.email = "collector@example.com"
        actions = self._actions(customers).with_user(self.collector)
        posts = [post._replace(action=post.action.with_user(self.collector)) for post in self._posts(actions)]
        Action = self.Action.with_user(self.collector)
        before = self.env["mail.message"].search([], order="id desc", limit=1).id
        try:
            with self.env.cr.savepoint():
                Action._post_emails_one_by_one(posts)
                one_by_one = self._snapshot(posts, before)
                raise _Rollback
        except _Rollback:
            self.env.invalidate_all()
        Action._post_emails_bulk(posts)
        bulk = self._snapshot(posts, before)
        self._assert_same(one_by_one, bulk)
        self.assertEqual(bulk["posts"][0]["message"]["author"], self.collector.partner_id)
        self.assertNotIn(self.collector.partner_id.id, {n[0] for n in bulk["posts"][0]["notifications"]})

    # ------------------------------------------------------------------
    # The engine posts in bulk, failures stay with their action
    # ------------------------------------------------------------------

    def test_the_run_posts_its_emails_in_one_bulk_call_and_isolates_failures(self):
        customers = self._customers(3)
        broken = self.env.ref("credit_control.mail_template_credit_reminder").copy(
            {
                "body_html": "<p>Dear <t t-out='object.partner_id.name'/></p>"
                "<t t-if=\"object.partner_id.name == 'Klant 1'\" t-out='object.no_such_field'/>"
            }
        )
        self.policy.level_ids.mail_template_id = broken
        actions = self._actions(customers)
        customers[2].email = False
        bulk = type(self.Action)._post_emails_bulk
        calls = []

        def counted(model, posts):
            calls.append(len(posts))
            return bulk(model, posts)

        with (
            patch.object(type(self.Action), "_post_emails_bulk", counted),
            mute_logger(
                "odoo.addons.credit_control.models.credit_action_step", "odoo.addons.mail.models.mail_render_mixin"
            ),
        ):
            actions._execute()
        self.assertEqual(calls, [1], "one bulk call, for the one email that could be sent")
        self.assertEqual(actions[0].state, "done")
        self.assertEqual(actions[1].state, "failed", "the broken template fails only its action")
        self.assertEqual(actions[2].state, "failed")
        self.assertIn("has no email address", actions[2].result)
        self.assertFalse(actions[1].mail_message_id | actions[2].mail_message_id)
        message = actions[0].mail_message_id
        self.assertEqual(self._messages(customers[0])[:1], message, "the reminder is in the customer's chatter")
        self.assertEqual(self._mail(actions[0]).state, "outgoing")
        self.assertEqual(self._mail(actions[0]).recipient_ids, customers[0])

    def test_a_failing_bulk_posting_falls_back_to_one_by_one(self):
        customers = self._customers(3)
        actions = self._actions(customers)
        one_by_one = type(self.Action)._post_emails_one_by_one

        def failing_for_the_second(model, posts):
            if posts[0].action == actions[1]:
                raise ValueError("this one cannot be posted")
            return one_by_one(model, posts)

        with (
            patch.object(type(self.Action), "_post_emails_bulk", side_effect=ValueError("bulk broken")),
            patch.object(type(self.Action), "_post_emails_one_by_one", failing_for_the_second),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            actions._execute()
        self.assertEqual(actions.mapped("state"), ["done", "failed", "done"])
        self.assertIn("this one cannot be posted", actions[1].result)
        self.assertTrue(actions[0].mail_message_id and actions[2].mail_message_id)
        self.assertFalse(actions[1].mail_message_id)

    def test_a_bounce_of_a_bulk_posted_reminder_fails_its_action(self):
        customers = self._customers(2)
        actions = self._actions(customers)
        actions._execute()
        self.assertEqual(actions.mapped("state"), ["done", "done"])
        mail = self._mail(actions[1])
        self.assertEqual(mail.state, "outgoing")
        mail._postprocess_sent_message(
            success_pids=[], failure_reason="550 mailbox unknown", failure_type="mail_bounce"
        )
        self.assertEqual(actions[0].state, "done")
        self.assertEqual(actions[1].state, "failed")
        self.assertIn("550 mailbox unknown", actions[1].result)

    def test_the_edited_preview_is_posted_through_the_bulk_path(self):
        customers = self._customers(2)
        actions = self._actions(customers)
        upload = self.env["ir.attachment"].create({"name": "statement.pdf", "raw": b"%PDF-1.4 statement"})
        edited = {
            actions[0].id: {
                "subject": "Edited subject",
                "body_html": "<p>Edited text</p>",
                "attachment_ids": upload.ids,
            }
        }
        actions._execute(edited=edited)
        self.assertEqual(actions.mapped("state"), ["done", "done"])
        message = actions[0].mail_message_id
        self.assertEqual(message.subject, "Edited subject")
        self.assertIn("Edited text", message.body)
        self.assertEqual(message.attachment_ids, upload)
        self.assertEqual(self._mail(actions[0]).attachment_ids, upload)
        self.assertNotEqual(actions[1].mail_message_id.subject, "Edited subject", "the other keeps its template")
        self.assertIn("1 attachment(s)", actions[0].result)

    # ------------------------------------------------------------------
    # The cost does not grow with the batch
    # ------------------------------------------------------------------

    def test_the_queries_of_a_bulk_posting_do_not_grow_with_the_emails(self):
        def queries(count, prefix):
            customers = self._customers(count, prefix=prefix)
            customers[0].message_subscribe(partner_ids=(self.follower_email | self.follower_inbox).partner_id.ids)
            posts = self._posts(self._actions(customers))
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            self.Action._post_emails_bulk(posts)
            self.env.flush_all()
            return self.env.cr.sql_log_count - start

        queries(2, "warm")  # templates compiled, subtypes and layouts cached
        two = queries(2, "two")
        twenty = queries(20, "twenty")
        self.assertEqual(two, twenty, "posting 20 emails costs the queries of posting 2")
        self.assertLessEqual(twenty, 60)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBulkEmailDoneIffPosted(CreditControlCommon):
    """An action is done if and only if its reminder is in the customer's chatter and its mail is queued: also
    when another action of the batch fails, when the batch's rendering fails, when the bulk posting fails, and
    after a crash between posting and writing the states (found by the 60-day simulation)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._policy("Done iff posted", {"name": "Reminder", "days": 7, "auto_execute": False})
        cls.Action = cls.env["credit.action"]

    def _proposed(self, names):
        """One proposed reminder per name (a customer with an email address, unless the name says "no email")."""
        customers = self.Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "customer_rank": 1,
                    "email": False if "no email" in name else f"{name.lower().replace(' ', '.')}@example.com",
                }
                for name in names
            ]
        )
        for customer in customers:
            self._invoice(customer, 100.0, due_in=-10)
        actions = self._run().filtered(lambda a: a.partner_id in customers)
        self.assertEqual(actions.mapped("state"), ["proposed"] * len(names))
        return actions.sorted(lambda a: customers.ids.index(a.partner_id.id))

    def _assert_done_iff_posted(self, actions, states):
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(actions.mapped("state"), states)
        for action in actions:
            reminders = self._messages(action.partner_id).filtered(lambda m: m.message_type == "comment")
            name = action.partner_id.name
            if action.state == "done" and action.channel == "email":
                self.assertEqual(reminders, action.mail_message_id, f"{name}: done, so its reminder is in the chatter")
                self.assertEqual(self._mail(action).mapped("state"), ["outgoing"], f"{name}: and its mail queued")
            else:
                self.assertFalse(reminders, f"{name}: {action.state}, so nothing in the chatter")
                self.assertFalse(action.mail_message_id, f"{name}: {action.state}, so no message")
            # the step's other effects go with it: the items' level moves only when the step is done
            self.assertEqual(
                bool(action.line_ids.credit_level_id), action.state == "done", f"{name}: item level and state agree"
            )

    def test_an_action_that_fails_or_sends_no_email_does_not_take_the_next_ones_email(self):
        """The reminder after an action that failed before its email (no address), or that took another channel,
        was marked done and never posted: its step looked for its email in its context, and Odoo gives back a
        living environment with an equal context, that of the action before (an empty list of emails) as long
        as something holds that action (here the call's activity keeps it, as the simulation's steps did)."""
        actions = self._proposed(["Klant no email", "Klant A", "Klant Call", "Klant B", "Klant C"])
        actions[2].sudo().channel = "phone"  # the collector calls this customer instead
        Action = type(self.Action)
        execute_activity = Action._execute_activity
        kept = []

        def keeping(action):
            kept.append(action)
            return execute_activity(action)

        with (
            patch.object(Action, "_execute_activity", keeping),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            actions._execute()
        self.assertEqual(len(kept), 1)
        self._assert_done_iff_posted(actions, ["failed", "done", "done", "done", "done"])
        self.assertIn("has no email address", actions[0].result)

    def test_the_steps_of_a_batch_share_one_savepoint_and_a_failure_stays_with_its_action(self):
        """The steps of a batch are taken together in one savepoint, not one per action: the savepoints do not
        grow with the actions. A failing step undoes that savepoint: the steps before it are taken again
        together, the failing one alone (its failure recorded), the rest together again. Each step is taken at
        most twice and leaves the effects of one: one fee invoice per reminder done, none for a failed one."""
        Action = type(self.Action)
        execute_one = Action._execute_one
        taken = []

        def counting(action, *args, **kwargs):
            taken.append(action.partner_id.name)
            return execute_one(action, *args, **kwargs)

        def savepoints_of(actions):
            """The savepoints opened while these actions are executed, and the steps taken."""
            opened = []
            init = Savepoint.__init__

            def opening(savepoint, cr):
                opened.append(savepoint)
                return init(savepoint, cr)

            taken.clear()
            with (
                patch.object(Action, "_execute_one", counting),
                patch.object(Savepoint, "__init__", opening),
                mute_logger("odoo.addons.credit_control.models.credit_action_step"),
            ):
                actions._execute()
            return len(opened)

        few = self._proposed(["Klant A", "Klant B"])
        many = self._proposed(["Klant C", "Klant D", "Klant E", "Klant F", "Klant G"])
        self.assertEqual(savepoints_of(few), savepoints_of(many), "as many savepoints for 2 steps as for 5")
        self.assertEqual(taken, ["Klant C", "Klant D", "Klant E", "Klant F", "Klant G"], "each step taken once")
        self._assert_done_iff_posted(few + many, ["done"] * 7)

        # a fee with each reminder (its invoice's number takes a savepoint of Odoo's own, hence not before)
        self.company.credit_fee_product_id = self._create_product(
            name="Aanmaningskosten", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        self.policy.level_ids.write({"fee_type": "fixed", "fee_amount": 15.0})
        names = ["Klant H", "Klant no email 1", "Klant I", "Klant J", "Klant no email 2", "Klant K"]
        actions = self._proposed(names)
        savepoints_of(actions)
        self.assertEqual(
            taken,
            [*names[:2], names[0], names[1], *names[2:5], *names[2:4], names[4], names[5]],
            "taken together up to the failure, again up to it, the failing one alone, then the rest",
        )
        self._assert_done_iff_posted(actions, ["done", "failed", "done", "done", "failed", "done"])
        self.assertIn("has no email address", actions[1].result)
        self.assertIn("has no email address", actions[4].result)
        fees = self.env["account.move"].search(
            [("invoice_line_ids.product_id", "=", self.company.credit_fee_product_id.id)]
        )
        for action in actions:
            customer_fees = fees.filtered(lambda move, action=action: move.partner_id == action.partner_id)
            if action.state == "done":
                self.assertEqual(customer_fees, action.fee_move_id, f"{action.partner_id.name}: one fee")
                self.assertAlmostEqual(customer_fees.amount_total, 15.0, places=2)
            else:
                self.assertFalse(customer_fees, f"{action.partner_id.name}: failed, so no fee")
        self.assertEqual(len(fees), 4, "one fee for each of the 4 reminders done")

    def test_the_items_levels_of_a_batch_are_written_together_for_the_steps_taken(self):
        """The items of the steps taken move to their level in one write per level and day, not one per action;
        the items of a failed step keep theirs."""
        actions = self._proposed(["Klant A", "Klant no email", "Klant B", "Klant C"])
        Line = type(self.env["account.move.line"])
        write_followup = Line._credit_write_followup
        writes = []

        def counting(lines, values):
            writes.append((len(lines), dict(values)))
            return write_followup(lines, values)

        with (
            patch.object(Line, "_credit_write_followup", counting),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            actions._execute()
        today = fields.Date.to_date(TODAY)
        self.assertEqual(writes, [(3, {"credit_level_id": self.policy.level_ids.id, "credit_level_date": today})])
        self._assert_done_iff_posted(actions, ["done", "failed", "done", "done"])
        self.assertEqual((actions - actions[1]).line_ids.mapped("credit_level_date"), [today] * 3)

    def test_a_broken_template_fails_only_its_reminder_the_others_are_posted(self):
        """The batch's rendering fails on one customer's template: each reminder is rendered on its own, the
        broken one fails, every other one is posted."""
        actions = self._proposed(["Klant Broken", "Klant A", "Klant B"])
        broken = self.env.ref("credit_control.mail_template_credit_reminder").copy(
            {
                "body_html": "<p>Dear <t t-out='object.partner_id.name'/></p>"
                "<t t-if=\"object.partner_id.name == 'Klant Broken'\" t-out='object.no_such_field'/>"
            }
        )
        self.policy.level_ids.mail_template_id = broken
        with mute_logger(
            "odoo.addons.credit_control.models.credit_action_step", "odoo.addons.mail.models.mail_render_mixin"
        ):
            actions._execute()
        self._assert_done_iff_posted(actions, ["failed", "done", "done"])

    def test_a_failing_bulk_posting_undoes_the_batch_and_takes_the_steps_one_by_one(self):
        """The bulk posting fails half-way: nothing of it stays, the steps are taken again one by one; the one
        whose email cannot be posted fails with its step undone (its item keeps its level)."""
        actions = self._proposed(["Klant A", "Klant B", "Klant C"])
        Action = type(self.Action)
        bulk, one_by_one = Action._post_emails_bulk, Action._post_emails_one_by_one

        def failing_half_way(model, posts):
            bulk(model, posts[:1])
            raise ValueError("bulk broken")

        def failing_for_the_second(model, posts):
            if posts[0].action == actions[1]:
                raise ValueError("this one cannot be posted")
            return one_by_one(model, posts)

        with (
            patch.object(Action, "_post_emails_bulk", failing_half_way),
            patch.object(Action, "_post_emails_one_by_one", failing_for_the_second),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            actions._execute()
        self._assert_done_iff_posted(actions, ["done", "failed", "done"])
        self.assertIn("this one cannot be posted", actions[1].result)
        # retried the next day: posted once
        actions[1]._execute()
        self._assert_done_iff_posted(actions, ["done", "done", "done"])

    def test_a_crash_while_a_failed_step_is_taken_alone_is_not_recorded_as_its_failure(self):
        """A step fails in the batch's savepoint and is taken again alone; the worker dies then (a lost
        connection): that goes up to the cron runner, it is not the customer's failure."""
        actions = self._proposed(["Klant A", "Klant B", "Klant C"])
        Action = type(self.Action)
        execute_one = Action._execute_one
        calls = []

        def failing_then_crashing(action, *args, **kwargs):
            if action == actions[1]:
                calls.append(action.id)
                if len(calls) == 1:
                    raise UserError("this step fails")
                raise OperationalError("server closed the connection unexpectedly")
            return execute_one(action, *args, **kwargs)

        with (
            patch.object(Action, "_execute_one", failing_then_crashing),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
            self.assertRaises(OperationalError),
            self.env.cr.savepoint(),
        ):
            actions._execute()
        self.assertEqual(len(calls), 2, "taken in the batch, then alone")
        self._assert_done_iff_posted(actions, ["proposed", "proposed", "proposed"])

    def test_a_crash_between_posting_and_writing_the_states_leaves_nothing_done_nor_sent(self):
        """The worker dies once the emails are posted: the transaction is lost, so no action is done and nothing
        is sent; the resumed run posts each reminder once."""
        actions = self._proposed(["Klant A", "Klant B"])
        Action = type(self.Action)
        bulk = Action._post_emails_bulk

        def posted_then_crash(model, posts):
            bulk(model, posts)
            raise OperationalError("server closed the connection unexpectedly")

        with (
            patch.object(Action, "_post_emails_bulk", posted_then_crash),
            self.assertRaises(OperationalError),
            self.env.cr.savepoint(),
        ):
            actions._execute()
        self._assert_done_iff_posted(actions, ["proposed", "proposed"])
        actions._execute()
        self._assert_done_iff_posted(actions, ["done", "done"])
