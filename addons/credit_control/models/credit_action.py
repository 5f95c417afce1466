import logging
from collections import defaultdict
from datetime import timedelta
from urllib.parse import quote as url_quote

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from ..tools import be_consumer, nl_bik
from .credit_policy_level import ACTION_TYPES
from .ir_qweb import COMPILED_QWEB_CACHE

_logger = logging.getLogger(__name__)

# Partners locked and processed per transaction by the daily run.
BATCH_SIZE = 500
# Steps that remind the customer; a segment may replace them by a payment plan proposal.
REMINDER_CHANNELS = ("email", "letter", "sms", "whatsapp")
# First key of the transaction-level advisory locks that the daily run takes per group of customers.
LOCK_NAMESPACE = 7_340_101
# Customers are locked per bucket (customer id modulo this number): a transaction never holds more than this
# many locks, however large the book, so a run that does not commit per batch fits PostgreSQL's lock table.
LOCK_BUCKETS = 1024


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
    level_id = fields.Many2one("credit.policy.level", required=True, readonly=True, index=True)
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
    amount = fields.Monetary(readonly=True, help="Open amount of the items when the action was created.")
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
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
    skip_reason = fields.Text(readonly=True)
    result = fields.Text(readonly=True, help="What the action produced, or why it failed.")
    mail_message_id = fields.Many2one("mail.message", string="Message", readonly=True, index="btree_not_null")
    interest_amount = fields.Monetary(
        string="Statutory Interest",
        compute="_compute_interest_amount",
        store=True,
        help="Statutory interest accrued on the overdue items up to the action's date and not yet charged, "
        "when the level shows interest.",
    )
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True, index="btree_not_null")
    thanked = fields.Boolean(readonly=True, help="The customer was thanked after paying what this action followed up.")

    @api.depends("partner_id.name", "level_id.name", "date")
    def _compute_display_name(self):
        for action in self:
            action.display_name = f"{action.partner_id.name} – {action.level_id.name} ({action.date})"

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

    suggested_channel = fields.Selection(ACTION_TYPES, compute="_compute_suggested_channel")
    suggested_channel_evidence = fields.Char(string="Channel Evidence", compute="_compute_suggested_channel")

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
        reminders = (*REMINDER_CHANNELS, "phone")
        if channel not in reminders or self.channel not in reminders:
            return False
        if channel == "email":
            return bool(self.level_id.mail_template_id)
        if channel in ("sms", "whatsapp"):
            return bool(self.level_id.sms_template_id)
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
            action.message_post(
                body=self.env._(
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
        return True

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
        for action in self:
            action.line_ids._credit_write_followup({"credit_level_id": action.level_id.id})
        self.sudo().write(
            {
                "state": "skipped",
                "skip_reason": reason,
                "executed_by_id": self.env.user.id,
                "executed_on": fields.Datetime.now(),
            }
        )

    def action_cancel(self):
        self._check_collector()
        self.sudo().write(
            {"state": "cancelled", "executed_by_id": self.env.user.id, "executed_on": fields.Datetime.now()}
        )
        return True

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute(self):
        """Take the step of each proposed (or retried failed) action. A failure marks that action
        failed and is told on the worklist; it never stops the others."""
        todo = self.filtered(lambda a: a.state in ("proposed", "failed"))
        rendered = todo.filtered(lambda a: a.channel == "email")._render_emails()
        for action in todo:
            try:
                with self.env.cr.savepoint():
                    result = action._execute_one(rendered.get(action.id))
            except UserError as error:
                action.sudo().write({"state": "failed", "result": str(error)})
                continue
            action.sudo().write(
                {
                    "state": "done",
                    "result": result,
                    "executed_by_id": self.env.user.id,
                    "executed_on": fields.Datetime.now(),
                }
            )

    def _render_emails(self):
        """Render the subject and body of these email actions: one rendering per template for all of them,
        its body compiled once (see ``ir.qweb._compile``). Returns {action id: {"subject", "body_html"}}."""
        rendered = {}
        self.env.cr.cache[COMPILED_QWEB_CACHE] = {}
        try:
            for template, actions in self.grouped(lambda a: a.level_id.mail_template_id).items():
                if template:
                    rendered.update(template._generate_template(actions.ids, ("subject", "body_html")))
        finally:
            self.env.cr.cache.pop(COMPILED_QWEB_CACHE, None)
        return rendered

    def _execute_one(self, rendered=None):
        self.ensure_one()
        level = self.level_id
        partner = self.partner_id.with_company(self.company_id)
        self.line_ids._credit_write_followup({"credit_level_id": level.id})
        results = []
        if self.channel in REMINDER_CHANNELS and self._credit_plan_instead_of_reminders():
            results.append(self._execute_plan_proposal())
        elif self.channel == "email":
            results.append(self._execute_email(rendered))
        elif self.channel == "letter":
            results.append(self._execute_letter())
        elif self.channel in ("phone", "manual"):
            results.append(self._execute_activity())
        elif self.channel == "agency":
            results.append(self._execute_agency())
        elif self.channel == "sms":
            results.append(self._execute_sms())
        elif self.channel == "whatsapp":
            results.append(self._execute_whatsapp())
        if (level.fee_type != "none" or level.invoice_interest) and not self.fee_move_id:
            results.append(self._execute_charges())
        if self.channel == "credit_hold" or level.set_credit_hold:
            if not partner.credit_hold:
                partner.sudo().write(
                    {
                        "credit_hold": True,
                        "credit_hold_reason": self.env._("Follow-up: %(level)s", level=level.name),
                    }
                )
            results.append(self.env._("Customer put on credit hold."))
        return "\n".join(results)

    def _execute_email(self, rendered=None):
        template = self.level_id.mail_template_id
        recipient = self.recipient_id or self.partner_id
        if not recipient.email:
            raise UserError(
                self.env._("%(partner)s has no email address: the reminder cannot be sent.", partner=recipient.name)
            )
        values = rendered or template._generate_template(self.ids, ("subject", "body_html"))[self.id]
        attachments = self.env["ir.attachment"]
        if self.level_id.attach_invoices:
            attachments = self._invoice_attachments()
        # queued, not sent inside the run: the mail queue delivers, and a bounce fails the action
        message = (
            self.partner_id.with_company(self.company_id)
            .sudo()
            .with_context(mail_notify_force_send=False)
            .message_post(
                body=values["body_html"],
                subject=values["subject"],
                partner_ids=recipient.ids,
                attachment_ids=attachments.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
                mail_auto_delete=False,
            )
        )
        self.sudo().mail_message_id = message
        return self.env._(
            "Reminder emailed to %(email)s with %(count)s attachment(s).",
            email=recipient.email,
            count=len(attachments),
        )

    def _credit_plan_instead_of_reminders(self):
        """The segment proposes plans instead of reminders, unless a plan on these invoices already broke
        (then the reminders resume)."""
        segment = self.partner_id.with_company(self.company_id).sudo().credit_segment_id
        if not segment.credit_plan_instead_of_reminders:
            return False
        broken = (
            self.env["credit.payment.plan"]
            .sudo()
            .search_count([("move_ids", "in", self.invoice_ids.ids), ("state", "=", "broken")], limit=1)
        )
        return not broken

    def _execute_plan_proposal(self):
        """Structurally late customers get a payment plan proposal instead of a reminder: a draft plan over
        the open invoices, for the collector to agree with the customer (no reminder is sent)."""
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.payment_state in ("not_paid", "partial")
        )
        Plan = self.env["credit.payment.plan"].sudo()
        existing = Plan.search([("move_ids", "in", invoices.ids), ("state", "in", ("draft", "active"))], limit=1)
        if existing:
            return self.env._("No reminder: payment plan %(plan)s is being agreed.", plan=existing.name)
        if not invoices:
            return self.env._("No reminder and no payment plan: nothing left to plan.")
        segment = self.partner_id.with_company(self.company_id).sudo().credit_segment_id
        plan = Plan.with_company(self.company_id).create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "move_ids": [Command.set(invoices.ids)],
                "installment_count": segment.credit_plan_max_installments or 3,
                "user_id": (self.user_id or self.env.user).id,
                "source": "collector",
            }
        )
        plan.action_compute_schedule()
        plan.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._("Propose this payment plan to %(customer)s", customer=self.partner_id.name),
            user_id=(self.user_id or self.env.user).id,
            date_deadline=self.date,
        )
        return self.env._(
            "No reminder: payment plan %(plan)s proposed (%(count)s installments).",
            plan=plan.name,
            count=plan.installment_count,
        )

    def _execute_letter(self):
        """Render the reminder letter; it waits under *Letters to Print* and in the customer's chatter."""
        content, _kind = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("credit_control.action_report_credit_letter", self.ids)
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Reminder %(partner)s %(date)s.pdf", partner=self.partner_id.name, date=self.date
                    ),
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": "res.partner",
                    "res_id": self.partner_id.id,
                }
            )
        )
        self.sudo().mail_message_id = self.partner_id.sudo().message_post(
            body=self.env._("Reminder letter for %(level)s.", level=self.level_id.name),
            attachment_ids=attachment.ids,
            subtype_xmlid="mail.mt_note",
        )
        return self.env._("Letter ready to print.")

    def _payment_link(self):
        """A link to pay online: the portal page of the oldest open invoice (Odoo's own payment flow)."""
        invoice = self.invoice_ids.filtered(lambda m: m.is_invoice()).sorted("invoice_date_due")[:1]
        if not invoice:
            return self.get_base_url() + "/my/invoices"
        return invoice.get_base_url() + invoice.sudo().get_portal_url()

    def _text_message(self):
        """The rendered text of the level's SMS template, in the recipient's language."""
        template = self.level_id.sms_template_id
        return template._render_field("body", self.ids, compute_lang=True)[self.id]

    def _mobile_number(self):
        recipient = self.recipient_id or self.partner_id
        number = recipient.mobile or recipient.phone or self.partner_id.mobile or self.partner_id.phone
        if not number:
            raise UserError(
                self.env._(
                    "%(partner)s has no mobile or phone number: the message cannot be sent.", partner=recipient.name
                )
            )
        return recipient, number

    def _execute_sms(self):
        recipient, number = self._mobile_number()
        message = (
            self.partner_id.sudo()
            .with_context(mail_notify_force_send=False)
            ._message_sms(self._text_message(), partner_ids=recipient.ids, sms_pid_to_number={recipient.id: number})
        )
        self.sudo().mail_message_id = message
        return self.env._("Text message queued to %(number)s.", number=number)

    def _execute_whatsapp(self):
        """WhatsApp has no sending API here: the collector gets an activity with a click-to-chat link,
        the message (with the payment link) already typed."""
        _recipient, number = self._mobile_number()
        digits = "".join(char for char in number if char.isdigit())
        if number.strip().startswith("00"):
            digits = digits[2:]
        link = f"https://wa.me/{digits}?text={url_quote(self._text_message())}"
        user = self.user_id or self.env.user
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("WhatsApp: %(amount)s open", amount=self._format(self.amount)),
            note=Markup('<p><a href="%s" target="_blank">%s</a></p>%s')
            % (link, self.env._("Open WhatsApp with the message ready"), self._statement_html()),
            user_id=user.id,
            date_deadline=self.date,
        )
        return self.env._("WhatsApp message prepared for %(user)s.", user=user.name)

    def _execute_agency(self):
        """Hand the items over: our own follow-up of them stops (see ``_credit_exclusion_sql``)."""
        agency = self.level_id.agency_id
        self.line_ids._credit_write_followup({"credit_agency_id": agency.id, "credit_agency_date": self.date})
        self.partner_id.sudo().message_post(
            body=self.env._(
                "%(count)s open item(s), %(amount)s, handed over to collection agency %(agency)s.",
                count=len(self.line_ids),
                amount=self._format(self.amount),
                agency=agency.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return self.env._("Handed over to %(agency)s.", agency=agency.name)

    # ------------------------------------------------------------------
    # Fees
    # ------------------------------------------------------------------

    def _earlier_actions(self):
        """Done actions on the same items before this one (the items' own follow-up history)."""
        return self.line_ids.credit_action_ids.filtered(lambda a: a.state == "done" and a.id != self.id)

    def _fee_amount(self):
        """The fee this level may charge now, and why (amount 0 with the reason when none)."""
        level = self.level_id
        earlier = self._earlier_actions()
        if level.fee_type == "fixed":
            return level.fee_amount, ""
        if level.fee_type == "nl_bik":
            if earlier.filtered(lambda a: a.fee_move_id and a.level_id.fee_type == "nl_bik"):
                return 0.0, self.env._("Collection costs were charged on these items before.")
            letters = earlier.filtered("level_id.is_fourteen_day_letter")
            if not letters:
                return 0.0, self.env._("No collection costs: the 14-day letter has not been sent.")
            sent = min(letters.mapped("executed_on")).date()
            # an email arrives the day it is sent; a letter is taken to arrive two days later
            delivery = sent + timedelta(days=0 if letters[:1].channel == "email" else 2)
            allowed = nl_bik.nl_fourteen_day_letter_deadline(delivery)
            if self.date < allowed:
                return 0.0, self.env._(
                    "No collection costs yet: the 14-day letter's term allows them from %(date)s.", date=allowed
                )
            return float(nl_bik.bik_collection_costs(self.amount)), ""
        if level.fee_type == "be_consumer":
            reminders = earlier.filtered(lambda a: a.channel in ("email", "letter"))
            number = len(reminders) + (1 if self.channel in ("email", "letter") else 0)
            fee = float(be_consumer.be_reminder_fee(number, postage=level.fee_amount))
            return fee, "" if fee else self.env._("The first reminder is free (Book XIX CEL).")
        return 0.0, ""

    def _execute_charges(self):
        """Post the fee and the statutory interest of this step as one customer invoice, once per action.

        Interest is charged per item for the days not charged before, so no day is charged twice.
        """
        level = self.level_id
        company = self.company_id
        invoices = ", ".join(self.invoice_ids.mapped("name"))
        invoice_lines, notes = [], []
        if level.fee_type != "none":
            amount, reason = self._fee_amount()
            if self.currency_id.is_zero(amount):
                notes.append(reason)
            else:
                product = company.credit_fee_product_id
                if not product:
                    raise UserError(
                        self.env._(
                            "Set the fee product in Accounting › Settings › Credit Control before charging fees."
                        )
                    )
                fee_label = dict(level._fields["fee_type"]._description_selection(self.env))[level.fee_type]
                invoice_lines.append(
                    self._charge_line(
                        product, self.env._("%(fee)s: %(invoices)s", fee=fee_label, invoices=invoices), amount
                    )
                )
        interest = {}
        if level.invoice_interest:
            interest = {line: value for line, value in self._credit_interest_lines().items() if value > 0}
            total = self.currency_id.round(sum(interest.values()))
            if not self.currency_id.is_zero(total):
                product = company.credit_interest_product_id or company.credit_fee_product_id
                if not product:
                    raise UserError(
                        self.env._(
                            "Set the interest product in Accounting › Settings › Credit Control before charging "
                            "interest."
                        )
                    )
                label = self.env._(
                    "Statutory interest until %(date)s: %(invoices)s",
                    date=format_date(self.env, self.date),
                    invoices=invoices,
                )
                invoice_lines.append(self._charge_line(product, label, total))
        if not invoice_lines:
            return "\n".join(note for note in notes if note)
        journal = {"journal_id": company.credit_fee_journal_id.id} if company.credit_fee_journal_id else {}
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    **journal,
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "invoice_date": self.date,
                    "invoice_origin": invoices,
                    "invoice_line_ids": invoice_lines,
                }
            )
        )
        invoice.action_post()
        self.sudo().fee_move_id = invoice
        if interest:
            self.env["account.move.line"].union(*interest)._credit_write_followup({"credit_interest_to": self.date})
        return self.env._(
            "Fee invoice %(invoice)s of %(amount)s.", invoice=invoice.name, amount=self._format(invoice.amount_total)
        )

    def _charge_line(self, product, label, amount):
        return Command.create(
            {"product_id": product.id, "name": label, "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]}
        )

    def _invoice_attachments(self):
        """A PDF of each invoice followed up: the one Odoo keeps for the invoice, else rendered now."""
        attachments = self.env["ir.attachment"]
        for invoice in self.invoice_ids.filtered(lambda m: m.is_invoice(include_receipts=True)):
            pdf = invoice.invoice_pdf_report_id
            if not pdf:
                content, _kind = (
                    self.env["ir.actions.report"].sudo()._render_qweb_pdf("account.account_invoices", invoice.ids)
                )
                pdf = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"{invoice._get_invoice_report_filename()}",
                            "raw": content,
                            "mimetype": "application/pdf",
                            "res_model": "res.partner",
                            "res_id": self.partner_id.id,
                        }
                    )
                )
            attachments |= pdf
        return attachments

    def _execute_activity(self):
        level = self.level_id
        user = self.user_id or self.env.user
        note = Markup("%s%s") % (level.call_script or "", self._statement_html())
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_call" if self.channel == "phone" else "mail.mail_activity_data_todo",
            summary=self.env._("%(level)s: %(amount)s open", level=level.name, amount=self._format(self.amount)),
            note=note,
            user_id=user.id,
            date_deadline=self.date,
        )
        return self.env._("Activity for %(user)s.", user=user.name)

    def _format(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _statement_html(self):
        """The open items as a small HTML table (for activities; emails use the mail template)."""
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td style='text-align:right'>%s</td></tr>")
            % (line.move_id.name, line.date_maturity or "", self._format(line.amount_residual))
            for line in self.line_ids
        )
        return Markup("<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>") % (
            escape(self.env._("Invoice")),
            escape(self.env._("Due")),
            escape(self.env._("Open")),
            rows,
        )

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
