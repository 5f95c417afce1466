from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_move import OPEN_DISPUTE_STATES
from .credit_arrangement_mixin import OPEN_INVOICE_DOMAIN

# Days a new dispute has to be answered, by default.
DISPUTE_DEADLINE_DAYS = 14


class CreditDispute(models.Model):
    """A customer disputes (part of) one or more invoices: while open, their follow-up pauses.

    Closed by a credit note (resolved), a rejection explained to the customer, or a cancellation.
    Never deleted.
    """

    _name = "credit.dispute"
    _description = "Invoice Dispute"
    _inherit = ["credit.arrangement.mixin", "portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _credit_sequence_code = "credit.dispute"
    _credit_workflow_fields = ("state", "source", "resolution", "credit_note_id", "date_opened", "date_closed")
    _credit_closed_states = ("resolved", "rejected", "cancelled")
    _credit_live_states = OPEN_DISPUTE_STATES

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: self.env._("New")
    )
    move_ids = fields.Many2many(
        "account.move",
        "credit_dispute_account_move_rel",
        "dispute_id",
        "move_id",
        string="Invoices",
        required=True,
        domain=OPEN_INVOICE_DOMAIN,
    )
    amount = fields.Monetary(
        string="Disputed Amount",
        compute="_compute_amount",
        store=True,
        readonly=False,
        tracking=True,
        help="The part of the invoices the customer disputes; at most what is still open on them.",
    )
    reason_id = fields.Many2one("credit.dispute.reason", required=True, tracking=True)
    reason_category = fields.Selection(related="reason_id.category", store=True)
    description = fields.Text(help="What the customer says is wrong.")
    user_id = fields.Many2one(string="Owner")
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In Progress"),
            ("resolved", "Resolved"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        string="Stage",
        default="new",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    date_opened = fields.Date(
        string="Opened On", default=fields.Date.context_today, required=True, readonly=True, copy=False
    )
    date_deadline = fields.Date(
        string="Deadline",
        tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=DISPUTE_DEADLINE_DAYS),
    )
    resolution = fields.Text(copy=False, help="How the dispute was closed; a rejection's explanation to the customer.")
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False, index="btree_not_null", tracking=True)
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    cycle_time_days = fields.Float(
        string="Cycle Time (days)",
        compute="_compute_cycle_time_days",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from opening to closing the dispute.",
        groups="credit_control.group_credit_control_user",
    )
    credit_action_id = fields.Many2one(
        "credit.action",
        string="Follow-up Action",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="credit_control.group_credit_control_user",
    )

    @api.depends("move_ids")
    def _compute_amount(self):
        for dispute in self:
            dispute.amount = dispute.move_ids._origin._credit_open_residual() if dispute.move_ids else 0.0

    @api.depends("date_opened", "date_closed")
    def _compute_cycle_time_days(self):
        for dispute in self:
            closed = dispute.date_closed
            dispute.cycle_time_days = (closed - dispute.date_opened).days if closed and dispute.date_opened else 0.0

    def _compute_access_url(self):
        for dispute in self:
            dispute.access_url = f"/my/disputes/{dispute.id}"

    @api.depends("name", "partner_id.name")
    def _compute_display_name(self):
        for dispute in self:
            dispute.display_name = self.env._("Dispute %(name)s", name=dispute.name)

    @api.constrains("partner_id", "move_ids", "amount")
    def _check_invoices_and_amount(self):
        for dispute in self.filtered(lambda d: d.state in OPEN_DISPUTE_STATES):
            dispute._check_arrangement_invoices()
            open_amount = dispute.move_ids._credit_open_residual()
            if dispute.currency_id.compare_amounts(dispute.amount, 0.0) <= 0:
                raise UserError(self.env._("The disputed amount must be more than zero."))
            if dispute.currency_id.compare_amounts(dispute.amount, open_amount) > 0:
                raise UserError(
                    self.env._(
                        "The disputed amount %(amount)s is more than the %(open)s still open on the invoices. "
                        "Lower the amount or add the other invoices.",
                        amount=dispute._format(dispute.amount),
                        open=dispute._format(open_amount),
                    )
                )

    @api.constrains("move_ids", "state")
    def _check_one_per_invoice(self):
        self._credit_check_one_live_record()

    # ------------------------------------------------------------------
    # Stages
    # ------------------------------------------------------------------

    def _check_open(self):
        closed = self.filtered(lambda d: d.state not in OPEN_DISPUTE_STATES)
        if closed:
            raise UserError(self.env._("Dispute %(name)s is already closed.", name=", ".join(closed.mapped("name"))))

    def _close(self, state, resolution=None):
        vals = {"state": state, "date_closed": fields.Date.context_today(self)}
        if resolution:
            vals["resolution"] = resolution
        self._workflow().write(vals)
        self.activity_ids.action_feedback(feedback=self.env._("Dispute closed."))

    def action_start(self):
        self._check_open()
        self.filtered(lambda d: d.state == "new")._workflow().write({"state": "in_progress"})
        return True

    def action_resolve_credit_note(self):
        """Odoo's own reversal wizard for the disputed invoices; the credit note it makes is linked to this
        dispute, and posting it resolves the dispute (see ``account.move._reverse_moves``)."""
        self.ensure_one()
        self._check_open()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": "account.move",
                "active_ids": self.move_ids.ids,
                "credit_dispute_id": self.id,
                "default_reason": self.env._("Dispute %(name)s", name=self.name),
            },
        }

    def _link_credit_notes(self, credit_notes):
        self.ensure_one()
        self._workflow().credit_note_id = credit_notes[:1]
        self.message_post(
            body=self.env._(
                "Credit note %(notes)s made for this dispute; posting it resolves the dispute.",
                notes=", ".join(credit_notes.mapped("display_name")),
            ),
            subtype_xmlid="mail.mt_note",
        )
        if self.state == "new":
            self._workflow().state = "in_progress"
        if credit_notes[:1].state == "posted":
            self._resolve_by_credit_note()

    def _resolve_by_credit_note(self):
        for dispute in self:
            note = dispute.credit_note_id
            dispute._close(
                "resolved",
                self.env._(
                    "Credit note %(note)s of %(amount)s.",
                    note=note.name,
                    amount=dispute._format(abs(note.amount_total_signed)),
                ),
            )

    def action_reject(self):
        self.ensure_one()
        self._check_open()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Dispute"),
            "res_model": "credit.dispute.reject",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }

    def _reject(self, explanation):
        """Close as rejected and tell the customer why (an email in the dispute's thread). Follow-up of the
        invoices resumes at the level they were at."""
        explanation = (explanation or "").strip()
        if not explanation:
            raise UserError(self.env._("Explain to the customer why the dispute is rejected."))
        self._check_open()
        for dispute in self.with_context(mail_notify_force_send=False):
            dispute.message_post(
                body=Markup("<p>%s</p><p>%s</p>")
                % (self.env._("Your dispute %(name)s has been rejected.", name=dispute.name), explanation),
                subject=self.env._("Your dispute %(name)s", name=dispute.name),
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=dispute.partner_id.ids,
            )
        self._close("rejected", explanation)

    def action_cancel(self):
        self._check_open()
        self._close("cancelled")
        return True

    # ------------------------------------------------------------------
    # API for the customer portal (called with sudo, after checking that the invoices are the user's)
    # ------------------------------------------------------------------

    @api.model
    def _portal_create(self, partner, invoices, reason, comment, attachment_ids=None):
        """Open a dispute for ``partner`` (a portal user's partner) on ``invoices``.

        Raises a ``UserError`` when the invoices are not open posted invoices of the partner's
        commercial entity. The customer's comment goes into the thread; the collector gets an activity.
        """
        if not reason or not reason.active:
            raise UserError(self.env._("Choose the reason of your dispute."))
        comment = (comment or "").strip()
        if not comment:
            raise UserError(self.env._("Tell us what is wrong with the invoice."))
        dispute = self._portal_new(partner, invoices, {"reason_id": reason.id, "description": comment})
        dispute.with_context(mail_notify_force_send=False).message_post(
            body=comment,
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=list(attachment_ids or []),
        )
        dispute.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=dispute.date_deadline,
            summary=self.env._("Dispute from the portal: %(reason)s", reason=reason.name),
            note=comment,
            user_id=dispute.user_id.id,
        )
        return dispute
