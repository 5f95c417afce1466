"""The daily follow-up run: its record (``credit.followup.run``), its batches of customers, and the engine.

A run is planned once per company per day: the customers with something due today are split into batches
(``credit.followup.run.batch``). Batches are taken by workers — the worker crons this module creates, any
number of them on any number of servers, or the caller itself when the run is made inside one call
(``method_direct_trigger``, tests, scripts) — each batch by one worker only (``FOR NO KEY UPDATE SKIP LOCKED``).
A batch proposes and executes the next step of its customers' items; the database lets an item have at most
one step per day (``credit.followup.step``), and a step's failure stays with its action.
"""

import json
import logging
import os
import socket
from collections import defaultdict
from datetime import timedelta

import psycopg2
from markupsafe import Markup, escape

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError
from odoo.tools import SQL, config, format_date

from .credit_policy_level import CONTACT_CHANNELS

_logger = logging.getLogger(__name__)

# Customers per batch: a worker handles one batch per transaction.
BATCH_SIZE = 500
# Not a fault of one customer, batch or company but of the worker itself: out of memory, a lost database connection,
# a serialization failure. The transaction is lost anyway; these go up to Odoo's cron runner, which retries, and
# the batches not committed stay waiting for the resume.
CRASHES = (MemoryError, psycopg2.OperationalError)
# Worker crons when the setting is not given.
DEFAULT_WORKERS = 2
WORKERS_PARAM = "credit_control.followup_workers"
WORKER_CODE = "model._cron_followup_worker()"
# First key of the transaction-level advisory locks that workers take on the rows they work on.
LOCK_NAMESPACES = {"credit_followup_run_batch": 7_340_101, "credit_followup_run": 7_340_102}


def int_array(ids):
    """``ids`` as one PostgreSQL array literal, for ``%s::int[]``. A Python list goes as ``ARRAY[1, 2, …]``, one
    expression per element to adapt and parse: 30 ms for the 2 x 8,000 ids of one batch's items, the literal 3 ms."""
    return "{" + ",".join(map(str, ids)) + "}"


class ItemTakenError(Exception):
    """An item of a batch got its step of the day elsewhere while the batch made its actions."""


def may_commit(env):
    """May this code commit its work so far? Only when run as a scheduled action by a cron worker, never inside
    an install, a test, an RPC call or a button (there the caller's transaction decides)."""
    return (
        bool(env.context.get("ir_cron_progress_id")) and not config["test_enable"] and not modules.module.current_test
    )


