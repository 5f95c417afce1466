import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize, format_amount, format_date

from odoo.addons.iap.tools.iap_tools import _MAIL_DOMAIN_BLACKLIST

from ..tools import reply_parser, reply_pause
from .account_move import OPEN_DISPUTE_STATES
from .credit_followup_run import CRASHES

_logger = logging.getLogger(__name__)

REPLY_OUTCOMES = [
    ("promise", "Promise to Pay"),
    ("dispute", "Dispute"),
    ("paid", "Already Paid"),
    ("no_action", "No Action"),
]
SUGGESTION_KINDS = [("promise", "Promise to Pay"), ("dispute", "Dispute"), ("paid", "Already Paid")]
# Addresses of these domains are anyone's: a sender there counts only with a contact's exact address.
PUBLIC_EMAIL_DOMAINS = frozenset(_MAIL_DOMAIN_BLACKLIST)
# The records a reply may be handled with (see ``_credit_handle_created``) and the outcome they give.
HANDLING_MODELS = {"credit.promise": "promise", "credit.dispute": "dispute"}
# How much of the reply the Replies list shows.
SUMMARY_LENGTH = 120


class CreditReply(models.Model):
    """A customer's reply to a reminder: an incoming email that the mail gateway posted on the customer (or on
    one of its follow-up actions), from one of the customer's contacts or from the customer's own email domain.

    While it is *pending* the customer's next follow-up step waits: the run's one pause
    (``account.move.line._credit_exclusion_sql``) leaves out the customer's items in the reply's company until
    ``pause_until``, the reply date plus the company's ``credit_reply_pause_days`` working days. After that the
    ladder resumes by itself; the reply stays on the *Replies* list until a collector handles it. Handling is one
    click: a promise or a dispute (which pause by themselves), *already paid* (the collector checks the customer's
    open payments), or *no action*; the ladder resumes at once.

    The reply parser's suggestion (``tools/reply_parser.py``) is computed once, when the reply is captured, and
    stored with its evidence; it never acts by itself: the collector accepts it or corrects it. Replies are
    created by the gateway (superuser), read by credit control, changed only through the buttons, never deleted.
    """

    _name = "credit.reply"
    _description = "Customer Reply"
    _order = "date desc, id desc"
    _rec_name = "summary"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    message_id = fields.Many2one("mail.message", string="Email", required=True, readonly=True, ondelete="restrict")
    action_id = fields.Many2one(
        "credit.action",
        string="Replied To",
        readonly=True,
        index="btree_not_null",
        help="The follow-up action (reminder) the customer answered, when the email says so.",
    )
    user_id = fields.Many2one("res.users", string="Collector", readonly=True, index=True)
    date = fields.Date(required=True, readonly=True)
    author_id = fields.Many2one("res.partner", string="From", readonly=True)
    email_from = fields.Char(readonly=True)
    subject = fields.Char(readonly=True)
    body = fields.Text(string="Reply", readonly=True, help="The reply without the quoted history, as plain text.")
    summary = fields.Char(string="First Lines", readonly=True)
    state = fields.Selection(
        [("pending", "To Handle"), ("handled", "Handled")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    pause_until = fields.Date(
        string="Follow-up Waits Until",
        readonly=True,
        help="The reply date plus the company's reply pause in working days: until then, while the reply is not "
        "handled, the customer's next follow-up step waits.",
    )
    outcome = fields.Selection(REPLY_OUTCOMES, readonly=True)
    handled_by_id = fields.Many2one("res.users", readonly=True)
    handled_on = fields.Datetime(readonly=True)
    promise_id = fields.Many2one("credit.promise", readonly=True, index="btree_not_null")
    dispute_id = fields.Many2one("credit.dispute", readonly=True, index="btree_not_null")
    # the parser's suggestion, computed once at capture
    suggestion_kind = fields.Selection(SUGGESTION_KINDS, string="Suggestion", readonly=True)
    suggestion_date = fields.Date(string="Suggested Date", readonly=True)
    suggestion_amount = fields.Monetary(string="Suggested Amount", readonly=True)
    suggestion_reason_id = fields.Many2one("credit.dispute.reason", string="Suggested Reason", readonly=True)
    suggestion_evidence = fields.Char(
        string="Evidence", readonly=True, help="The words of the reply the suggestion is based on."
    )
    open_items_html = fields.Html(string="Open Items", compute="_compute_open_items_html", sanitize=False)

    _sql_constraints = [
        ("message_unique", "UNIQUE(message_id)", "An email is captured as one reply only."),
    ]

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------
    @api.depends("partner_id", "company_id")
    def _compute_open_items_html(self):
        """The customer's open items in the reply's company: invoice, due date, days late, open amount."""
        today = fields.Date.context_today(self)
        for reply in self:
            lines = reply.partner_id.with_company(reply.company_id)._credit_statement_lines()
            lines = lines.filtered(lambda line: not line.currency_id.is_zero(line.amount_residual_currency))
            if not lines:
                reply.open_items_html = Markup("<p>%s</p>") % self.env._("No open items.")
                continue
            header = Markup(
                "<tr><th>%s</th><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th></tr>"
            ) % (
                self.env._("Item"),
                self.env._("Due Date"),
                self.env._("Days Late"),
                self.env._("Open Amount"),
            )
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td></tr>")
                % (
                    line.move_id.name or line.name or "",
                    format_date(self.env, line.date_maturity) if line.date_maturity else "",
                    max((today - line.date_maturity).days, 0) if line.date_maturity else 0,
                    format_amount(self.env, line.amount_residual, reply.currency_id),
                )
                for line in lines
            )
            total = format_amount(self.env, sum(lines.mapped("amount_residual")), reply.currency_id)
            reply.open_items_html = Markup(
                "<table class='table table-sm o_credit_reply_items'><thead>%s</thead><tbody>%s</tbody>"
            ) % (header, rows) + Markup(
                "<tfoot><tr><th colspan='3'>%s</th><th class='text-end'>%s</th></tr></tfoot></table>"
            ) % (self.env._("Total"), total)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Customer replies are kept; mark them handled instead."))

    # ------------------------------------------------------------------
    # CAPTURE (the mail gateway)
    # ------------------------------------------------------------------
    @api.model
    def _credit_capture_safely(self, partner, message, action=None):
        """``_credit_capture`` in its own savepoint: whatever goes wrong there (the parser on an odd email, ...),
        the customer's email itself is kept in the chatter and the gateway does not bounce it."""
        try:
            with self.env.cr.savepoint():
                return self._credit_capture(partner, message, action=action)
        except CRASHES:
            raise
        except Exception:
            _logger.exception("credit_control: email %s not captured as a customer reply", message.id)
            return self.sudo().browse()

    @api.model
    def _credit_capture(self, partner, message, action=None):
        """Record ``message`` (an incoming email posted on ``partner`` or on ``action``) as a reply of the
        customer, when it is one: an email, not from an internal user, from one of the customer's contacts or
        from the customer's own email domain, the customer being a customer (a customer rank or a follow-up
        action). One reply per message, whatever the number of times it is processed. Returns the reply, or an
        empty recordset."""
        Reply = self.sudo()
        customer = partner.commercial_partner_id.sudo()
        if message.message_type != "email" or not customer:
            return Reply.browse()
        author = message.author_id.sudo()
        if any(not user.share for user in author.user_ids):
            return Reply.browse()
        if Reply.search_count([("message_id", "=", message.id)], limit=1):
            return Reply.browse()
        if not action and message.parent_id:
            action = self.env["credit.action"].sudo().search([("mail_message_id", "=", message.parent_id.id)], limit=1)
        if not action and not customer.customer_rank:
            return Reply.browse()
        if not self._credit_sender_matches(customer, message.email_from or author.email):
            return Reply.browse()
        company = (action and action.company_id) or customer.company_id or self.env.company
        date = fields.Date.context_today(self, timestamp=message.date) if message.date else fields.Date.today()
        body = reply_parser.strip_quoted(message.body or "")
        suggestion = reply_parser.parse_reply(body, date)
        reason = self.env["credit.dispute.reason"]
        if suggestion.kind == "dispute":
            reason = reason.sudo().search([("category", "=", suggestion.reason or "other")], limit=1)
        first_line = " ".join(body.split())
        reply = Reply.create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "message_id": message.id,
                "action_id": action.id if action else False,
                "user_id": ((action and action.user_id) or customer.with_company(company).credit_collector_id).id,
                "date": date,
                "author_id": author.id,
                "email_from": message.email_from,
                "subject": message.subject,
                "body": body,
                "summary": first_line[:SUMMARY_LENGTH] + ("…" if len(first_line) > SUMMARY_LENGTH else ""),
                "pause_until": reply_pause.add_working_days(date, company.credit_reply_pause_days),
                "suggestion_kind": suggestion.kind,
                "suggestion_date": suggestion.date,
                "suggestion_amount": suggestion.amount or 0.0,
                "suggestion_reason_id": reason.id,
                "suggestion_evidence": suggestion.evidence,
            }
        )
        reply._credit_sync_partners()
        reply._credit_withdraw_proposals()
        return reply

    @api.model
    def _credit_sender_matches(self, customer, email_from):
        """Whether ``email_from`` is the customer's: the exact address of the customer or one of its contacts, or
        an address of their own email domain (not of a public domain such as gmail.com, which is anyone's)."""
        email = email_normalize(email_from or "")
        if not email:
            return False
        contacts = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("id", "child_of", customer.id), ("email", "!=", False)])
        )
        addresses = {email_normalize(contact.email) for contact in contacts} - {False}
        if email in addresses:
            return True
        domain = email.rpartition("@")[2]
        own_domains = {address.rpartition("@")[2] for address in addresses} - PUBLIC_EMAIL_DOMAINS
        return domain in own_domains

    def _credit_sync_partners(self):
        """``res.partner.credit_replied`` of these replies' customers, per company: a reply still to handle."""
        Partner = self.env["res.partner"].sudo()
        for company, replies in self.grouped("company_id").items():
            pending = {
                partner
                for (partner,) in self.sudo()._read_group(
                    [
                        ("partner_id", "in", replies.partner_id.ids),
                        ("company_id", "=", company.id),
                        ("state", "=", "pending"),
                    ],
                    ["partner_id"],
                )
            }
            for partner in replies.partner_id:
                replied = partner in pending
                partner = Partner.browse(partner.id).with_company(company)
                if partner.credit_replied != replied:
                    partner.credit_replied = replied

    def _credit_withdraw_proposals(self):
        """The customer's open proposals are withdrawn at once (the run would withdraw them too)."""
        for reply in self:
            self.env["credit.action"].sudo().search(
                [
                    ("partner_id", "=", reply.partner_id.id),
                    ("company_id", "=", reply.company_id.id),
                    ("state", "in", ("proposed", "failed")),
                ]
            )._credit_withdraw_paused()

    @api.model
    def _credit_pausing(self, partners, companies, today):
        """The replies that pause these commercial partners' follow-up in these companies on ``today`` (the same
        as the run's SQL, ``account.move.line._credit_exclusion_sql``)."""
        return self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("state", "=", "pending"),
                ("pause_until", ">=", today),
            ]
        )

    # ------------------------------------------------------------------
    # HANDLING (the Replies worklist)
    # ------------------------------------------------------------------
    def _credit_check_collector(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit control handles customer replies."))

    def _credit_check_pending(self):
        handled = self.filtered(lambda reply: reply.state != "pending")
        if handled:
            raise UserError(
                self.env._(
                    "%(reply)s was already handled by %(user)s.",
                    reply=handled[:1].display_name,
                    user=handled[:1].handled_by_id.name or "",
                )
            )

    def _credit_handle(self, outcome, promise=None, dispute=None):
        """Mark these replies handled with ``outcome`` (the workflow's only write of the handling, sudo: collectors
        read replies and handle them with the buttons); the customers' follow-up resumes unless the promise or
        dispute pauses it."""
        self._credit_check_collector()
        self._credit_check_pending()
        self.sudo().write(
            {
                "state": "handled",
                "outcome": outcome,
                "handled_by_id": self.env.user.id,
                "handled_on": fields.Datetime.now(),
                "promise_id": promise.id if promise else False,
                "dispute_id": dispute.id if dispute else False,
            }
        )
        self._credit_sync_partners()
        for reply in self:
            reply.partner_id.sudo().message_post(
                body=self.env._(
                    "Reply of %(date)s handled by %(user)s: %(outcome)s.",
                    date=format_date(self.env, reply.date),
                    user=self.env.user.name,
                    outcome=dict(self._fields["outcome"]._description_selection(self.env))[outcome],
                ),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _credit_handle_created(self, records):
        """A promise or dispute created from a reply's *Record Promise…* or *Open Dispute…* (the context's
        ``credit_reply_id``) handles that reply, when it is the same customer's and company's and still pending."""
        reply_id = self.env.context.get("credit_reply_id")
        outcome = HANDLING_MODELS.get(records._name)
        if not reply_id or not outcome or not records:
            return
        reply = self.browse(reply_id).exists()
        record = records[:1]
        if not reply or reply.state != "pending":
            return
        if reply.partner_id != record.partner_id or reply.company_id != record.company_id:
            return
        reply._credit_handle(outcome, **{outcome: record})

    def _credit_invoices(self, kind):
        """The customer's open invoices a promise or dispute from this reply covers: those of the reminder
        answered if still open, else all the customer's open invoices in the company; without the invoices
        already in an open dispute or a live promise (they cannot be in a second one)."""
        self.ensure_one()
        Move = self.env["account.move"]
        invoices = (
            self.action_id.invoice_ids.filtered(lambda m: m.move_type == "out_invoice") if self.action_id else Move
        )
        domain = [
            *Move._credit_open_invoice_domain(),
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ]
        invoices = invoices.filtered_domain(domain) or Move.search(domain, order="invoice_date_due, id")
        invoices = invoices.filtered(
            lambda m: not m.sudo().credit_dispute_ids.filtered(lambda d: d.state in OPEN_DISPUTE_STATES)
        )
        if kind == "promise":
            invoices = invoices.filtered(
                lambda m: not m.sudo().credit_promise_ids.filtered(lambda p: p.state in ("proposed", "open"))
            )
        if not invoices:
            raise UserError(
                self.env._(
                    "%(customer)s has no open invoice left for a new promise or dispute: they are paid or already "
                    "in one. Handle the reply with No Action.",
                    customer=self.partner_id.display_name,
                )
            )
        return invoices

    def _credit_promise_values(self):
        invoices = self._credit_invoices("promise")
        values = {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "move_ids": [Command.set(invoices.ids)],
            "note": self.body,
        }
        if self.suggestion_kind == "promise" and self.suggestion_date:
            values["date"] = self.suggestion_date
        if self.suggestion_kind == "promise" and self.suggestion_amount:
            values["amount"] = min(self.suggestion_amount, invoices._credit_open_residual())
        return values

    def _credit_dispute_values(self):
        invoices = self._credit_invoices("dispute")
        reason = self.suggestion_reason_id if self.suggestion_kind == "dispute" else self.env["credit.dispute.reason"]
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "move_ids": [Command.set(invoices.ids)],
            "reason_id": reason.id,
            "description": self.body,
        }

    def action_accept_suggestion(self):
        """The suggestion as it is, in one click: the promise (date, amount) or the dispute (reason) created on
        the customer's open invoices, or *already paid*."""
        self.ensure_one()
        self._credit_check_collector()
        self._credit_check_pending()
        if self.suggestion_kind == "promise":
            if not self.suggestion_date:
                raise UserError(self.env._("The suggestion has no date: use Record Promise to enter it."))
            promise = self.env["credit.promise"].create(self._credit_promise_values())
            self._credit_handle("promise", promise=promise)
            return promise._get_records_action(name=promise.display_name)
        if self.suggestion_kind == "dispute":
            if not self.suggestion_reason_id:
                raise UserError(self.env._("The suggestion has no reason: use Open Dispute to choose one."))
            dispute = self.env["credit.dispute"].create(self._credit_dispute_values())
            self._credit_handle("dispute", dispute=dispute)
            return dispute._get_records_action(name=dispute.display_name)
        if self.suggestion_kind == "paid":
            return self.action_already_paid()
        raise UserError(self.env._("There is no suggestion to accept: choose how to handle the reply."))

    def _credit_defaults(self, values):
        """``values`` as the ``default_`` keys of a form's context, with this reply to handle on save."""
        context = {f"default_{name}": value for name, value in values.items()}
        context["credit_reply_id"] = self.id
        return context

    def action_record_promise(self):
        """The promise form, prefilled with the suggestion (date, amount) for the collector to correct; saving it
        handles the reply."""
        self.ensure_one()
        self._credit_check_collector()
        self._credit_check_pending()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_promise_action_from_worklist")
        action["context"] = self._credit_defaults(self._credit_promise_values())
        return action

    def action_open_dispute(self):
        """The dispute form, prefilled with the suggested reason and the reply as description; saving it handles
        the reply."""
        self.ensure_one()
        self._credit_check_collector()
        self._credit_check_pending()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dispute_action_from_worklist")
        action["context"] = self._credit_defaults(self._credit_dispute_values())
        action["views"] = [(False, "form")]
        return action

    def action_already_paid(self):
        """Handled as *already paid*; opens the customer's unreconciled payments and credits in the company (Odoo's
        journal items), to find the payment and reconcile it."""
        self.ensure_one()
        self._credit_handle("paid")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Payments of %(customer)s", customer=self.partner_id.display_name),
            "res_model": "account.move.line",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [
                ("partner_id", "child_of", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("balance", "<", 0),
            ],
            "context": {"create": False},
        }

    def action_no_action(self):
        """Handled, nothing to record: the customer's follow-up resumes at once."""
        self._credit_handle("no_action")

    def action_open_partner(self):
        self.ensure_one()
        return self.partner_id._get_records_action()

    @api.depends("partner_id", "date")
    def _compute_display_name(self):
        for reply in self:
            reply.display_name = self.env._(
                "Reply of %(customer)s of %(date)s",
                customer=reply.partner_id.name or "",
                date=format_date(self.env, reply.date) if reply.date else "",
            )
