import logging
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Partners locked and processed per transaction by the daily run.
BATCH_SIZE = 500
# First key of the transaction-level advisory locks that the daily run takes per group of customers.
LOCK_NAMESPACE = 7_340_101
# Customers are locked per bucket (customer id modulo this number): a transaction never holds more than this
# many locks, however large the book, so a run that does not commit per batch fits PostgreSQL's lock table.
LOCK_BUCKETS = 1024


class CreditAction(models.Model):
    _inherit = "credit.action"

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------

    @api.model
    def _followup_candidates_sql(self, company, today, partner_ids=None):
        """Open items that reached their next level today, with that level (one query, all items).

        An item moves at most one level per run: the next level after the last one executed,
        when the item is at least that many days past due. Items that are excluded (by hand, or by
        any condition of ``account.move.line._credit_exclusion_sql``), already on a proposed
        action, or on a failed one that waits for the collector, are left out.
        """
        key = str(company.id)
        exclusions = self.env["account.move.line"]._credit_exclusion_sql("aml", today)
        partner_filter = SQL("AND cp.id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL("")
        return SQL(
            """
            SELECT aml.id, cp.id, nxt.id, aml.amount_residual, aml.date_maturity < %(today)s,
                   COALESCE((cp.credit_late_ratio ->> %(key)s)::numeric, 0),
                   (cp.credit_collector_id ->> %(key)s)::int, aml.credit_level_id,
                   (cp.credit_expected_overdue ->> %(key)s)::numeric
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
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
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT aml.reconciled
               AND aml.amount_residual > 0
               AND aml.date_maturity IS NOT NULL
               AND %(today)s::date - aml.date_maturity >= nxt.days
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
        )

    @api.model
    def _run_followup(self, company, today=None, auto_commit=False):
        """Propose (and, where the level says so, execute) today's follow-up for ``company``.

        Works per batch of customers, each locked (skipping those another worker holds) so that two
        workers running at once never handle the same customer, and committed on its own when ``auto_commit`` so a
        crash keeps what is done; a rerun finds nothing new for what is done (idempotent).
        Returns the actions created.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner", "credit.action"):
            self.env[model].flush_model()
        self._send_thank_you(company)
        query = self._followup_candidates_sql(company, today)
        rows_by_partner = defaultdict(list)
        for row in self.env.execute_query(query):
            rows_by_partner[row[1]].append(row)
        created = self.browse()
        cron = self.env["ir.cron"]
        done, total = 0, len(rows_by_partner)
        for buckets in self._lock_batches(rows_by_partner):
            self._plan_each_statement()
            held = self._lock_buckets(buckets)
            # a bucket held by another worker is that worker's, whole: it handles all of its customers
            locked = [partner_id for bucket in held for partner_id in buckets[bucket]]
            if locked:
                # now that the customers are ours, keep only the items nobody handled since the query
                rows = self._still_due([row for partner_id in locked for row in rows_by_partner[partner_id]], today)
                actions = self._create_actions(company, today, rows)
                actions.filtered("level_id.auto_execute")._execute()
                created |= actions
            done += sum(len(partner_ids) for partner_ids in buckets.values())
            cron._notify_progress(done=done, remaining=total - done)
            if auto_commit:
                # Safe: this batch's actions, their executions and the item levels are consistent.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            # memory stays flat however large the book: nothing of this batch is kept in the ORM cache
            self.env.flush_all()
            self.env.invalidate_all()
        _logger.info("credit_control: %s follow-up actions for %s", len(created), company.name)
        return created

    @api.model
    def _plan_each_statement(self):
        """Let PostgreSQL plan the foreign-key checks of the rows this batch inserts for their statement.

        It checks each new action's and each new item link's foreign keys with a plan that it prepares once
        per connection and then keeps (a generic plan). Prepared while the table of actions was still small
        (a first run, a new database), that plan scans the table, and every later insert scans it again
        as it grows: the first run over a million items became quadratic (found by ``make bench --large``).
        ``SET LOCAL`` lasts until the batch commits, so it is set again for every batch.
        """
        self.env.cr.execute("SET LOCAL plan_cache_mode = force_custom_plan")

    @api.model
    def _still_due(self, rows, today):
        """The candidate rows whose items are still due at the level found: another worker may have handled
        the customer (level changed, or a proposal made), or it was paid, disputed, ... in the meantime.

        One query by primary key for the batch, instead of the whole candidate query again.
        """
        if not rows:
            return rows
        exclusions = self.env["account.move.line"]._credit_exclusion_sql("aml", today)
        current = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT aml.id, aml.amount_residual
                      FROM unnest(%(ids)s::int[], %(levels)s::int[]) AS found(id, level_id)
                      JOIN account_move_line aml ON aml.id = found.id
                     WHERE NOT aml.reconciled
                       AND aml.amount_residual > 0
                       AND aml.credit_level_id IS NOT DISTINCT FROM found.level_id
                       AND NOT EXISTS (
                            SELECT 1
                              FROM credit_action_account_move_line_rel rel
                              JOIN credit_action act ON act.id = rel.action_id
                             WHERE rel.line_id = aml.id AND act.state IN ('proposed', 'failed'))
                       AND %(exclusions)s
                    """,
                    ids=[row[0] for row in rows],
                    levels=[row[7] for row in rows],
                    exclusions=exclusions,
                )
            )
        )
        return [(row[0], row[1], row[2], current[row[0]], *row[4:]) for row in rows if row[0] in current]

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
                   AND act.channel IN ('email', 'letter', 'sms', 'whatsapp', 'phone')
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
                           AND aml.parent_state = 'posted'
                           AND acc.account_type = 'asset_receivable'
                           AND NOT aml.reconciled
                           AND aml.amount_residual > 0)
              GROUP BY act.partner_id
                """,
                key=key,
                company=company.id,
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
            self.browse(action_ids).sudo().write({"thanked": True})

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
    def _lock_batches(self, partner_ids):
        """The customers grouped in lock buckets, and the buckets in batches of about ``BATCH_SIZE``
        customers: [{bucket: [customer ids]}]. Every worker forms the same buckets."""
        buckets = defaultdict(list)
        for partner_id in sorted(partner_ids):
            buckets[partner_id % LOCK_BUCKETS].append(partner_id)
        batches, current, size = [], {}, 0
        for bucket in sorted(buckets):
            current[bucket] = buckets[bucket]
            size += len(buckets[bucket])
            if size >= BATCH_SIZE:
                batches.append(current)
                current, size = {}, 0
        if current:
            batches.append(current)
        return batches

    @api.model
    def _lock_buckets(self, buckets):
        """Take the buckets of customers no other worker holds and skip the others (SKIP LOCKED semantics).

        Transaction-level advisory locks, not row locks on res_partner: a row lock would make every
        user who edits one of these customers, and the statistics refresh, wait for the batch.
        Released by the commit that ends the batch; taken again freely by the same transaction.
        """
        rows = self.env.execute_query(
            SQL(
                "SELECT bucket FROM unnest(%s::int[]) AS bucket WHERE pg_try_advisory_xact_lock(%s, bucket)"
                " ORDER BY bucket",
                sorted(buckets),
                LOCK_NAMESPACE,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _lock_partners(self, partner_ids):
        """Lock these customers (their buckets) for this transaction; return those now held."""
        held = set(self._lock_buckets({partner_id % LOCK_BUCKETS for partner_id in partner_ids}))
        return [partner_id for partner_id in partner_ids if partner_id % LOCK_BUCKETS in held]

    @api.model
    def _priority(self, overdue, expected_overdue, late_ratio):
        """The worklist's order: the customer's expected overdue amount (overdue now, or expected to be paid
        late) weighted by its late ratio; the action's overdue amount when the customer has no prediction."""
        amount = float(expected_overdue) if expected_overdue is not None else overdue
        return amount * (1.0 + late_ratio)

    @api.model
    def _create_actions(self, company, today, rows):
        groups = defaultdict(
            lambda: {"lines": [], "amount": 0.0, "overdue": 0.0, "late": 0.0, "collector": False, "expected": None}
        )
        for line_id, partner_id, level_id, residual, is_overdue, late_ratio, collector_id, _level, expected in rows:
            group = groups[(partner_id, level_id)]
            group["lines"].append(line_id)
            group["amount"] += residual
            group["overdue"] += residual if is_overdue else 0.0
            group["late"] = float(late_ratio)
            group["collector"] = collector_id
            group["expected"] = expected  # the customer's expected overdue (None before its first prediction)
        if not groups:
            return self.browse()
        levels = self.env["credit.policy.level"].browse({level_id for _partner, level_id in groups})
        invoice_contacts = self._invoice_contacts({partner_id for partner_id, _level in groups})
        channel = {level.id: level.action_type for level in levels}
        vals_list = []
        for (partner_id, level_id), group in groups.items():
            vals_list.append(
                {
                    "partner_id": partner_id,
                    "recipient_id": invoice_contacts[partner_id],
                    "company_id": company.id,
                    "level_id": level_id,
                    "channel": channel[level_id],
                    "date": today,
                    "user_id": group["collector"],
                    "line_ids": [Command.set(group["lines"])],
                    "amount": company.currency_id.round(group["amount"]),
                    "amount_overdue": company.currency_id.round(group["overdue"]),
                    "priority": self._priority(group["overdue"], group["expected"], group["late"]),
                }
            )
        return self.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)
