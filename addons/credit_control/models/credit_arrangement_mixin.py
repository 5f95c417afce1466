from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

# The invoices an arrangement can cover: the customer's open posted invoices in the arrangement's company.
OPEN_INVOICE_DOMAIN = (
    "[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
    "('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id), "
    "('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]"
)


class CreditArrangementMixin(models.AbstractModel):
    """What a dispute, a promise to pay and a payment plan have in common: a customer (always the
    commercial entity), some of its open invoices in one company, the collector who handles it, where
    it came from (the collector or the customer portal), and history that is never deleted.

    Each model declares its own ``move_ids`` (its own relation table) with ``OPEN_INVOICE_DOMAIN``.
    A model with a ``credit_action_id`` field is prefilled from that worklist action and cancels it
    once recorded. ``_credit_sequence_code`` names the ir.sequence of the ``name`` field, if any.
    """

    _name = "credit.arrangement.mixin"
    _description = "Arrangement on Customer Invoices"
    _credit_sequence_code = None

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        tracking=True,
        index=True,
        default=lambda self: self.env.user if not self.env.user.share else False,
        domain="[('share', '=', False)]",
    )
    source = fields.Selection(
        [("collector", "Collector"), ("portal", "Customer Portal")], default="collector", required=True, readonly=True
    )

    @api.model
    def default_get(self, fields_list):
        """Prefilled from a worklist action (``default_credit_action_id``), see ``_defaults_from_action``."""
        values = super().default_get(fields_list)
        action = self.env["credit.action"].browse(values.get("credit_action_id") or [])
        for name, value in (self._defaults_from_action(action) if action else {}).items():
            values.setdefault(name, value)
        return values

    @api.model
    def _defaults_from_action(self, action):
        """The customer, company and open invoices of the worklist ``action``."""
        return {
            "partner_id": action.partner_id.id,
            "company_id": action.company_id.id,
            "move_ids": [Command.set(self._action_open_invoices(action).ids)],
        }

    @api.model
    def _action_open_invoices(self, action):
        return action.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.amount_residual)

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = Partner.browse(vals["partner_id"]).commercial_partner_id.id
            if self._credit_sequence_code and vals.get("name", self.env._("New")) == self.env._("New"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                sequence = self.env["ir.sequence"].with_company(company)
                vals["name"] = sequence.next_by_code(self._credit_sequence_code) or "/"
        records = super().create(vals_list)
        if "credit_action_id" in self._fields:
            records.filtered("credit_action_id")._cancel_followup_proposal()
        return records

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("%(record)s is kept as history: cancel it instead of deleting it.", record=self[:1].display_name)
        )

    def _format(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _check_arrangement_invoices(self):
        """Raise a ``UserError`` unless the invoices are open posted invoices of the customer, in the
        record's company."""
        for record in self:
            record.move_ids._credit_check_open_invoices(record.partner_id)
            if record.move_ids.company_id != record.company_id:
                raise UserError(
                    self.env._(
                        "Choose invoices of %(company)s, the company of %(record)s.",
                        company=record.company_id.name,
                        record=record.display_name,
                    )
                )

    def _cancel_followup_proposal(self):
        """The worklist proposals these records came from are taken care of: cancel them."""
        for record in self:
            action = record.credit_action_id
            if action.state in ("proposed", "failed"):
                action.action_cancel()
                record.message_post(
                    body=self.env._(
                        "Recorded from follow-up action %(action)s, which is cancelled.", action=action.display_name
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    # ------------------------------------------------------------------
    # API for the customer portal (called with sudo, after checking that the invoices are the user's)
    # ------------------------------------------------------------------

    @api.model
    def _portal_new(self, partner, invoices, vals):
        """Create the record that ``partner`` (a portal user's partner) asks for on ``invoices``, handled by
        the customer's collector, with ``partner`` following it. Raises a ``UserError`` when the invoices
        are not open posted invoices of the partner's commercial entity."""
        commercial = invoices._credit_check_open_invoices(partner)
        company = invoices.company_id
        record = self.with_company(company).create(
            {
                "partner_id": commercial.id,
                "company_id": company.id,
                "move_ids": [Command.set(invoices.ids)],
                "user_id": invoices._credit_responsible_user(partner).id,
                "source": "portal",
                **vals,
            }
        )
        record.message_subscribe(partner_ids=partner.ids)
        return record