class CreditFollowupRun(models.Model):
    """One company's follow-up run of one day: what it planned, who worked on it, what it did and what failed."""

    _name = "credit.followup.run"
    _description = "Credit Follow-up Run"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(required=True, readonly=True, index=True)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("running", "Running"),
            ("done", "Done"),
            ("done_failures", "Done with Failures"),
        ],
        default="planned",
        required=True,
        readonly=True,
        tracking=True,
    )
    date_start = fields.Datetime(string="Started", readonly=True)
    date_end = fields.Datetime(string="Ended", readonly=True)
    duration = fields.Float(string="Duration (minutes)", digits=(16, 1), compute="_compute_duration")
    batch_ids = fields.One2many("credit.followup.run.batch", "run_id", readonly=True)
    customer_count = fields.Integer(string="Customers", compute="_compute_progress")
    customer_done = fields.Integer(string="Customers Done", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress", help="Customers done, in percent of the customers planned.")
    worker_ids = fields.Many2many("ir.cron", compute="_compute_progress", string="Workers")
    action_ids = fields.One2many("credit.action", "run_id", string="Actions", readonly=True)
    failed_action_ids = fields.One2many(
        "credit.action", "run_id", string="Failed Actions", domain=[("state", "=", "failed")], readonly=True
    )
    action_count = fields.Integer(string="Actions Created", compute="_compute_counts")
    executed_count = fields.Integer(string="Actions Executed", compute="_compute_counts")
    failure_count = fields.Integer(string="Failures", compute="_compute_counts")
    email_count = fields.Integer(string="Emails Queued", compute="_compute_counts")
    sms_count = fields.Integer(string="SMS Queued", compute="_compute_counts")
    letter_count = fields.Integer(string="Letters to Print", compute="_compute_counts")
    possibly_paid_count = fields.Integer(
        string="Possibly Paid",
        compute="_compute_counts",
        help="Reminders held back: money arrived that is not yet matched with the customer's invoices.",
    )
    summary_html = fields.Html(string="Actions per Level", compute="_compute_counts", sanitize=False)
    failure_note = fields.Text(
        string="Other Failures",
        readonly=True,
        help="What failed outside one customer's action: a step of the company's daily run, or a batch.",
    )

    _sql_constraints = [
        ("company_date_unique", "UNIQUE(company_id, date)", "A company has one follow-up run per day."),
    ]

    @api.depends("company_id.name", "date")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"{run.company_id.name} – {format_date(self.env, run.date)}"

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for run in self:
            end = run.date_end or (fields.Datetime.now() if run.date_start else False)
            run.duration = (end - run.date_start).total_seconds() / 60.0 if run.date_start else 0.0

    @api.depends("batch_ids.state", "batch_ids.customer_count", "batch_ids.worker_id")
    def _compute_progress(self):
        for run in self:
            batches = run.batch_ids
            finished = batches.filtered(lambda b: b.state != "pending")
            run.customer_count = sum(batches.mapped("customer_count"))
            run.customer_done = sum(finished.mapped("customer_count"))
            run.progress = 100.0 * run.customer_done / run.customer_count if run.customer_count else 100.0
            run.worker_ids = batches.worker_id

    @api.depends(
        "action_ids.state",
        "action_ids.level_id",
        "action_ids.channel",
        "action_ids.step_outcome_ids",
        "action_ids.possibly_paid",
    )
    def _compute_counts(self):
        labels = dict(self.env["credit.action"]._fields["channel"]._description_selection(self.env))
        for run in self:
            actions = run.action_ids
            executed = actions.filtered(lambda a: a.state == "done")
            run.action_count = len(actions)
            run.executed_count = len(executed)
            run.failure_count = len(actions.filtered(lambda a: a.state == "failed"))
            # an action counts on the channel of its main step and of each additional step it took
            taken = {action: {action.channel, *action.step_outcome_ids.mapped("channel")} for action in executed}
            run.email_count = sum("email" in channels for channels in taken.values())
            run.sms_count = sum("sms" in channels for channels in taken.values())
            run.letter_count = sum("letter" in channels for channels in taken.values())
            run.possibly_paid_count = len(
                actions.filtered(lambda a: a.possibly_paid and a.state in ("proposed", "failed"))
            )
            counts = defaultdict(lambda: [0, 0, 0])
            for action in actions:
                row = counts[(action.level_id, action.channel)]
                row[0] += 1
                row[1] += action.state == "done"
                row[2] += action.state == "failed"
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>")
                % (level.display_name, labels.get(channel, channel), created, done)
                + Markup("<td class='text-end'>%s</td></tr>") % failed
                for (level, channel), (created, done, failed) in sorted(
                    counts.items(), key=lambda item: (item[0][0].days, item[0][0].id, item[0][1])
                )
            )
            header = Markup("").join(
                Markup("<th>%s</th>") % escape(text)
                for text in (
                    self.env._("Level"),
                    self.env._("Channel"),
                    self.env._("Created"),
                    self.env._("Executed"),
                    self.env._("Failed"),
                )
            )
            run.summary_html = (
                Markup("<table class='table table-sm'><tr>%s</tr>%s</table>") % (header, rows) if counts else False
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("Follow-up runs are history and cannot be deleted."))

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_run_now(self):
        """Plan today's run of this company again and wake the workers; returns at once, the form shows progress."""
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can start a follow-up run."))
        run = self.sudo()._plan(self.company_id, fields.Date.context_today(self))
        self.sudo()._trigger_workers()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def action_run_now_company(self):
        """*Run now* from the list: today's run of the current company."""
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can start a follow-up run."))
        run = self.sudo()._plan(self.env.company, fields.Date.context_today(self))
        self.sudo()._trigger_workers()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------
    # The daily cron
    # ------------------------------------------------------------------

    @api.model
    def _cron_credit_followup(self):
        """The daily credit control run, company by company: statistics, segments, warnings, best channel,
        promises and plans, predictions, periodic reviews, then the follow-up.

        As a scheduled action (Odoo's cron worker), it plans each company's run and wakes the worker crons,
        which share the batches. Called in any other way (``method_direct_trigger``, a script, a test), it
        makes today's whole run itself, within the call. One company's failure is written on its run and
        never stops the next company; a rerun the same day finds nothing new (idempotent).
        """
        scheduled = bool(self.env.context.get("cron_id"))
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([])
        for done, company in enumerate(companies, start=1):
            # what the run writes for the company's staff reads in the company's language, not OdooBot's
            Run = self.with_company(company).with_context(lang=company._credit_note_lang())
            Run._prepare_company(company)
            if may_commit(self.env):
                # Safe: the company's statistics, segments, warnings, promises, plans and predictions are complete.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            committing = may_commit(self.env) and not scheduled
            try:
                if committing:
                    # commits per batch itself: a failure rolls back to the last batch committed
                    Run._run_followup(company, today)
                else:
                    with self.env.cr.savepoint():
                        if scheduled:
                            Run._plan(company, today)
                        else:
                            Run._run_followup(company, today)
            except CRASHES:
                raise
            except Exception as error:
                _logger.exception("credit_control: follow-up of %s failed", company.name)
                if committing:
                    self.env.cr.rollback()
                Run._record_company_failure(company, today, Run.env._("Follow-up: %(error)s", error=error))
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(companies) - done)
            if may_commit(self.env):
                # Safe: the company's planned run (or the run itself) is complete here.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if scheduled:
            self._trigger_workers()
        return True

    @api.model
    def _prepare_company(self, company):
        """What today's follow-up of ``company`` builds on, each step guarded: a step that fails is written on the
        company's run and the others go on."""
        Partner = self.env["res.partner"].with_company(company)
        steps = [
            (self.env._("Statistics"), lambda: Partner._credit_compute_statistics(company)),
            (
                self.env._("Segments"),
                lambda: self.env["credit.segment"].with_company(company)._assign_segments(company),
            ),
            # early warnings and the best channel, on today's statistics and segments
            (self.env._("Early warnings"), lambda: Partner._credit_detect_anomalies(company)),
            (self.env._("Best channel"), lambda: Partner._credit_compute_best_channels(company)),
            # promises and plans decided first: a broken one resumes follow-up in today's run
            (
                self.env._("Promises to pay"),
                lambda: self.env["credit.promise"].with_company(company)._check_promises(company),
            ),
            (
                self.env._("Payment plans"),
                lambda: self.env["credit.payment.plan"].with_company(company)._check_plans(company),
            ),
            # promises due or broken and installments due or late, on the collector's Today
            (
                self.env._("Promises and plans on Today"),
                lambda: self.env["credit.action"].with_company(company)._credit_propose_arrangement_checks(company),
            ),
            # payment predictions and expected overdue amounts, which rank the worklist of today's follow-up
            (
                self.env._("Payment predictions"),
                lambda: self.env["account.move"].with_company(company)._credit_compute_predictions(company),
            ),
            # periodic reviews due by the segment's frequency or the rating's age, on today's segments
            (
                self.env._("Periodic reviews"),
                lambda: self.env["credit.review"].with_company(company)._credit_open_periodic_reviews(company),
            ),
            # statements of account due today by the segment's or the customer's schedule, once a day at most
            (
                self.env._("Scheduled statements"),
                lambda: (
                    self.env["credit.statement.sending"]
                    .with_company(company)
                    ._credit_send_scheduled_statements(company)
                ),
            ),
        ]
        for name, step in steps:
            try:
                with self.env.cr.savepoint():
                    step()
            except CRASHES:
                raise
            except Exception as error:
                _logger.exception("credit_control: %s of %s failed", name, company.name)
                today = fields.Date.context_today(self)
                self._record_company_failure(company, today, self.env._("%(step)s: %(error)s", step=name, error=error))

    @api.model
    def _record_company_failure(self, company, today, message):
        run = self.sudo()._get_run(company, today)
        note = "\n".join(filter(None, [run.failure_note, message]))
        run.write({"failure_note": note})
        if not run.batch_ids.filtered(lambda b: b.state == "pending"):
            run._finish()

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    @api.model
    def _get_run(self, company, today):
        run = self.search([("company_id", "=", company.id), ("date", "=", today)], limit=1)
        if not run:
            run = self.create({"company_id": company.id, "date": today})
            run._note_missing_rates()
        return run

    def _note_missing_rates(self):
        """Say on the run when a level of the company's policies uses statutory interest whose rate table has no
        rate for the run's half-year: the interest of the run's actions is then at the last known rate."""
        self.ensure_one()
        levels = (
            self.env["credit.policy.level"]
            .sudo()
            .search(
                [
                    ("policy_id.active", "=", True),
                    ("policy_id.company_id", "in", (False, self.company_id.id)),
                    ("interest_type", "!=", "none"),
                ]
            )
        )
        warnings = self.env["credit.interest.rate"]._missing_rate_warnings(
            set(levels.mapped("interest_type")), self.date
        )
        if warnings:
            self.message_post(body="\n".join(warnings[kind] for kind in sorted(warnings)))

    @api.model
    def _plan(self, company, today):
        """Today's run of ``company``, with a batch for every customer that has an item due today and is not in a
        batch still waiting. Planning again the same day (a second run, a resume) adds only what is new."""
        for model in ("account.move.line", "account.partial.reconcile", "res.partner", "credit.action"):
            self.env[model].flush_model()
        run = self.sudo()._get_run(company, today)
        self.env["credit.followup.step"]._prune(today)
        self._send_thank_you(company)
        # proposals whose items became paused or paid are withdrawn: their items still to follow up are free again
        self.env["credit.action"]._credit_withdraw_paused_proposals(company, today)
        # proposals flagged possibly paid whose evidence was matched since lose the flag
        self.env["credit.action"]._credit_refresh_possibly_paid(company)
        pending = run.batch_ids.filtered(lambda b: b.state == "pending")
        pending.fetch(["partner_ids"])  # one query (not prefetched with the batches)
        waiting = {partner_id for batch in pending for partner_id in batch.partner_ids}
        # the customers of the candidates, made distinct here: with DISTINCT, PostgreSQL shapes the whole
        # statement around sorting them, which made it half as slow again as the candidates alone
        rows = self.env.execute_query(
            SQL("SELECT candidate.partner_id FROM (%s) candidate", self._candidates_sql(company, today))
        )
        partner_ids = sorted({partner_id for (partner_id,) in rows} - waiting)
        self.env["credit.followup.run.batch"].sudo().create(
            [
                {"run_id": run.id, "partner_ids": chunk, "customer_count": len(chunk)}
                for chunk in (partner_ids[i : i + BATCH_SIZE] for i in range(0, len(partner_ids), BATCH_SIZE))
            ]
        )
        if run.batch_ids.filtered(lambda b: b.state == "pending"):
            run.write({"state": "running", "date_start": run.date_start or fields.Datetime.now(), "date_end": False})
        else:
            run._finish()
        return run

    @api.model
    def _candidates_sql(self, company, today, partner_ids=None):
        """Open items that reached their next level today, with that level (one query, all items); named columns:
        line_id, partner_id, level_id, residual, is_overdue, late_ratio, collector_id, current_level_id,
        expected_overdue, credit (the customer's open credit notes and unallocated payments, a positive amount) and
        credit_line_ids (those items).

        An item moves at most one level per day: the next level after the last one executed, when the item is
        at least that many days past due *and* the gap between the two levels' days has passed since the last
        one was executed (``credit_level_date``), so a backlog climbs the ladder at the policy's pace. Items
        that are excluded (``account.move.line._credit_exclusion_sql``), of an archived customer, already
        stepped today (``credit.followup.step``), on a proposed action, or on a failed one that waits for the
        collector, are left out.
        """
        key = str(company.id)
        exclusions = self.env["account.move.line"]._credit_exclusion_sql("aml", today)
        partner_filter = SQL("AND cp.id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL("")
        credit_filter = (
            SQL("AND cp_credit.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL("")
        )
        return SQL(
            """
            SELECT aml.id AS line_id, cp.id AS partner_id, nxt.id AS level_id, aml.amount_residual AS residual,
                   aml.date_maturity < %(today)s AS is_overdue,
                   COALESCE((cp.credit_late_ratio ->> %(key)s)::numeric, 0) AS late_ratio,
                   (cp.credit_collector_id ->> %(key)s)::int AS collector_id,
                   aml.credit_level_id AS current_level_id,
                   (cp.credit_expected_overdue ->> %(key)s)::numeric AS expected_overdue,
                   COALESCE(credit.amount, 0) AS credit,
                   credit.line_ids AS credit_line_ids
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
              -- the customer's open credit notes and unallocated payments, netted as the statistics net them
              LEFT JOIN (
                    SELECT cp_credit.commercial_partner_id AS partner_id,
                           -SUM(credit_line.amount_residual) AS amount,
                           ARRAY_AGG(credit_line.id ORDER BY credit_line.date_maturity, credit_line.id) AS line_ids
                      FROM account_move_line credit_line
                      JOIN account_account credit_acc ON credit_acc.id = credit_line.account_id
                      JOIN res_partner cp_credit ON cp_credit.id = credit_line.partner_id
                     WHERE credit_line.company_id = %(company)s
                       AND credit_line.parent_state = 'posted'
                       AND credit_acc.account_type = 'asset_receivable'
                       AND NOT credit_line.reconciled
                       AND credit_line.amount_residual < 0
                       %(credit_filter)s
                  GROUP BY cp_credit.commercial_partner_id
              ) credit ON credit.partner_id = cp.id
              LEFT JOIN credit_segment seg ON seg.id = (cp.credit_segment_id ->> %(key)s)::int
              JOIN credit_policy pol ON pol.id = COALESCE(seg.policy_id, %(default_policy)s) AND pol.active
              LEFT JOIN credit_policy_level cur ON cur.id = aml.credit_level_id
              CROSS JOIN LATERAL (
                    SELECT lvl.id, lvl.days
                      FROM credit_policy_level lvl
                     WHERE lvl.policy_id = pol.id
                       AND (cur.id IS NULL OR lvl.days > cur.days)
                       -- a reminder before the due date makes no sense once it has passed
                       AND (lvl.days >= 0 OR %(today)s::date < aml.date_maturity)
                  ORDER BY lvl.days, lvl.sequence, lvl.id
                     LIMIT 1
              ) nxt
             WHERE aml.company_id = %(company)s
               AND %(open_item)s
               AND aml.date_maturity IS NOT NULL
               -- archived customers get no new reminders; their open items stay visible
               AND cp.active
               AND %(today)s::date - aml.date_maturity >= nxt.days
               -- the gap between two levels, counted from the day the previous one was executed
               AND (cur.id IS NULL OR aml.credit_level_date IS NULL
                    OR %(today)s::date - aml.credit_level_date >= nxt.days - cur.days)
               AND NOT EXISTS (
                    SELECT 1 FROM credit_followup_step step
                     WHERE step.line_id = aml.id AND step.date = %(today)s::date)
               AND NOT EXISTS (
                    SELECT 1
                      FROM credit_action_account_move_line_rel rel
                      JOIN credit_action act ON act.id = rel.action_id
                     WHERE rel.line_id = aml.id AND act.state IN ('proposed', 'failed'))
               AND %(exclusions)s
               %(partner_filter)s
            """,
            today=today,
            key=key,
            company=company.id,
            default_policy=company.credit_default_policy_id.id or None,
            exclusions=exclusions,
            partner_filter=partner_filter,
            credit_filter=credit_filter,
            open_item=self.env["account.move.line"]._credit_open_item_sql("aml", "acc"),
        )

    @api.model
    def _candidate_groups_sql(self, company, today, partner_ids):
        """The candidates of ``_candidates_sql`` for these customers, one row per customer and level: what the
        batch makes an action of. Named columns: partner_id, level_id, line_ids (its items, in order), amount,
        overdue (what of it is past due), late_ratio, collector_id, expected_overdue, credit and credit_line_ids
        (the customer's, as for each item). Grouped in the statement: a batch reads a row per action instead of
        a row per item (a million-item first run spent a tenth of its time turning item rows into Python)."""
        return SQL(
            """
            SELECT candidate.partner_id, candidate.level_id,
                   ARRAY_AGG(candidate.line_id ORDER BY candidate.line_id) AS line_ids,
                   SUM(candidate.residual) AS amount,
                   COALESCE(SUM(candidate.residual) FILTER (WHERE candidate.is_overdue), 0) AS overdue,
                   MAX(candidate.late_ratio) AS late_ratio,
                   MAX(candidate.collector_id) AS collector_id,
                   MAX(candidate.expected_overdue) AS expected_overdue,
                   MAX(candidate.credit) AS credit,
                   MAX(candidate.credit_line_ids) AS credit_line_ids
              FROM (%s) candidate
          GROUP BY candidate.partner_id, candidate.level_id
          ORDER BY candidate.partner_id, candidate.level_id
            """,
            self._candidates_sql(company, today, partner_ids),
        )

    # ------------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------------

    @api.model
    def _worker_count(self):
        value = self.env["ir.config_parameter"].sudo().get_param(WORKERS_PARAM, DEFAULT_WORKERS)
        try:
            return max(1, int(value))
        except ValueError:
            return DEFAULT_WORKERS

    @api.model
    def _worker_crons(self):
        """The worker crons, created up to the number of workers set (``credit_control.followup_workers``)."""
        Cron = self.env["ir.cron"].sudo().with_context(active_test=False)
        workers = Cron.search([("code", "=", WORKER_CODE), ("model_id.model", "=", self._name)], order="id")
        missing = self._worker_count() - len(workers)
        if missing > 0:
            model = self.env["ir.model"]._get(self._name)
            workers |= Cron.create(
                [
                    {
                        "name": self.env._("Credit Control: follow-up worker %(number)s", number=len(workers) + n + 1),
                        "model_id": model.id,
                        "state": "code",
                        "code": WORKER_CODE,
                        "user_id": self.env.ref("base.user_root").id,
                        "interval_number": 1,
                        "interval_type": "days",
                        "nextcall": fields.Datetime.now() + timedelta(days=1),
                        "active": True,
                    }
                    for n in range(missing)
                ]
            )
        return workers.filtered("active")[: self._worker_count()]

    @api.model
    def _trigger_workers(self):
        """Wake the worker crons: each takes batches until none waits (Odoo calls it again while work remains)."""
        for worker in self._worker_crons():
            worker._trigger()

    @api.model
    def _cron_followup_worker(self):
        """One worker cron's call: one batch of any running run, then the progress, so that Odoo calls it again
        while batches wait.

        Odoo calls a job at most 10 times in a row, then leaves it ready for the next poll of its cron threads: a
        minute later, unless they are notified. A run of 200 batches (a million items) stood still for a minute
        after every 10 batches of each worker (found by ``make bench``'s first run on real servers): while
        batches wait, the worker triggers itself, which notifies the cron threads of every server at once."""
        cron = self.env["ir.cron"].browse(self.env.context.get("cron_id"))
        self._finish_idle_runs()
        batch = self._work_one_batch(cron)
        remaining = self.env["credit.followup.run.batch"].search_count([("state", "=", "pending")])
        self.env["ir.cron"]._notify_progress(done=1 if batch else 0, remaining=remaining if batch else 0)
        if batch and remaining and cron:
            cron.sudo()._trigger()
        return True

    @api.model
    def _lock_free(self, table, ids):
        """The first of ``ids`` (rows of ``table``) that this transaction could take: a transaction-level advisory
        lock per row that no other worker holds (SKIP LOCKED semantics, without waiting), and a row that no other
        worker changed since this transaction began (a row changed and committed after this transaction's
        snapshot raises a serialization failure when locked: it is skipped too). Held until the transaction ends.
        """
        namespace = LOCK_NAMESPACES[table]
        for record_id in ids:
            held = self.env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", namespace, record_id))
            if not held[0][0]:
                continue
            try:
                with self.env.cr.savepoint(flush=False):
                    rows = self.env.execute_query(
                        SQL("SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE", SQL.identifier(table), record_id)
                    )
            except psycopg2.errors.SerializationFailure:
                continue
            if rows:
                return record_id
        return None

    @api.model
    def _work_one_batch(self, worker=None, run=None):
        """Take one waiting batch (of ``run``, else of any running run) that no other worker holds, process it,
        and finish its run if it was the last one. Returns the batch, or an empty recordset when none was free."""
        Batch = self.env["credit.followup.run.batch"].sudo()
        domain = [("state", "=", "pending"), ("run_id.state", "=", "running")]
        if run:
            domain.append(("run_id", "=", run.id))
        else:
            # a run is made on its day: one left unfinished (no worker ran, a crash) is finished, not made later
            domain.append(("run_id.date", "=", fields.Date.context_today(self)))
        waiting = Batch.search(domain, order="id")
        batch = Batch.browse(self._lock_free(Batch._table, waiting.ids))
        if not batch:
            return batch
        batch.invalidate_recordset()
        if batch.state != "pending":
            return Batch
        # the batch's bookkeeping as superuser; the follow-up itself as the user who runs it
        # in the company's language (results, notes, activities; see ``res.company._credit_note_lang``)
        run = batch.run_id.with_env(self.env).with_context(lang=batch.run_id.company_id._credit_note_lang())
        try:
            with self.env.cr.savepoint():
                actions = run._process_batch(batch)
        except CRASHES:
            raise  # a crash: the batch stays waiting, for the resume
        except Exception as error:
            _logger.exception("credit_control: follow-up batch %s of %s failed", batch.id, run.display_name)
            batch.write({"state": "failed", **self._worker_values(worker), "error": str(error)})
            actions = self.env["credit.action"]
        else:
            batch.write({"state": "done", **self._worker_values(worker)})
        batch.action_ids = actions
        if not Batch.search_count([("run_id", "=", run.id), ("state", "=", "pending")]) and self._lock_free(
            self._table, run.ids
        ):
            run._finish()
        return batch

    @api.model
    def _worker_values(self, worker):
        """Who took a batch: the worker cron, and the Odoo process it ran in (``host:pid``), so that a run over
        several servers shows how its batches split over them."""
        return {"worker_id": worker.id if worker else False, "worker_process": f"{socket.gethostname()}:{os.getpid()}"}

    @api.model
    def _finish_idle_runs(self):
        """Finish the running runs that have no waiting batch left (their last batch was done by another worker
        whose transaction had not ended when that worker looked), and those of earlier days: their waiting
        batches were not done on their day and fail (tomorrow's run picks their customers up)."""
        today = fields.Date.context_today(self)
        runs = self.sudo().search([("state", "=", "running")])
        for run in runs:
            waiting = run.batch_ids.filtered(lambda b: b.state == "pending")
            if (not waiting or run.date < today) and self._lock_free(self._table, run.ids):
                note_env = self.with_context(lang=run.company_id._credit_note_lang()).env
                waiting.write({"state": "failed", "error": note_env._("Not processed on the run's day.")})
                run._finish()

    def _finish(self):
        """End the run: done, or done with failures (then an activity for the credit manager)."""
        for run in self:
            # the failed actions read by their state alone (the run's counts would read all its actions)
            failed = run.failed_action_ids or run.failure_note or run.batch_ids.filtered(lambda b: b.state == "failed")
            state = "done_failures" if failed else "done"
            run.sudo().write(
                {
                    "state": state,
                    "date_end": fields.Datetime.now(),
                    "date_start": run.date_start or fields.Datetime.now(),
                }
            )
            if failed:
                run._schedule_failure_activity()

    def _schedule_failure_activity(self):
        self.ensure_one()
        if self.activity_ids:
            return
        note_env = self.with_context(lang=self.company_id._credit_note_lang()).env
        managers = self.env.ref("credit_control.group_credit_control_manager").users.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )
        user = managers.sorted("id")[:1] or self.env.ref("base.user_admin", raise_if_not_found=False)
        if not user:
            return
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=note_env._("Follow-up run with failures: check them and retry"),
            user_id=user.id,
            date_deadline=self.date,
        )

    # ------------------------------------------------------------------
    # The run made within one call
    # ------------------------------------------------------------------

    @api.model
    def _run_followup(self, company, today=None, auto_commit=None):
        """Make today's run of ``company`` within this call: plan it, process every batch, finish it.

        Commits per batch when ``auto_commit`` (default: when the code may commit, see ``may_commit``), so that a
        crash keeps what is done; a rerun finds nothing new for what is done (idempotent).
        Returns the actions created.
        """
        today = today or fields.Date.context_today(self)
        auto_commit = may_commit(self.env) if auto_commit is None else auto_commit
        run = self._plan(company, today)
        created = self.env["credit.action"]
        cron = self.env["ir.cron"]
        while batch := self._work_one_batch(cron.browse(self.env.context.get("cron_id")), run):
            created |= batch.action_ids
            cron._notify_progress(done=run.customer_done, remaining=run.customer_count - run.customer_done)
            if auto_commit:
                # Safe: this batch's actions, their executions, the item levels and the batch state are consistent.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            # memory stays flat however large the book: nothing of this batch is kept in the ORM cache
            self.env.flush_all()
            self.env.invalidate_all()
        _logger.info("credit_control: %s follow-up actions for %s", len(created), company.name)
        return created.exists()

    def _process_batch(self, batch):
        """The follow-up of one batch of customers: their items' next steps proposed, executed where the level
        says so. One call per batch, inside the batch's savepoint; patch it to simulate a crash mid-batch."""
        self.ensure_one()
        self._plan_each_statement()
        actions = self._create_actions(self.company_id, self.date, batch.partner_ids)
        # what the flagging and the choice below read of the new actions, alone: reading one field would fetch
        # them all, their items too (a quarter of a second per 10,000 items in a first run, which needs none)
        actions.fetch(["channel", "arrangement_check", "possibly_paid", "level_id"])
        # no reminder for what is already paid: the batch's reminders with money arrived unmatched wait (the
        # automatic ones are checked again by ``_execute``, a fixed number of queries for the batch too)
        held = actions._credit_flag_possibly_paid()
        (actions.filtered("level_id.auto_execute") - held).with_context(credit_followup_date=self.date)._execute()
        return actions

    @api.model
    def _plan_each_statement(self):
        """Let PostgreSQL plan the foreign-key checks of the rows this batch inserts for the tables as they are.

        It checks each new action's and each new item link's foreign keys with a plan that it prepares once
        per connection and then keeps (a generic plan). Prepared while the table of actions was still small
        (a first run, a new database), that plan scans the table, and every later insert scans it again
        as it grows: the first run over a million items became quadratic (found by ``make bench --large``).
        The connection's kept plans are dropped at the start of every batch, so each batch's checks are
        planned again on the tables' current size, and one plan serves all the rows of the batch: planning
        every check row by row (``plan_cache_mode = force_custom_plan``, before) cost most of a first run.
        """
        self.env.cr.execute("DISCARD PLANS")

    @api.model
    def _send_thank_you(self, company):
        """Thank the followed-up customers who have paid in full, where their segment asks for it.

        Once per follow-up: the actions whose items are all paid are marked thanked.
        """
        key = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT act.partner_id, ARRAY_AGG(DISTINCT act.id)
                  FROM credit_action act
                  JOIN res_partner cp ON cp.id = act.partner_id
                  JOIN credit_segment seg ON seg.id = (cp.credit_segment_id ->> %(key)s)::int
                 WHERE act.company_id = %(company)s
                   AND act.state = 'done'
                   AND NOT COALESCE(act.thanked, FALSE)
                   AND act.channel IN %(channels)s
                   AND seg.credit_thank_you
                   AND NOT EXISTS (
                        SELECT 1 FROM credit_action_account_move_line_rel rel
                          JOIN account_move_line aml ON aml.id = rel.line_id
                         WHERE rel.action_id = act.id AND NOT aml.reconciled)
                   AND NOT EXISTS (
                        SELECT 1 FROM account_move_line aml
                          JOIN account_account acc ON acc.id = aml.account_id
                          JOIN res_partner p ON p.id = aml.partner_id
                         WHERE p.commercial_partner_id = cp.id
                           AND aml.company_id = %(company)s
                           AND %(open_item)s)
              GROUP BY act.partner_id
                """,
                key=key,
                company=company.id,
                channels=CONTACT_CHANNELS,
                open_item=self.env["account.move.line"]._credit_open_item_sql("aml", "acc"),
            )
        )
        if not rows:
            return
        template = self.env.ref("credit_control.mail_template_credit_thank_you")
        for partner_id, action_ids in rows:
            partner = self.env["res.partner"].browse(partner_id).with_company(company)
            partner.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )
            self.env["credit.action"].browse(action_ids).sudo().write({"thanked": True})

    @api.model
    def _invoice_contacts(self, partner_ids):
        """Who receives each customer's reminders: its first invoicing contact, else the customer itself.

        One query for the whole batch (``address_get`` per customer would be one search each).
        """
        contacts = self.env["res.partner"].search_fetch(
            [("parent_id", "in", list(partner_ids)), ("type", "=", "invoice")], ["parent_id"], order="id desc"
        )
        result = {partner_id: partner_id for partner_id in partner_ids}
        for contact in contacts:  # newest first, so the first contact wins
            result[contact.parent_id.id] = contact.id
        return result

    @api.model
    def _priority(self, overdue, expected_overdue, late_ratio):
        """The worklist's order: the customer's expected overdue amount (overdue now, or expected to be paid
        late) weighted by its late ratio; the action's overdue amount when the customer has no prediction."""
        amount = float(expected_overdue) if expected_overdue is not None else overdue
        return amount * (1.0 + late_ratio)

    @api.model
    def _net_credits(self, company, groups, credits, levels):
        """Deduct each customer's open credits (credit notes, unallocated payments) from its groups of items,
        the most advanced level first (its items are the oldest), as the statistics net them: sets each group's
        ``credit`` (deducted), ``net`` (what the customer owes for the items), ``overdue_net`` and
        ``credit_lines``. ``credits``: {customer: (open credits, their items)}."""
        currency = company.currency_id
        days = {level.id: level.days for level in levels}
        left = {partner_id: amount for partner_id, (amount, _lines) in credits.items()}
        for partner_id, level_id in sorted(groups, key=lambda key: (key[0], -days[key[1]], key[1])):
            group = groups[(partner_id, level_id)]
            deducted = currency.round(max(min(left.get(partner_id, 0.0), group["amount"]), 0.0))
            left[partner_id] = left.get(partner_id, 0.0) - deducted
            group["credit"] = deducted
            group["net"] = currency.round(group["amount"] - deducted)
            group["overdue_net"] = currency.round(max(group["overdue"] - deducted, 0.0))
            group["credit_lines"] = credits.get(partner_id, (0.0, []))[1] if deducted else []

    def _create_actions(self, company, today, partner_ids):
        """Today's actions for the candidates of these customers (``_candidate_groups_sql``), one per customer and
        level.

        Each item's step of the day is taken in ``credit.followup.step`` (unique per item and day) with the action
        that takes it: an item already stepped today, by whatever run or worker, is left out. The candidates leave
        out the items stepped today already, so the actions are made for all their items first and their steps
        taken in the same statement as they are linked; when an item turns out to be taken after all (its step
        made since the candidates were read), that is undone and the candidates are read again, without it.
        """
        Step = self.env["credit.followup.step"]
        for _attempt in range(2):
            rows = self.env.execute_query_dict(self._candidate_groups_sql(company, today, partner_ids))
            vals_list = self._action_values(company, today, rows)
            if not vals_list:
                return self.env["credit.action"]
            taking = {line_id: index for index, vals in enumerate(vals_list) for line_id in vals["line_ids"]}
            try:
                with self.env.cr.savepoint(flush=False):
                    action_ids = self._insert_action_rows(vals_list)
                    taken = Step._take({line_id: action_ids[index] for line_id, index in taking.items()}, today)
                    if len(taken) < len(taking):
                        raise ItemTakenError
            except ItemTakenError:
                continue
            return self._insert_actions_done(vals_list, action_ids)
        raise ItemTakenError(self.env._("The items of these customers are being followed up by another run."))

    def _action_values(self, company, today, rows):
        """The values of the actions for the candidate ``rows`` (of ``_candidate_groups_sql``: a customer's items of
        one level), the customer's open credits deducted; a group the credits cover owes nothing and gets no
        action."""
        groups = {}
        credits = {}
        for row in rows:
            groups[(row["partner_id"], row["level_id"])] = {
                "lines": row["line_ids"],
                "amount": row["amount"],
                "overdue": row["overdue"],
                "late": float(row["late_ratio"]),
                "collector": row["collector_id"],
                "expected": row["expected_overdue"],  # the customer's expected overdue (None before a prediction)
            }
            credits[row["partner_id"]] = (float(row["credit"] or 0.0), row["credit_line_ids"] or [])
        if not groups:
            return []
        levels = self.env["credit.policy.level"].browse({level_id for _partner, level_id in groups})
        self._net_credits(company, groups, credits, levels)
        # a customer whose open credits cover the items owes nothing for them: no action, the items' day stays free
        groups = {key: group for key, group in groups.items() if group["net"] > 0}
        if not groups:
            return []
        invoice_contacts = self._invoice_contacts({partner_id for partner_id, _level in groups})
        channel = {level.id: level.action_type for level in levels}
        # a level taking the customer's preferred channel only: its step on that channel (one query for the batch)
        preferred = {}
        preferred_levels = levels.filtered("preferred_channel_only")
        if preferred_levels:
            customers = {partner_id for partner_id, level_id in groups if level_id in preferred_levels.ids}
            preferred = {
                partner.id: partner.credit_channel for partner in self.env["res.partner"].sudo().browse(customers)
            }
        return [
            {
                "partner_id": partner_id,
                "recipient_id": invoice_contacts[partner_id],
                "company_id": company.id,
                "run_id": self.id or False,
                "level_id": level_id,
                "channel": (
                    levels.browse(level_id)._credit_channel_for(preferred[partner_id])
                    if partner_id in preferred
                    else channel[level_id]
                ),
                "date": today,
                "user_id": group["collector"],
                "line_ids": group["lines"],
                "credit_line_ids": group["credit_lines"],
                "amount": group["net"],
                "amount_credit": group["credit"],
                "amount_overdue": group["overdue_net"],
                "priority": self._priority(group["overdue_net"], group["expected"], group["late"]),
            }
            for (partner_id, level_id), group in groups.items()
        ]

    # the columns of a new action that ``_insert_actions`` writes from its values; any other stored field of
    # credit.action gets its default, as ``create`` gives it
    INSERTED_COLUMNS = (
        "partner_id",
        "recipient_id",
        "company_id",
        "run_id",
        "level_id",
        "channel",
        "date",
        "user_id",
        "amount",
        "amount_credit",
        "amount_overdue",
        "priority",
    )

    @api.model
    def _insert_actions(self, vals_list):
        """Create the run's actions as ``credit.action.create`` would (no chatter message, no tracking), in three
        statements whatever their number: their rows, and their items and credits in the two relation tables.

        ``vals_list``: dicts of ``INSERTED_COLUMNS`` plus ``line_ids`` and ``credit_line_ids`` (lists of ids).
        The ORM's ``create`` costs about 4 ms per action (the first run of 5,000 customers spent most of its
        time there), this a few microseconds. The level's policy (``policy_id``) is set from the level, and the
        statutory interest (``interest_amount``) is computed by the ORM for the levels that show it.
        """
        if not vals_list:
            return self.env["credit.action"]
        return self._insert_actions_done(vals_list, self._insert_action_rows(vals_list))

    @api.model
    def _insert_action_rows(self, vals_list):
        """The rows of ``_insert_actions``: the actions and their two relation tables; returns the new ids, in the
        order of ``vals_list``. Nothing in the ORM's cache is told (see ``_insert_actions_done``)."""
        Action = self.env["credit.action"]
        Action.check_access("create")
        levels = self.env["credit.policy.level"].browse({vals["level_id"] for vals in vals_list})
        policy = {level.id: level.policy_id.id for level in levels}
        magic = set(models.MAGIC_COLUMNS) | {"policy_id", "interest_amount", *self.INSERTED_COLUMNS}
        others = [
            name
            for name, field in Action._fields.items()
            if field.store and field.column_type and name not in magic and field.type != "many2many"
        ]
        defaults = {
            name: Action._fields[name].convert_to_column_insert(value, Action)
            for name, value in Action.default_get(others).items()
            if name in others
        }
        columns = [*self.INSERTED_COLUMNS, "policy_id", "interest_amount", *defaults]
        rows = [
            [
                *(None if vals[column] is False else vals[column] for column in self.INSERTED_COLUMNS),
                policy[vals["level_id"]],
                0.0,  # no interest unless the level shows it, recomputed below
                *defaults.values(),
            ]
            for vals in vals_list
        ]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO credit_action (%s, create_uid, write_uid, create_date, write_date)
                SELECT new_action.*, %s, %s, %s, %s FROM jsonb_to_recordset(%s::jsonb) AS new_action(%s)
                RETURNING id
                """,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                self.env.uid,
                self.env.uid,
                self.env.cr.now(),
                self.env.cr.now(),
                json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str),
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(column), SQL(Action._fields[column].column_type[1]))
                    for column in columns
                ),
            )
        )
        action_ids = [action_id for (action_id,) in self.env.cr.fetchall()]
        for field_name in ("line_ids", "credit_line_ids"):
            field = Action._fields[field_name]
            pairs = [
                (action_id, line_id)
                for action_id, vals in zip(action_ids, vals_list, strict=True)
                for line_id in vals[field_name]
            ]
            if pairs:
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s::int[], %s::int[])",
                        SQL.identifier(field.relation),
                        SQL.identifier(field.column1),
                        SQL.identifier(field.column2),
                        int_array(action_id for action_id, _line_id in pairs),
                        int_array(line_id for _action_id, line_id in pairs),
                    )
                )
        return action_ids

    def _insert_actions_done(self, vals_list, action_ids):
        """The actions whose rows ``_insert_action_rows`` inserted, with what the ORM computes for them."""
        Action = self.env["credit.action"]
        actions = Action.browse(action_ids)
        levels = self.env["credit.policy.level"].browse({vals["level_id"] for vals in vals_list})
        # nothing cached saw these rows: the run's list of actions, and the actions' own interest
        self.invalidate_recordset(["action_ids", "failed_action_ids"])
        interest_levels = levels.filtered(lambda level: level.interest_type and level.interest_type != "none")
        with_interest = Action.browse(
            action_id
            for action_id, vals in zip(action_ids, vals_list, strict=True)
            if vals["level_id"] in interest_levels.ids
        )
        if with_interest:
            self.env.add_to_compute(Action._fields["interest_amount"], with_interest)
            with_interest.flush_recordset(["interest_amount"])
        return actions


class CreditFollowupRunBatch(models.Model):
    """A batch of customers of one run, taken by one worker at a time (its row is locked while processed)."""

    _name = "credit.followup.run.batch"
    _description = "Credit Follow-up Run Batch"
    _order = "id"

    run_id = fields.Many2one("credit.followup.run", required=True, ondelete="cascade", index=True, readonly=True)
    # not prefetched: the run's progress reads all its batches after each one (a million-item run has 200 batches
    # of 500 customer ids), and only the batch being worked on needs its customers
    partner_ids = fields.Json(string="Customer IDs", readonly=True, prefetch=False)
    customer_count = fields.Integer(string="Customers", readonly=True)
    state = fields.Selection(
        [("pending", "Waiting"), ("done", "Done"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    worker_id = fields.Many2one("ir.cron", readonly=True, ondelete="set null")
    worker_process = fields.Char(
        string="Process", readonly=True, help="The Odoo process that took the batch: its host and process id."
    )
    action_ids = fields.Many2many("credit.action", string="Actions", readonly=True)  # pylint: disable=attribute-string-redundant
    error = fields.Text(readonly=True)


class CreditFollowupStep(models.Model):
    """An open item's follow-up step of one day: at most one per item and day, whatever the number of runs,
    resumes or workers (the unique index is the guarantee). A cancelled action frees its items' day.

    A claim, not a history (the history is the actions and the items' levels): only today's and yesterday's
    steps matter (a run of yesterday may still be finishing), the earlier ones are removed by each day's plan
    (``_prune``). Its item and action are plain ids, without foreign keys: checking both keys of every new
    step cost a tenth of a first run (``make bench``), to protect rows that live two days. An item id is never
    reused (a deleted item's step only blocks that id, until pruned), and actions are never deleted."""

    _name = "credit.followup.step"
    _description = "Credit Follow-up Step of an Item"
    _log_access = False

    line_id = fields.Integer(required=True, readonly=True)  # the journal item's id
    date = fields.Date(required=True, readonly=True)
    action_id = fields.Integer(index=True, readonly=True)  # the action's id

    _sql_constraints = [
        ("line_date_unique", "UNIQUE(line_id, date)", "An open item gets at most one follow-up step per day."),
    ]

    @api.model
    def _take(self, actions, today):
        """Take today's step of these items for their actions (``actions``: {item id: action id}), those not
        stepped today; returns the set of items taken. One statement whatever their number."""
        if not actions:
            return set()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO credit_followup_step (line_id, date, action_id)
                SELECT line_id, %s::date, action_id FROM unnest(%s::int[], %s::int[]) AS item(line_id, action_id)
                ON CONFLICT (line_id, date) DO NOTHING
                RETURNING line_id
                """,
                today,
                int_array(actions),
                int_array(actions.values()),
            )
        )
        return {line_id for (line_id,) in rows}

    @api.model
    def _prune(self, today):
        """Remove the steps of the days before yesterday: they can no longer be taken again."""
        self.env.cr.execute(SQL("DELETE FROM credit_followup_step WHERE date < %s", today - timedelta(days=1)))

    @api.model
    def _release(self, actions):
        """Free the day of the items of these (cancelled) actions."""
        self.env.cr.execute(SQL("DELETE FROM credit_followup_step WHERE action_id = ANY(%s)", actions.ids))
