import os
import socket
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.credit_control.models import credit_followup_run
from odoo.addons.credit_control.tools import nl_bik
from odoo.addons.sms.models.sms_sms import SmsSms

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupEngine(CreditControlCommon):
    """The daily run as a record: fault-isolated, once a day per item at the policy's pace, spread over workers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref("credit_control.mail_template_credit_reminder")
        cls.policy = cls._policy(
            "Engine policy",
            {"name": "Reminder", "days": 7},
            {"name": "Second reminder", "days": 21},
            {"name": "Last reminder", "days": 35},
            {"name": "Final notice", "days": 60},
        )
        cls.levels = cls.policy.level_ids.sorted("days")
        cls.customer.email = "info@garagedevries.nl"
        cls.other_customer.email = "info@peeters.be"
        cls.Run = cls.env["credit.followup.run"]
        cls.Action = cls.env["credit.action"]

    def _daily_runs(self, days, run=None):
        """Run the follow-up on each of ``days`` days from today; {day: actions created that day}."""
        run = run or self._run
        return {day: run(days=day) for day in range(days)}

    # ------------------------------------------------------------------
    # A run is a record
    # ------------------------------------------------------------------

    def test_the_daily_cron_runs_the_follow_up_run_model(self):
        cron = self.env.ref("credit_control.ir_cron_credit_followup")
        self.assertEqual(cron.model_id.model, "credit.followup.run")
        self.assertEqual(cron.code.strip(), "model._cron_credit_followup()")
        self._invoice(self.customer, 300.0, due_in=-10)
        cron.method_direct_trigger()  # the whole run, within the call
        run = self.Run.search([("company_id", "=", self.company.id), ("date", "=", self.today)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "done")
        action = run.action_ids.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(action.state, "done")
        self.assertEqual(run.email_count, len(run.action_ids.filtered(lambda a: a.channel == "email")))
        self.assertIn("Reminder", run.summary_html)
        self.assertTrue(run.date_start and run.date_end)

    def test_one_run_per_company_per_day_and_never_deleted(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        first = self._run().run_id
        self._run()
        self.assertEqual(self.Run.search_count([("company_id", "=", self.company.id), ("date", "=", self.today)]), 1)
        with self.assertRaises(AccessError):
            first.with_user(self.manager).unlink()
        # collectors read the runs, only managers change or start them
        self.assertEqual(first.with_user(self.collector).state, "done")
        with self.assertRaises(AccessError):
            first.with_user(self.collector).write({"failure_note": "x"})
        with self.assertRaises(AccessError):
            first.with_user(self.collector).action_run_now()

    def test_run_now_plans_the_run_and_wakes_the_worker_crons(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        with patch.object(credit_followup_run, "BATCH_SIZE", 1):
            action = self.Run.with_user(self.manager).action_run_now_company()
        run = self.Run.browse(action["res_id"])
        self.assertEqual(run.state, "running", "returns at once: the workers do the batches")
        self.assertFalse(run.action_ids)
        self.assertEqual((run.customer_done, run.customer_count), (0, 2))
        workers = self.Run._worker_crons()
        self.assertEqual(len(workers), credit_followup_run.DEFAULT_WORKERS)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", workers.ids)])
        self.assertEqual(triggers.cron_id, workers)
        # a worker's call: one batch, its progress reported to Odoo, which calls it again while work remains
        Trigger = self.env["ir.cron.trigger"]
        triggers.unlink()
        for worker in workers:
            worker_model = self.Run.with_context(cron_id=worker.id)
            worker, progress = worker._add_progress()
            worker_model.with_context(ir_cron_progress_id=progress.id)._cron_followup_worker()
            self.assertEqual(progress.done, 1)
            # Odoo calls a job 10 times in a row at most: with batches waiting, the worker wakes the cron threads
            # itself (the first worker left one batch waiting, the second none)
            self.assertEqual(bool(Trigger.search([("cron_id", "=", worker.id)])), worker == workers[0], worker.name)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.action_ids.partner_id, self.customer | self.other_customer)
        self.assertEqual(run.worker_ids, workers)
        # and the process each batch ran in, for a run over several servers
        self.assertEqual(set(run.batch_ids.mapped("worker_process")), {f"{socket.gethostname()}:{os.getpid()}"})

    def test_the_number_of_workers_is_a_setting(self):
        self.env["ir.config_parameter"].sudo().set_param(credit_followup_run.WORKERS_PARAM, "3")
        self.assertEqual(len(self.Run._worker_crons()), 3)
        self.assertEqual(len(self.Run._worker_crons()), 3, "created once")

    def test_two_connections_never_take_the_same_batch(self):
        """Two workers on two real database connections: a batch held by one is skipped by the other, and a
        batch that one finished after the other's transaction began is not taken again by the other."""
        table = "credit_followup_run_batch"
        with self.registry.cursor() as setup:
            setup.execute(
                "INSERT INTO credit_followup_run (company_id, date, state) VALUES (%s, '2000-01-01', 'running') "
                "RETURNING id",
                [self.env.ref("base.main_company").id],
            )
            run_id = setup.fetchone()[0]
            setup.execute(
                "INSERT INTO credit_followup_run_batch (run_id, state, customer_count) "
                "VALUES (%s, 'pending', 1), (%s, 'pending', 1) RETURNING id",
                [run_id, run_id],
            )
            batch_ids = sorted(row[0] for row in setup.fetchall())
            setup.commit()
        try:
            with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
                worker_a = api.Environment(cr_a, SUPERUSER_ID, {})["credit.followup.run"]
                worker_b = api.Environment(cr_b, SUPERUSER_ID, {})["credit.followup.run"]
                cr_b.execute("SELECT 1")  # worker b's transaction (and its snapshot) begins
                self.assertEqual(worker_a._lock_free(table, batch_ids), batch_ids[0])
                self.assertEqual(worker_b._lock_free(table, batch_ids), batch_ids[1], "the held batch is skipped")
                cr_a.execute("UPDATE credit_followup_run_batch SET state = 'done' WHERE id = %s", [batch_ids[0]])
                cr_a.commit()  # worker a's batch is done, its locks released
                with mute_logger("odoo.sql_db"):
                    self.assertIsNone(
                        worker_b._lock_free(table, batch_ids[:1]), "a batch done since b began is not taken again"
                    )
        finally:
            with self.registry.cursor() as cleanup:
                cleanup.execute("DELETE FROM credit_followup_run_batch WHERE run_id = %s", [run_id])
                cleanup.execute("DELETE FROM credit_followup_run WHERE id = %s", [run_id])
                cleanup.commit()

    # ------------------------------------------------------------------
    # Faults stay with their customer
    # ------------------------------------------------------------------

    def test_a_template_broken_for_one_customer_fails_only_that_customer(self):
        broken = self.template.copy(
            {
                "body_html": "<p>Dear <t t-out='object.partner_id.name'/></p>"
                "<t t-if=\"object.partner_id.name == 'Autobedrijf Peeters'\" t-out='object.no_such_field'/>"
            }
        )
        self.levels[0].mail_template_id = broken
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        with mute_logger("odoo.addons.credit_control.models.credit_action_step"):
            actions = self._run()
        reminded = actions.filtered(lambda a: a.partner_id == self.customer)
        failed = actions.filtered(lambda a: a.partner_id == self.other_customer)
        self.assertEqual(reminded.state, "done")
        self.assertEqual(len(self._mail(reminded)), 1)
        self.assertEqual(failed.state, "failed")
        self.assertIn("no_such_field", failed.result)
        self.assertFalse(self._mail(failed))
        run = actions.run_id
        self.assertEqual(run.state, "done_failures")
        self.assertEqual(run.failed_action_ids, failed)
        self.assertEqual(run.failure_count, 1)
        self.assertEqual(len(run.activity_ids), 1, "the credit manager is asked to look at the failures")

    def test_a_template_in_use_by_a_level_cannot_be_deleted(self):
        with self.assertRaisesRegex(UserError, "used by the follow-up level"):
            self.template.unlink()
        self.assertTrue(self.template.exists())

    def test_an_unexpected_error_fails_the_action_and_the_run_goes_on(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        execute_email = type(self.Action)._execute_email

        def exploding(action, *args, **kwargs):
            if action.partner_id == self.customer:
                raise ZeroDivisionError("division by zero")
            return execute_email(action, *args, **kwargs)

        with (
            patch.object(type(self.Action), "_execute_email", exploding),
            mute_logger("odoo.addons.credit_control.models.credit_action_step"),
        ):
            actions = self._run()
        failed = actions.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(failed.state, "failed")
        self.assertIn("ZeroDivisionError", failed.result)
        self.assertIn("division by zero", failed.result)
        self.assertEqual(actions.filtered(lambda a: a.partner_id == self.other_customer).state, "done")
        self.assertFalse(failed.line_ids.credit_level_id, "the failed step moved nothing on")

    def test_a_failure_in_one_company_does_not_stop_the_next(self):
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_2
        company_2.credit_default_policy_id = self.policy
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10, company=company_2)
        plan = credit_followup_run.CreditFollowupRun._plan

        def failing_plan(run_model, company, today):
            if company == self.company:
                raise ValueError("the policy of this company is broken")
            return plan(run_model, company, today)

        with (
            patch.object(credit_followup_run.CreditFollowupRun, "_plan", failing_plan),
            mute_logger("odoo.addons.credit_control.models.credit_followup_run"),
        ):
            # as the scheduled action runs it (as superuser), called within one call
            self.assertTrue(self.Run.sudo()._cron_credit_followup())
        other = self.Action.search([("partner_id", "=", self.other_customer.id)])
        self.assertEqual(other.company_id, company_2)
        self.assertEqual(other.state, "done")
        failed_run = self.Run.search([("company_id", "=", self.company.id), ("date", "=", self.today)])
        self.assertEqual(failed_run.state, "done_failures")
        self.assertIn("the policy of this company is broken", failed_run.failure_note)
        self.assertFalse(self.Action.search([("partner_id", "=", self.customer.id)]))

    def test_as_a_real_scheduled_action_it_commits_per_batch_and_a_failing_company_rolls_back(self):
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_2
        company_2.credit_default_policy_id = self.policy
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10, company=company_2)
        cr = self.env.cr
        commits = []

        def commit():
            # what a real commit makes durable: marked with a savepoint that a "rollback" returns to
            self.env.flush_all()
            cr.execute("SAVEPOINT credit_cron_commit")
            commits.append(True)

        def rollback():
            cr.execute("ROLLBACK TO SAVEPOINT credit_cron_commit")
            self.env.invalidate_all()

        plan = credit_followup_run.CreditFollowupRun._plan

        def failing_plan(run_model, company, today):
            if company == self.company:
                run_model.env["credit.followup.run"]._get_run(company, today).failure_note = "lost by the rollback"
                raise ValueError("the policy of this company is broken")
            return plan(run_model, company, today)

        commit()
        with (
            patch.object(credit_followup_run, "may_commit", lambda env: True),
            patch.object(cr, "commit", commit),
            patch.object(cr, "rollback", rollback),
            patch.object(credit_followup_run.CreditFollowupRun, "_plan", failing_plan),
            mute_logger("odoo.addons.credit_control.models.credit_followup_run"),
        ):
            self.assertTrue(self.Run.sudo()._cron_credit_followup())
        self.assertGreater(len(commits), 2, "committed per company and per batch")
        other = self.Action.search([("partner_id", "=", self.other_customer.id)])
        self.assertEqual(other.state, "done")
        failed_run = self.Run.search([("company_id", "=", self.company.id), ("date", "=", self.today)])
        self.assertEqual(failed_run.state, "done_failures")
        self.assertEqual(failed_run.failure_note, "Follow-up: the policy of this company is broken")

    def test_retry_failed_in_bulk_from_the_worklist(self):
        self.customer.email = False
        self.other_customer.email = False
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        failed = self._run()
        self.assertEqual(set(failed.mapped("state")), {"failed"})
        self.customer.email = "info@garagedevries.nl"
        self.other_customer.email = "info@peeters.be"
        failed.with_user(self.collector).action_retry_failed()
        self.assertEqual(set(failed.mapped("state")), {"done"})
        self.assertEqual(len(self.env["mail.mail"].search([("mail_message_id", "in", failed.mail_message_id.ids)])), 2)

    # ------------------------------------------------------------------
    # Mails and text messages
    # ------------------------------------------------------------------

    def test_an_smtp_outage_leaves_the_reminders_done_and_the_mails_queued(self):
        self._invoice(self.customer, 300.0, due_in=-10)
        self._invoice(self.other_customer, 200.0, due_in=-10)
        actions = self._run()
        mails = self.env["mail.mail"].search([("mail_message_id", "in", actions.mail_message_id.ids)])
        self.assertEqual(len(mails), 2)
        with (
            patch.object(type(self.env["ir.mail_server"]), "connect", side_effect=ConnectionRefusedError("down")),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            mails.send()
        self.assertEqual(set(actions.mapped("state")), {"done"})
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "Odoo's mail queue sends them again")
        # a permanent failure (an address that bounces) does fail the reminder
        mails[0]._postprocess_sent_message(success_pids=[], failure_reason="550 unknown", failure_type="mail_bounce")
        self.assertEqual(actions.filtered(lambda a: a.mail_message_id == mails[0].mail_message_id).state, "failed")

    def test_text_messages_are_queued_and_a_rolled_back_run_sends_none(self):
        self.policy.level_ids.unlink()
        self.env["credit.policy.level"].create(
            {"policy_id": self.policy.id, "name": "SMS", "days": 5, "action_type": "sms", "auto_execute": True}
        )
        self.customer.mobile = "+31 6 12345678"
        self._invoice(self.customer, 250.0, due_in=-6)
        sent = []

        def recording_send(sms_records, *args, **kwargs):
            sent.extend(sms_records.ids)

        with patch.object(SmsSms, "_send", recording_send):
            savepoint = self.env.cr.savepoint()
            action = self._run()
            sms = self.env["sms.sms"].search([("mail_message_id", "=", action.mail_message_id.id)])
            self.assertEqual(len(sms), 1)
            self.assertEqual(sms.state, "outgoing", "queued for Odoo's SMS queue, which sends after the commit")
            self.assertFalse(sent, "nothing sent inside the run")
            savepoint.close(rollback=True)  # the run's transaction is rolled back
            self.env.invalidate_all()
            self.assertFalse(sms.exists())
            self.env["sms.sms"]._process_queue()
        self.assertFalse(sent, "a rolled-back text message is never sent")

    # ------------------------------------------------------------------
    # Strictly once a day, at the policy's pace
    # ------------------------------------------------------------------

    def test_three_runs_and_a_crashed_resume_on_one_day_take_one_step_per_item(self):
        # a backlog: 100 days late, four levels behind
        invoices = [self._invoice(customer, 300.0, due_in=-100) for customer in (self.customer, self.other_customer)]
        items = self.env["account.move.line"].concat(*(inv.line_ids.filtered("date_maturity") for inv in invoices))
        commits = []
        cr = self.env.cr

        def commit():
            self.env.flush_all()
            cr.execute("SAVEPOINT credit_engine_crash")
            commits.append(True)

        process_batch = credit_followup_run.CreditFollowupRun._process_batch

        def crashing(run, batch):
            if len(commits) == 1:
                raise MemoryError("worker killed")
            return process_batch(run, batch)

        crashed = False
        with (
            patch.object(credit_followup_run, "BATCH_SIZE", 1),
            patch.object(cr, "commit", commit),
            patch.object(credit_followup_run.CreditFollowupRun, "_process_batch", crashing),
        ):
            try:
                self.Run._run_followup(self.company, auto_commit=True)
            except MemoryError:
                crashed = True
        self.assertTrue(crashed)
        cr.execute("ROLLBACK TO SAVEPOINT credit_engine_crash")
        self.env.invalidate_all()
        for _run in range(3):
            self._run()
        actions = self.Action.search([("line_ids", "in", items.ids)])
        self.assertEqual(len(actions), 2, "one step per item, whatever the number of runs and resumes")
        self.assertEqual(actions.level_id, self.levels[0], "the first level: a backlog climbs one level at a time")
        # the database is the guarantee, even if the level dates were lost
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE account_move_line SET credit_level_date = NULL WHERE id = ANY(%s)", items.ids))
        self.env.invalidate_all()
        self.assertFalse(self._run())
        self.assertEqual(
            self.env["credit.followup.step"]._take(dict.fromkeys(items.ids, actions[0].id), self.today), set()
        )
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            self.env["credit.followup.step"].sudo().create({"line_id": items[0].id, "date": self.today})

    def test_a_cancelled_step_frees_the_day(self):
        self.levels[0].auto_execute = False
        self._invoice(self.customer, 300.0, due_in=-10)
        proposed = self._run()
        proposed.with_user(self.collector).action_cancel(reason="Customer called: paid yesterday")
        again = self._run()
        self.assertEqual(again.level_id, self.levels[0], "the cancelled step was not taken: proposed again")

    def test_the_days_plan_keeps_only_todays_and_yesterdays_steps(self):
        """The steps are a claim of two days, not a history: the plan removes the older ones; yesterday's stays
        for a run of yesterday that is still finishing. A step whose item was deleted blocks nothing else."""
        items = self._invoice(self.customer, 300.0, due_in=-10).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        Step = self.env["credit.followup.step"].sudo()
        old = Step.create([{"line_id": items.id, "date": self.today - timedelta(days=days)} for days in (1, 2, 30)])
        # the step of an item deleted since (ids are never reused)
        gone = Step.create({"line_id": 2_000_000_000, "date": self.today})
        actions = self._run()
        self.assertEqual(actions.line_ids, items, "the earlier days' steps do not block today's")
        self.assertEqual(
            set(Step.search([("line_id", "=", items.id)]).mapped("date")),
            {self.today - timedelta(days=1), self.today},
        )
        self.assertEqual(old.exists(), old[0], "the steps before yesterday are removed")
        self.assertTrue(gone.exists())
        self.assertEqual(Step.search([("line_id", "=", items.id), ("date", "=", self.today)]).action_id, actions.id)

    def test_the_runs_progress_reads_its_batches_without_their_customers(self):
        """After each batch the run reports its progress from all its batches: their counts and states, not their
        lists of customer ids (200 batches of 500 ids in a million-item run, read again after every batch), and
        the notes' language without reading the company and its partner in full."""
        run = self.Run._get_run(self.company, self.today)
        partners = self.Partner.create([{"name": f"Klant {n}"} for n in range(6)])
        batches = (
            self.env["credit.followup.run.batch"]
            .sudo()
            .create(
                [
                    {"run_id": run.id, "partner_ids": chunk.ids, "customer_count": len(chunk), "state": state}
                    for chunk, state in ((partners[:2], "done"), (partners[2:5], "pending"), (partners[5:], "failed"))
                ]
            )
        )
        self.env.invalidate_all()
        self.assertEqual((run.customer_count, run.customer_done), (6, 3))
        partner_ids = batches._fields["partner_ids"]
        self.assertFalse(any(self.env.cache.contains(batch, partner_ids) for batch in batches))
        self.assertEqual(self.company._credit_note_lang(), self.company.partner_id.lang or self.env.lang)
        self.env.invalidate_all()
        self.company._credit_note_lang()
        self.assertFalse(self.env.cache.contains(self.company.partner_id, self.Partner._fields["name"]))
        # the customers of a waiting batch are still read when asked for (the plan leaves them out of new batches)
        self.env.invalidate_all()
        self.assertEqual(run.batch_ids.filtered(lambda b: b.state == "pending").partner_ids, partners[2:5].ids)

    def test_a_sixty_day_backlog_climbs_one_level_per_gap(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-100)
        steps = {day: actions.level_id for day, actions in self._daily_runs(60).items() if actions}
        # executed on day 0, then each next level once the gap between the two levels' days has passed
        self.assertEqual(
            steps,
            {0: self.levels[0], 14: self.levels[1], 28: self.levels[2], 53: self.levels[3]},
        )
        item = invoice.line_ids.filtered("date_maturity")
        self.assertEqual(item.credit_level_id, self.levels[3])
        self.assertEqual(item.credit_level_date, self._days(53))

    def test_a_dutch_consumer_backlog_gets_collection_costs_only_after_the_fourteen_days(self):
        self.company.credit_fee_product_id = self._create_product(
            name="Incassokosten", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        self.company.credit_interest_product_id = self._create_product(
            name="Wettelijke rente", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        nl = self.env.ref("credit_control.credit_policy_nl_consumer")
        self.company.credit_default_policy_id = nl
        invoice = self._invoice(self.customer, 1000.0, due_in=-100)

        def run_and_approve(days):
            actions = self._run(days=days)
            with freeze_time(self._days(days)):
                actions.filtered(lambda a: a.state == "proposed").action_approve()
            return actions

        self._daily_runs(60, run_and_approve)
        actions = self.Action.search([("line_ids", "in", invoice.line_ids.ids)], order="date, id")
        letter = actions.filtered("level_id.is_fourteen_day_letter")
        demand = actions.filtered(lambda a: a.level_id.fee_type == "nl_bik")
        self.assertEqual(len(letter), 1)
        self.assertEqual(len(demand), 1)
        # a letter is taken to arrive two days after it is sent; costs from the day after the 14 days
        allowed = nl_bik.nl_fourteen_day_letter_deadline(letter.executed_on.date() + timedelta(days=2))
        self.assertGreaterEqual(demand.date, allowed)
        self.assertEqual(demand.state, "done")
        self.assertTrue(demand.fee_move_id, "the collection costs are charged, once the term has passed")
        self.assertIn(
            150.0,
            demand.fee_move_id.invoice_line_ids.mapped("price_unit"),
            "15% of 1,000.00 on the BIK scale",
        )

    # ------------------------------------------------------------------
    # Archived customers
    # ------------------------------------------------------------------

    def test_archived_customers_get_no_new_reminders_but_keep_their_items(self):
        invoice = self._invoice(self.customer, 300.0, due_in=-10)
        self.customer.action_archive()
        self.assertFalse(self._run())
        self.assertEqual(invoice.amount_residual, 300.0)
        self.customer.action_unarchive()
        self.assertEqual(self._run(days=1).partner_id, self.customer)
