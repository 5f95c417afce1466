from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from .account_move import ACTIVE_PLAN_STATES, OPEN_DISPUTE_STATES, OPEN_PROMISE_STATES
from .credit_insolvency import ACTIVE_INSOLVENCY_STATES

# The open items with something left to pay (see ``AccountMoveLine.init``); lines of accounts that are not
# reconciled (sales, taxes) have no residual and stay out of it.
CREDIT_OPEN_INDEX = "account_move_line_credit_open_partner_idx"
CREDIT_OPEN_INDEX_WHERE = "amount_residual <> 0 AND NOT reconciled AND parent_state = 'posted'"


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    credit_level_id = fields.Many2one(
        "credit.policy.level",
        string="Follow-up Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The last follow-up level executed (or skipped) for this open item.",
        groups="credit_control.group_credit_control_user",
    )
    credit_level_date = fields.Date(
        string="Follow-up Level Date",
        readonly=True,
        copy=False,
        groups="credit_control.group_credit_control_user",
        help="The day the follow-up level was executed (or skipped); the next level waits for the gap between the "
        "two levels' days from this day.",
    )
    credit_excluded = fields.Boolean(
        string="No Follow-up",
        copy=False,
        help="This item is left out of the follow-up, for the reason given.",
        groups="credit_control.group_credit_control_user",
    )
    credit_excluded_reason = fields.Char(
        string="Reason for No Follow-up", copy=False, groups="credit_control.group_credit_control_user"
    )
    credit_agency_id = fields.Many2one(
        "res.partner",
        string="Collection Agency",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="credit_control.group_credit_control_user",
    )
    credit_agency_date = fields.Date(
        string="Handed Over On", readonly=True, copy=False, groups="credit_control.group_credit_control_user"
    )
    credit_interest_to = fields.Date(
        string="Interest Charged Until",
        readonly=True,
        copy=False,
        help="Statutory interest on this item has been invoiced up to and including this day.",
        groups="credit_control.group_credit_control_user",
    )
    credit_action_ids = fields.Many2many(
        "credit.action",
        "credit_action_account_move_line_rel",
        "line_id",
        "action_id",
        string="Follow-up Actions",
        readonly=True,
        copy=False,
        groups="credit_control.group_credit_control_user",
    )

    def init(self):
        result = super().init()
        # The credit check of a quotation sums its customer's open receivables and their overdue part
        # (``res.partner._credit_exposure_and_overdue``): this index holds just the lines with something left
        # to pay, per partner, with every column that sum reads, so that a customer with thousands of open
        # items is summed from the index alone. Its condition is the check's, word for word, for the planner.
        create_index(
            self.env.cr,
            CREDIT_OPEN_INDEX,
            self._table,
            ["partner_id", "account_id", "company_id", "date_maturity", "amount_residual"],
            where=CREDIT_OPEN_INDEX_WHERE,
        )
        return result

    def _credit_write_followup(self, vals):
        """Write this addon's follow-up bookkeeping fields (level, agency, interest date) in one UPDATE.

        These fields feed no computation of the journal entry, so they skip ``account.move.line.write``,
        which would re-synchronise every invoice touched (the dominant cost of a large follow-up run).
        """
        allowed = {
            "credit_level_id",
            "credit_level_date",
            "credit_agency_id",
            "credit_agency_date",
            "credit_interest_to",
        }
        if set(vals) - allowed:
            raise ValueError(f"Only follow-up fields are written this way, not {set(vals) - allowed}")
        if not self:
            return
        self.flush_recordset(list(vals))
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value.id if isinstance(value, models.BaseModel) else value or None)
            for name, value in vals.items()
        )
        self.env.cr.execute(SQL("UPDATE account_move_line SET %s WHERE id = ANY(%s)", assignments, list(self.ids)))
        self.invalidate_recordset(list(vals))

    def _credit_open_item_sql(self, alias, account_alias):
        """SQL condition for an open receivable item (``alias``, its account joined as ``account_alias``):
        posted, on a receivable account, not reconciled, with an amount still to receive. What an open item is,
        for the daily run and its thank-you check."""
        return SQL(
            """%(aml)s.parent_state = 'posted'
               AND %(acc)s.account_type = 'asset_receivable'
               AND NOT %(aml)s.reconciled
               AND %(aml)s.amount_residual > 0""",
            aml=SQL.identifier(alias),
            acc=SQL.identifier(account_alias),
        )

    def _credit_exclusion_sql(self, alias, today):
        """SQL condition an open item (table alias ``alias``) must meet to be followed up on ``today``.

        The one place that says what pauses follow-up: an item excluded by hand, handed over to a
        collection agency, or whose invoice is in an open dispute, an open promise to pay (until the
        promised date plus the grace days) or an active payment plan, or whose customer is in an insolvency case
        of the item's company from its judgment date until the case is closed or cancelled, or whose customer's
        reply to a reminder is still to handle, up to the reply's ``pause_until`` (``credit.reply``) (the same as
        ``account.move._credit_pause_records``, which the invoice and the portal show). ``today`` is a parameter, not
        ``CURRENT_DATE``, so that the run can be made for any day. The fields read are flushed by
        ``env.execute_query`` (``to_flush``), so records created in the same transaction count.
        """
        to_flush = [
            self.env[model]._fields[fname]
            for model, fnames in (
                ("credit.dispute", ("state", "move_ids")),
                ("credit.promise", ("state", "move_ids", "date_grace_end")),
                ("credit.payment.plan", ("state", "move_ids")),
                ("credit.insolvency", ("state", "partner_id", "company_id", "judgment_date")),
                ("credit.reply", ("state", "partner_id", "company_id", "pause_until")),
            )
            for fname in fnames
        ]
        condition = SQL(
            """NOT COALESCE(%(aml)s.credit_excluded, FALSE) AND %(aml)s.credit_agency_id IS NULL
               AND NOT EXISTS (
                    SELECT 1 FROM credit_dispute_account_move_rel dis_rel
                      JOIN credit_dispute dis ON dis.id = dis_rel.dispute_id
                     WHERE dis_rel.move_id = %(aml)s.move_id AND dis.state IN %(dispute_states)s)
               AND NOT EXISTS (
                    SELECT 1 FROM credit_promise_account_move_rel prom_rel
                      JOIN credit_promise prom ON prom.id = prom_rel.promise_id
                     WHERE prom_rel.move_id = %(aml)s.move_id AND prom.state IN %(promise_states)s
                       AND (prom.date_grace_end IS NULL OR %(today)s::date <= prom.date_grace_end))
               AND NOT EXISTS (
                    SELECT 1 FROM credit_payment_plan_account_move_rel plan_rel
                      JOIN credit_payment_plan plan ON plan.id = plan_rel.plan_id
                     WHERE plan_rel.move_id = %(aml)s.move_id AND plan.state IN %(plan_states)s)
               AND NOT EXISTS (
                    SELECT 1 FROM credit_insolvency ins
                     WHERE ins.partner_id = %(aml)s.partner_id AND ins.company_id = %(aml)s.company_id
                       AND ins.state IN %(insolvency_states)s AND ins.judgment_date <= %(today)s::date)
               AND NOT EXISTS (
                    SELECT 1 FROM credit_reply rep
                     WHERE rep.partner_id = %(aml)s.partner_id AND rep.company_id = %(aml)s.company_id
                       AND rep.state = 'pending' AND %(today)s::date <= rep.pause_until)""",
            aml=SQL.identifier(alias),
            today=today,
            dispute_states=OPEN_DISPUTE_STATES,
            promise_states=OPEN_PROMISE_STATES,
            plan_states=ACTIVE_PLAN_STATES,
            insolvency_states=ACTIVE_INSOLVENCY_STATES,
        )
        return SQL(" ".join(["%s"] * (len(to_flush) + 1)), condition, *(SQL("", to_flush=field) for field in to_flush))

    def _credit_refresh_partner_statistics(self):
        """Bring the stored credit statistics of these lines' customers up to date.

        Called when receivables are posted, reset or (un)reconciled, so that overdue amounts
        shown and filtered on partners do not wait for the nightly run. One SQL statement per
        company, whatever the number of lines.
        """
        receivable = self.filtered(lambda line: line.account_type == "asset_receivable" and line.partner_id)
        Partner = self.env["res.partner"].sudo()
        for company, lines in receivable.grouped("company_id").items():
            partner_ids = lines.partner_id.commercial_partner_id.ids
            Partner.with_company(company)._credit_compute_statistics(company, partner_ids=partner_ids)
            Partner.with_company(company)._credit_compute_expected_overdue(company, partner_ids=partner_ids)
