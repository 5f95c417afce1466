import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from ..tools import nl_bik
from .credit_policy_level import ACTION_TYPES, CONTACT_CHANNELS, REMINDER_CHANNELS

_logger = logging.getLogger(__name__)

CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("not_reached", "Not Reached"),
    ("promise", "Promise to Pay"),
    ("dispute", "Dispute"),
    ("callback", "Call Back"),
]


class CreditAction(models.Model):
    """One follow-up step for one customer at one level on one day, covering a set of open items.

    Proposed actions are the collector's worklist; everything else is history. Never deleted.
    """

    _name = "credit.action"
    _description = "Credit Follow-up Action"
    _inherit = ["mail.thread"]
    _order = "priority desc, date, id"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    recipient_id = fields.Many2one(
        "res.partner", readonly=True, help="The customer's invoicing contact, who receives the reminder."
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # empty on the check of a promise or plan (see credit_action_arrangement.py)
    level_id = fields.Many2one("credit.policy.level", readonly=True, index=True)
    run_id = fields.Many2one(
        "credit.followup.run", string="Follow-up Run", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    policy_id = fields.Many2one(related="level_id.policy_id", store=True)
    channel = fields.Selection(ACTION_TYPES, required=True, readonly=True)
    date = fields.Date(
        required=True, index=True, tracking=True, help="The day the action is due; postpone it by moving the date."
    )
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
            ("failed", "Failed"),
        ],
        default="proposed",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one("res.users", string="Collector", index=True, tracking=True)
    line_ids = fields.Many2many(
        "account.move.line",
        "credit_action_account_move_line_rel",
        "action_id",
        "line_id",
        string="Open Items",
        readonly=True,
    )
    invoice_ids = fields.Many2many("account.move", compute="_compute_invoice_ids", string="Invoices")
    amount = fields.Monetary(
        readonly=True,
        help="What the customer owes for the items when the action was created: their open amount less the "
        "customer's open credit notes and unallocated payments (Credits Netted).",
        groups="credit_control.group_credit_control_user",
    )
    amount_credit = fields.Monetary(
        string="Credits Netted",
        readonly=True,
        help="The part of the customer's open credit notes and unallocated payments deducted from the items' open "
        "amount: a customer whose credits cover its items is not reminded.",
        groups="credit_control.group_credit_control_user",
    )
    credit_line_ids = fields.Many2many(
        "account.move.line",
        "credit_action_credit_line_rel",
        "action_id",
        "line_id",
        string="Open Credits",
        readonly=True,
        help="The customer's open credit notes and unallocated payments when the action was created.",
    )
    amount_overdue = fields.Monetary(string="Overdue", readonly=True, groups="credit_control.group_credit_control_user")
    priority = fields.Float(
        readonly=True,
        help="The customer's expected overdue amount (overdue now, or expected to be paid after the due date) "
        "weighted by its late ratio: expected overdue × (1 + late ratio); the overdue amount of the action when "
        "the customer has no prediction yet. The worklist's order.",
    )
    expected_overdue = fields.Float(
        related="partner_id.credit_expected_overdue",
        help="The customer's open balance that is overdue now or expected to be paid after its due date.",
    )
    executed_by_id = fields.Many2one("res.users", readonly=True)
    executed_on = fields.Datetime(readonly=True)
    skip_reason = fields.Text(readonly=True, groups="credit_control.group_credit_control_user")
    cancel_reason = fields.Text(readonly=True, groups="credit_control.group_credit_control_user")
    result = fields.Text(
        readonly=True,
        help="What the action produced, or why it failed.",
        groups="credit_control.group_credit_control_user",
    )
    mail_message_id = fields.Many2one("mail.message", string="Message", readonly=True, index="btree_not_null")
    interest_amount = fields.Monetary(
        string="Statutory Interest",
        compute="_compute_interest_amount",
        store=True,
        help="Statutory interest accrued on the overdue items up to the action's date and not yet charged, "
        "when the level shows interest.",
        groups="credit_control.group_credit_control_user",
    )
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True, index="btree_not_null")
    thanked = fields.Boolean(readonly=True, help="The customer was thanked after paying what this action followed up.")
    recipient_phone = fields.Char(
        string="Phone",
        compute="_compute_recipient_phone",
        help="The number to call: the contact's, else the customer's.",
    )

    # A call is logged with its outcome (see wizard/credit_action_call.py); its activity cannot be marked
    # done without one (see mail_activity.py).
    call_outcome = fields.Selection(CALL_OUTCOMES, readonly=True, tracking=True)
    call_note = fields.Text(readonly=True, groups="credit_control.group_credit_control_user")
    call_activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null", index="btree_not_null")

    @api.depends("partner_id.name", "level_id.name", "arrangement_check", "date")
    def _compute_display_name(self):
        checks = dict(self._fields["arrangement_check"]._description_selection(self.env))
        for action in self:
            step = action.level_id.name or checks.get(action.arrangement_check, "")
            action.display_name = f"{action.partner_id.name} – {step} ({format_date(self.env, action.date)})"

    @api.depends("recipient_id.phone", "recipient_id.mobile", "partner_id.phone", "partner_id.mobile")
    def _compute_recipient_phone(self):
        for action in self:
            contact = action.recipient_id or action.partner_id
            action.recipient_phone = (
                contact.phone or contact.mobile or action.partner_id.phone or action.partner_id.mobile or False
            )

    @api.depends("line_ids")
    def _compute_invoice_ids(self):
        for action in self:
            action.invoice_ids = action.line_ids.move_id

    @api.depends("line_ids", "level_id.interest_type", "date")
    def _compute_interest_amount(self):
        tables = {}
        for action in self:
            interest = action._credit_interest_lines(tables)
            action.interest_amount = action.currency_id.round(sum(interest.values()))

    def _credit_interest_lines(self, tables=None):
        """{journal item: statutory interest} accrued up to the action's date and not yet charged.

        Interest runs from the day after the due date, or after the day up to which it was last charged,
        on the item's open amount in company currency. ``tables`` caches the rate tables across actions.
        """
        self.ensure_one()
        rate_type = self.level_id.interest_type
        if not rate_type or rate_type == "none":
            return {}
        tables = {} if tables is None else tables
        if rate_type not in tables:
            tables[rate_type] = self.env["credit.interest.rate"]._rate_table(rate_type)
        Rate = self.env["credit.interest.rate"]
        result = {}
        for line in self.line_ids.filtered("date_maturity"):
            start = max(line.date_maturity, line.credit_interest_to or line.date_maturity) + timedelta(days=1)
            result[line] = Rate._interest(rate_type, line.amount_residual, start, self.date, tables[rate_type])
        return result

    def _credit_fourteen_day_costs(self):
        """The collection costs (BIK) the 14-day letter announces for the amount open."""
        self.ensure_one()
        return float(nl_bik.bik_collection_costs(self.amount))

    def _credit_totals_by_currency(self):
        """[(currency, open amount)] of the items, in the currency of their invoices."""
        self.ensure_one()
        totals = defaultdict(float)
        for line in self.line_ids:
            totals[line.currency_id] += line.amount_residual_currency
        return [(currency, currency.round(amount)) for currency, amount in totals.items()]

    def _credit_netting_html(self):
        """The customer's open credits netted on this reminder, and the amount to pay, as a small HTML table for
        the reminder templates and activities; empty when nothing was netted. In the recipient's language when
        rendered by a template (the template renders in it)."""
        self.ensure_one()
        if not self.amount_credit:
            return Markup("")
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td style='text-align: right;'>%s</td></tr>")
            % (
                line.move_id.name or "",
                format_date(self.env, line.date_maturity or line.date),
                format_amount(self.env, line.amount_residual_currency, line.currency_id),
            )
            for line in self.credit_line_ids
        )
        total = Markup(
            "<tr><td colspan='2' style='text-align: right;'>%s</td><td style='text-align: right;'>%s</td></tr>"
            "<tr><td colspan='2' style='text-align: right;'><strong>%s</strong></td>"
            "<td style='text-align: right;'><strong>%s</strong></td></tr>"
        ) % (
            self.env._("Open credits deducted"),
            format_amount(self.env, -self.amount_credit, self.currency_id),
            self.env._("Amount to pay"),
            format_amount(self.env, self.amount, self.currency_id),
        )
        return Markup(
            "<p>%s</p><table style='width: 100%%; border-collapse: collapse;' cellpadding='4'>"
            "<tr style='border-bottom: 1px solid #ccc;'><th style='text-align: left;'>%s</th>"
            "<th style='text-align: left;'>%s</th><th style='text-align: right;'>%s</th></tr>%s%s</table>"
        ) % (
            self.env._("Your open credit notes and payments not yet allocated are deducted:"),
            self.env._("Credit note or payment"),
            self.env._("Date"),
            self.env._("Open amount"),
            rows,
            total,
        )

    def write(self, vals):
        # Collectors postpone (date) and reassign (collector) proposals; the rest changes only
        # through the actions' own methods, which write as superuser after their checks.
        if not self.env.su:
            if set(vals) - {"date", "user_id"}:
                raise AccessError(
                    self.env._("Follow-up actions change only by approving, skipping or cancelling them.")
                )
            if self.filtered(lambda a: a.state != "proposed"):
                raise UserError(self.env._("Only proposed actions can be postponed or reassigned."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Follow-up actions are history: cancel them instead of deleting them."))

    # ------------------------------------------------------------------
    # Suggested channel (the best channel measured by the nightly run, see res.partner)
    # ------------------------------------------------------------------

    suggested_channel = fields.Selection(
        ACTION_TYPES, compute="_compute_suggested_channel", groups="credit_control.group_credit_control_user"
    )
    suggested_channel_evidence = fields.Char(
        string="Channel Evidence",
        compute="_compute_suggested_channel",
        groups="credit_control.group_credit_control_user",
    )

    @api.depends("partner_id", "company_id")
    def _compute_suggested_channel(self):
        for company, actions in self.grouped("company_id").items():
            for action in actions:
                partner = action.partner_id.with_company(company)
                action.suggested_channel = partner.credit_best_channel
                action.suggested_channel_evidence = partner.credit_best_channel_evidence

    def _credit_channel_possible(self, channel):
        """Can this action's step be taken on ``channel`` instead: both are reminder channels, and the level has
        the template the new channel needs."""
        self.ensure_one()
        if channel not in CONTACT_CHANNELS or self.channel not in CONTACT_CHANNELS:
            return False
        # the templates of the level's step on that channel, else the level's (see ``_credit_step_source``)
        source = self._credit_step_source(channel)
        if channel == "email":
            return bool(source.mail_template_id)
        if channel in ("sms", "whatsapp"):
            return bool(source.sms_template_id)
        return True

    def action_use_suggested_channel(self):
        """Take the proposed step on the channel that worked best for the customer."""
        self._check_collector()
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for action in self:
            suggested = action.suggested_channel
            if not suggested or suggested == action.channel:
                continue
            if action.state != "proposed" or not action._credit_channel_possible(suggested):
                raise UserError(
                    self.env._(
                        "The step %(level)s for %(customer)s cannot be taken by %(channel)s: that needs a proposed "
                        "reminder and a level with a template for it. Contact the customer by %(channel)s yourself, "
                        "or skip this action.",
                        level=action.level_id.name,
                        customer=action.partner_id.name,
                        channel=labels[suggested],
                    )
                )
            old = action.channel
            action.sudo().write({"channel": suggested})
            action = action._credit_in_note_lang()
            action.message_post(
                body=action.env._(
                    "Channel changed from %(old)s to %(new)s by %(user)s: %(evidence)s",
                    old=labels[old],
                    new=labels[suggested],
                    user=self.env.user.name,
                    evidence=action.suggested_channel_evidence,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # ------------------------------------------------------------------
    # The collector decides
    # ------------------------------------------------------------------

    def _check_collector(self):
        if not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit control staff can work the follow-up worklist."))
        if self.filtered(lambda a: a.state not in ("proposed", "failed")):
            raise UserError(self.env._("Only proposed or failed actions can be approved, skipped or cancelled."))

    def action_approve(self):
        self._check_collector()
        self._execute()
        message = self.env._("%(count)s action(s) approved.", count=len(self.filtered(lambda a: a.state == "done")))
        withdrawn = self.filtered(lambda a: a.state == "cancelled")
        if withdrawn:
            message = self.env._(
                "%(message)s %(count)s withdrawn: their items are paused or paid.",
                message=message,
                count=len(withdrawn),
            )
        held = self.filtered(lambda a: a.state in ("proposed", "failed") and a.possibly_paid)
        if held:
            message = self.env._(
                "%(message)s %(count)s possibly paid: check the evidence, reconcile or send anyway.",
                message=message,
                count=len(held),
            )
        return self._notify_done(message, warning=bool(withdrawn or held))

    def _notify_done(self, message, warning=False):
        """Tell the collector what happened (Odoo's notification), then refresh the worklist."""
        failed = self.filtered(lambda a: a.state == "failed")
        if failed:
            message = self.env._(
                "%(message)s %(count)s failed: see the reason on the action.", message=message, count=len(failed)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if failed or warning else "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_preview(self):
        """Open the reminder as it will go out, to read or edit it before sending."""
        self.ensure_one()
        self._check_collector()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview Reminder"),
            "res_model": "credit.action.preview",
            "view_mode": "form",
            "target": "new",
            "context": {"default_action_id": self.id},
        }

    def action_log_call(self):
        """Log the call of this phone action and its outcome."""
        self.ensure_one()
        # a phone action, or an action whose level also calls (an additional call step)
        if self.channel != "phone" and not self.call_activity_id:
            raise UserError(self.env._("Only phone actions have a call to log."))
        if not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit control staff can work the follow-up worklist."))
        if self.state not in ("proposed", "failed", "done") or (
            self.state == "done" and self.call_outcome not in (False, "callback")
        ):
            raise UserError(self.env._("This call is logged already."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "credit.action.call",
            "view_mode": "form",
            "target": "new",
            "context": {"default_action_id": self.id},
        }

    def action_open_dossier(self):
        self.ensure_one()
        return self.partner_id.action_credit_view_dossier()

    def action_skip(self):
        self._check_collector()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Skip Follow-up"),
            "res_model": "credit.action.skip",
            "view_mode": "form",
            "target": "new",
            "context": {"default_action_ids": [Command.set(self.ids)]},
        }

    def _skip(self, reason):
        """Skip these proposals: the step is not taken, the items move on to this level."""
        self._check_collector()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for skipping; it stays in the follow-up history."))
        today = fields.Date.context_today(self)
        for action in self:
            action.line_ids._credit_write_followup(
                {"credit_level_id": action.level_id.id, "credit_level_date": max(action.date, today)}
            )
        self.sudo().write(
            {
                "state": "skipped",
                "skip_reason": reason,
                "executed_by_id": self.env.user.id,
                "executed_on": fields.Datetime.now(),
            }
        )

    def action_cancel_ask_reason(self):
        """The *Cancel* button: ask why, like *Skip* (see ``action_cancel``)."""
        self._check_collector()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Follow-up"),
            "res_model": "credit.action.skip",
            "view_mode": "form",
            "target": "new",
            "context": {"default_action_ids": [Command.set(self.ids)], "default_mode": "cancel"},
        }

    def action_cancel(self, reason=None):
        """Cancel these proposals: the step is not taken and the items may get another step. The reason is
        required; it stays on the action and in its history."""
        self._check_collector()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for cancelling; it stays in the follow-up history."))
        self.sudo().write(
            {
                "state": "cancelled",
                "cancel_reason": reason,
                "executed_by_id": self.env.user.id,
                "executed_on": fields.Datetime.now(),
            }
        )
        for action in self:
            action = action._credit_in_note_lang()
            action.sudo().message_post(
                body=action.env._("Cancelled by %(user)s: %(reason)s", user=self.env.user.name, reason=reason),
                subtype_xmlid="mail.mt_note",
            )
        # a cancelled step was not taken: its items may get another step today
        self.env["credit.followup.step"]._release(self)
        return True

    def action_retry_failed(self):
        """Retry the selected failed actions (from the worklist, in bulk); the others are left as they are."""
        failed = self.filtered(lambda a: a.state == "failed")
        if not failed:
            raise UserError(self.env._("Select failed actions to retry them."))
        failed._check_collector()
        failed._execute()
        return True

    # ------------------------------------------------------------------
    # Proposals whose items became paused are withdrawn
    # ------------------------------------------------------------------

    @api.model
    def _credit_paused_sql(self, today, action_filter):
        """The proposed or failed actions (restricted by the SQL ``action_filter`` on ``act``) with an item that is
        no longer to follow up on ``today``: paid, or paused as ``account.move.line._credit_exclusion_sql`` says
        (dispute, promise, plan, exclusion, agency hand-over)."""
        Line = self.env["account.move.line"]
        return SQL(
            """
            SELECT DISTINCT act.id
              FROM credit_action act
              JOIN credit_action_account_move_line_rel rel ON rel.action_id = act.id
              JOIN account_move_line aml ON aml.id = rel.line_id
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE act.state IN ('proposed', 'failed')
               AND %(action_filter)s
               AND NOT (%(open_item)s AND %(exclusions)s)
            """,
            action_filter=action_filter,
            open_item=Line._credit_open_item_sql("aml", "acc"),
            exclusions=Line._credit_exclusion_sql("aml", today),
        )

    @api.model
    def _credit_withdraw_paused_proposals(self, company, today):
        """The daily run's part: withdraw ``company``'s proposals whose items became paused (one query to find
        them). Returns the actions withdrawn."""
        self.flush_model()
        rows = self.env.execute_query(self._credit_paused_sql(today, SQL("act.company_id = %s", company.id)))
        return self.browse([action_id for (action_id,) in rows])._credit_withdraw(today)

    def _credit_withdraw_paused(self, today=None):
        """Withdraw those of these actions whose items became paused since they were proposed (one query to find
        them); returns the actions withdrawn. Called before any step is taken."""
        if not self:
            return self
        today = today or self.env.context.get("credit_followup_date") or fields.Date.context_today(self)
        # the SQL reads the items, invoices and arrangements too: a pause written in this transaction counts
        self.env.flush_all()
        rows = self.env.execute_query(self._credit_paused_sql(today, SQL("act.id = ANY(%s)", self.ids)))
        return self.browse([action_id for (action_id,) in rows])._credit_withdraw(today)

    def _credit_pause_reasons(self, today):
        """Why this action's items are no longer to follow up on ``today``, one sentence per item."""
        self.ensure_one()
        lines = self.sudo().line_ids
        pauses = lines.move_id._credit_pause_records(today)
        reasons = []
        for line in lines:
            name = line.move_id.name or line.display_name
            if line.reconciled or line.currency_id.is_zero(line.amount_residual_currency) or line.amount_residual <= 0:
                reasons.append(self.env._("%(item)s is paid.", item=name))
            elif line.credit_excluded:
                reasons.append(self.env._("%(item)s is excluded from follow-up.", item=name))
            elif line.credit_agency_id:
                reasons.append(
                    self.env._(
                        "%(item)s is handed over to collection agency %(agency)s.",
                        item=name,
                        agency=line.credit_agency_id.name,
                    )
                )
            elif pauses.get(line.move_id):
                reasons.append(
                    self.env._(
                        "%(item)s is paused by %(records)s.",
                        item=name,
                        records=", ".join(
                            f"{record._description} {record.display_name}" for record in pauses[line.move_id]
                        ),
                    )
                )
        return reasons

    def _credit_withdraw(self, today):
        """Withdraw these proposals: cancelled, never executed, with the reason as their result and in their
        chatter; their items' day is free again, so the run proposes what is still to follow up."""
        withdrawn = self.browse()
        for action in self:
            action = action._credit_in_note_lang()
            reasons = action._credit_pause_reasons(today)
            if not reasons:
                continue
            result = action.env._("Withdrawn: %(reasons)s", reasons=" ".join(reasons))
            action.sudo().write(
                {
                    "state": "cancelled",
                    "result": result,
                    "executed_by_id": self.env.user.id,
                    "executed_on": fields.Datetime.now(),
                }
            )
            action.sudo().message_post(body=result, subtype_xmlid="mail.mt_note")
            withdrawn |= action
        # the run's next query (its candidates) reads the states from the table
        withdrawn.flush_recordset()
        self.env["credit.followup.step"]._release(withdrawn)
        return withdrawn

    def _credit_payment_invoice(self):
        """The invoice of this action's *Pay now* link (see ``_payment_link``): its oldest open invoice."""
        return self.invoice_ids.filtered(lambda m: m.is_invoice()).sorted("invoice_date_due")[:1]

    def _credit_ensure_payment_tokens(self):
        """Give the invoices of these reminders' *Pay now* links their portal access token, in one statement.

        ``_portal_ensure_token`` writes a missing token through ``account.move.write`` (the move's line sync,
        its tracking), about 20 ms per invoice: half the daily run was spent there, once for every invoice
        reminded for the first time. The token is the one it would write (a random UUID)."""
        reminders = self.filtered(
            lambda a: (
                not a.arrangement_check
                and (
                    a.channel in REMINDER_CHANNELS
                    # an additional reminder step of the level (a letter, a text message) carries the link too
                    or any(channel in REMINDER_CHANNELS for channel in a._credit_additional_steps().mapped("channel"))
                )
            )
        )
        invoices = self.env["account.move"].sudo()
        for action in reminders:
            invoices |= action._credit_payment_invoice()
        invoices = invoices.filtered(lambda m: not m.access_token)
        if not invoices:
            return
        invoices.flush_recordset(["access_token"])
        tokens = [str(uuid.uuid4()) for _invoice in invoices]
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move move
                   SET access_token = new.token, write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::varchar[]) AS new(id, token)
                 WHERE move.id = new.id AND move.access_token IS NULL
             RETURNING move.id, move.access_token
                """,
                self.env.uid,
                self.env.cr.now(),
                invoices.ids,
                tokens,
            )
        )
        written = dict(self.env.cr.fetchall())
        invoices.invalidate_recordset(["access_token", "write_uid", "write_date"])
        # in the cache too, for all of them at once (read back, each link would fetch its own invoice's token)
        written_invoices = invoices.browse(list(written))
        self.env.cache.update(written_invoices, invoices._fields["access_token"], list(written.values()))

    def _credit_in_note_lang(self):
        """This action in the language of its company's notes (see ``res.company._credit_note_lang``): what the
        engine and the collector's buttons write on it (results, notes, activities) reads in that language."""
        self.ensure_one()
        return self.with_context(lang=self.company_id._credit_note_lang())

    def action_credit_register_insolvency(self):
        """The worklist's *Register Insolvency*: a new case for this action's customer and company."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_credit_register_insolvency()

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
