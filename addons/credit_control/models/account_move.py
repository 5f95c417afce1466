from odoo import api, fields, models
from odoo.exceptions import UserError

# Disputes, promises and plans that pause the follow-up of an invoice while in these states.
OPEN_DISPUTE_STATES = ("new", "in_progress")
# Who may see, on an invoice, the disputes, promises and plans that cover it.
CREDIT_GROUPS = "credit_control.group_credit_control_user,sales_team.group_sale_salesman"


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_action_count = fields.Integer(string="Follow-up Actions", compute="_compute_credit_action_count")
    credit_dispute_ids = fields.Many2many(
        "credit.dispute",
        "credit_dispute_account_move_rel",
        "move_id",
        "dispute_id",
        string="Disputes",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_promise_ids = fields.Many2many(
        "credit.promise",
        "credit_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Promises",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_plan_ids = fields.Many2many(
        "credit.payment.plan",
        "credit_payment_plan_account_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        groups=CREDIT_GROUPS,
    )
    credit_pause_info = fields.Char(
        string="Follow-up Paused",
        compute="_compute_credit_pause_info",
        help="The open dispute, promise to pay or active payment plan that covers this invoice.",
        groups=CREDIT_GROUPS,
    )

    def _compute_credit_action_count(self):
        for move in self:
            move.credit_action_count = len(move.line_ids.credit_action_ids)

    @api.depends("credit_dispute_ids.state", "credit_promise_ids.state", "credit_plan_ids.state")
    def _compute_credit_pause_info(self):
        for move in self:
            covered = [
                *move.credit_dispute_ids.filtered(lambda d: d.state in OPEN_DISPUTE_STATES),
                *move.credit_promise_ids.filtered(lambda p: p.state == "open"),
                *move.credit_plan_ids.filtered(lambda p: p.state == "active"),
            ]
            move.credit_pause_info = ", ".join(record.display_name for record in covered) or False

    def action_credit_view_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_action_history_action")
        action["domain"] = [("id", "in", self.line_ids.credit_action_ids.ids)]
        return action

    def action_credit_dispute(self):
        """The dispute form, prefilled with this invoice (the invoice form's Dispute button)."""
        self._credit_check_open_invoices(self.commercial_partner_id[:1])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "credit.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_move_ids": self.ids,
            },
        }

    def action_credit_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dispute_action")
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id, "default_move_ids": self.ids}
        return action

    # ------------------------------------------------------------------
    # Helpers for disputes, promises and payment plans
    # ------------------------------------------------------------------

    def _credit_check_open_invoices(self, partner):
        """Raise a ``UserError`` unless these are open posted customer invoices of ``partner``'s
        commercial entity, all in one company."""
        commercial = partner.commercial_partner_id
        if not self:
            raise UserError(self.env._("Choose at least one open invoice."))
        wrong = self.filtered(
            lambda m: m.move_type != "out_invoice" or m.state != "posted" or m.commercial_partner_id != commercial
        )
        if wrong:
            raise UserError(
                self.env._(
                    "%(invoices)s: not a posted invoice of %(customer)s. Choose only that customer's open invoices.",
                    invoices=", ".join(wrong.mapped("display_name")),
                    customer=commercial.display_name,
                )
            )
        paid = self.filtered(lambda m: m.payment_state in ("paid", "in_payment", "reversed") or not m.amount_residual)
        if paid:
            raise UserError(
                self.env._(
                    "%(invoices)s: already paid. Choose only invoices that are still open.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        if len(self.company_id) > 1:
            raise UserError(self.env._("Choose invoices of one company only."))
        return commercial

    def _credit_open_residual(self):
        """What is still open on these invoices, in company currency."""
        company = self.company_id[:1] or self.env.company
        return company.currency_id.round(sum(self.mapped("amount_residual_signed")))

    def _credit_responsible_user(self, partner):
        """Who handles a customer's request about these invoices: the customer's collector, else the
        invoices' salesperson, else the current user (an administrator when that is a portal user)."""
        company = self.company_id[:1] or self.env.company
        user = partner.commercial_partner_id.with_company(company).sudo().credit_collector_id
        user = user or self.invoice_user_id.filtered(lambda u: not u.share)[:1]
        if not user:
            user = self.env.user if not self.env.user.share else self.env.ref("base.user_admin")
        return user

    # ------------------------------------------------------------------
    # Posting, and credit notes that resolve a dispute
    # ------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.line_ids._credit_refresh_partner_statistics()
        refunds = posted.filtered(lambda m: m.move_type == "out_refund")
        if refunds:
            self.env["credit.dispute"].sudo().search(
                [("credit_note_id", "in", refunds.ids), ("state", "in", OPEN_DISPUTE_STATES)]
            )._resolve_by_credit_note()
        return posted

    def _reverse_moves(self, default_values_list=None, cancel=False):
        """A credit note made from a dispute (``credit_dispute_id`` in the context, set by the dispute's
        *Credit Note* button on Odoo's reversal wizard) is linked to it; posting it resolves the dispute."""
        reverse_moves = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        dispute_id = self.env.context.get("credit_dispute_id")
        if dispute_id:
            dispute = self.env["credit.dispute"].sudo().browse(dispute_id).exists()
            credit_notes = reverse_moves.filtered(lambda m: m.move_type == "out_refund")
            if dispute and credit_notes:
                dispute._link_credit_notes(credit_notes)
        return reverse_moves

    def button_draft(self):
        lines = self.line_ids
        result = super().button_draft()
        lines.exists()._credit_refresh_partner_statistics()
        return result
