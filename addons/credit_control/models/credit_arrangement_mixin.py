from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

# The invoices an arrangement can cover: the customer's open posted invoices in the arrangement's company.
OPEN_INVOICE_DOMAIN = (
    "[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
    "('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id), "
    "('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]"
)

# The workflow's own writes carry this object in their context (see ``_workflow``). A client cannot send it:
# contexts over RPC and HTTP are JSON, and no JSON value *is* this object. So a plain ``write`` or ``create``
# from a user never passes for the workflow, whatever context it sends.
_WORKFLOW = object()
_WORKFLOW_KEY = "credit_arrangement_workflow"

# Fields a user may still change on a closed (decided) record: who handles it and internal notes.
EDITABLE_WHEN_CLOSED = {"user_id", "note"}


def in_workflow(env):
    """Whether ``env`` is the workflow's own (see ``CreditArrangementMixin._workflow``)."""
    return env.context.get(_WORKFLOW_KEY) is _WORKFLOW


def workflow(records):
    """``records`` in the workflow's own context, where decision fields may be written."""
    return records.with_context(**{_WORKFLOW_KEY: _WORKFLOW})


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
    # Decision fields: set only by the workflow's methods (buttons, daily checks, portal API), never by a plain
    # write or create of a user. On create they may only hold their initial value (``_credit_initial_values``,
    # else empty). ``_credit_fixed_fields`` are set at creation and never changed afterwards.
    _credit_workflow_fields = ("state", "source")
    _credit_fixed_fields = ("partner_id",)
    _credit_initial_values = {"source": "collector"}
    # States in which the record is decided: then only EDITABLE_WHEN_CLOSED may change.
    _credit_closed_states = ()
    # States in which the record covers its invoices: an invoice is in at most one such record per model.
    _credit_live_states = ()

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
        [("collector", "Collector"), ("portal", "Customer Portal")],
        default="collector",
        required=True,
        readonly=True,
        copy=False,
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
        if not in_workflow(self.env):
            for vals in vals_list:
                self._credit_check_initial_values(vals)
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
        # created from a customer reply's Record Promise… / Open Dispute…: that reply is handled
        self.env["credit.reply"]._credit_handle_created(records)
        return records

    def write(self, vals):
        if not in_workflow(self.env):
            self._credit_check_user_write(vals)
        return super().write(vals)

    def _workflow(self):
        """These records in the workflow's own context: only its methods (private, so out of reach of RPC)
        call this, to write decision fields after their own checks."""
        return workflow(self)

    def _credit_check_initial_values(self, vals):
        """A user creates a record in its initial state: decision fields keep their initial value."""
        for name in self._credit_workflow_fields:
            if name not in vals:
                continue
            field = self._fields[name]
            if name in self._credit_initial_values:
                initial = self._credit_initial_values[name]
            else:
                initial = field.default(self) if field.default else False
            record = self.browse()
            if field.convert_to_cache(vals[name], record, validate=False) != field.convert_to_cache(
                initial, record, validate=False
            ):
                raise AccessError(
                    self.env._(
                        "%(field)s of a new %(model)s is set by its workflow, not by hand: leave it empty.",
                        field=self._fields[name]._description_string(self.env),
                        model=self._description,
                    )
                )

    def _credit_check_user_write(self, vals):
        """Decision fields change only through the workflow; a decided record only in who handles it."""
        protected = set(vals) & {*self._credit_workflow_fields, *self._credit_fixed_fields}
        if protected:
            raise AccessError(
                self.env._(
                    "%(fields)s of %(model)s change only through its buttons (approve, cancel, ...), not by editing.",
                    fields=", ".join(sorted(self._fields[name]._description_string(self.env) for name in protected)),
                    model=self._description,
                )
            )
        if self.env.su:
            return
        closed = self.filtered(lambda r: r.state in self._credit_closed_states)
        if closed and set(vals) - EDITABLE_WHEN_CLOSED - self._credit_mail_fields():
            raise UserError(
                self.env._(
                    "%(record)s is closed and kept as history: it can no longer be changed.",
                    record=closed[:1].display_name,
                )
            )

    def _credit_mail_fields(self):
        """Fields of the chatter and activities, which stay usable on closed records."""
        return {name for name in self._fields if name.startswith(("message_", "activity_", "website_message"))}

    def _credit_check_one_live_record(self):
        """An invoice is in at most one live record of each kind (open dispute, open promise, draft or active
        plan), whoever creates it: the models' ``move_ids``/``state`` constraints call this."""
        live = self.filtered(lambda r: r.state in self._credit_live_states)
        if not live:
            return
        others = self.sudo().search([("move_ids", "in", live.move_ids.ids), ("state", "in", self._credit_live_states)])
        for record in live:
            for other in others - record:
                shared = other.move_ids & record.move_ids
                if shared:
                    raise UserError(
                        self.env._(
                            "%(invoices)s: already in %(other)s. Change or close that one instead of adding another.",
                            invoices=", ".join(shared.mapped("display_name")),
                            other=other.display_name,
                        )
                    )

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
                action.action_cancel(
                    reason=self.env._("%(record)s was recorded from this action.", record=record.display_name)
                )
                record.message_post(
                    body=self.env._(
                        "Recorded from follow-up action %(action)s, which is cancelled.", action=action.display_name
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _credit_void_invoices(self):
        """The records whose invoices can no longer be paid: one was cancelled or reversed by a credit note, or
        they were deleted (none left). Such records are cancelled, never kept or done: only real payments count."""
        return self.filtered(
            lambda r: not r.move_ids or any(m.state == "cancel" or m.payment_state == "reversed" for m in r.move_ids)
        )

    def _cancel_void(self, invoices=None):
        """Cancel these records because ``invoices`` (default: the cancelled or reversed ones) will not be paid."""
        today = fields.Date.context_today(self)
        for record in self:
            gone = invoices or record.move_ids.filtered(lambda m: m.state == "cancel" or m.payment_state == "reversed")
            vals = {"state": "cancelled"}
            if "date_closed" in record._fields:
                vals["date_closed"] = today
            record._workflow().write(vals)
            record.message_post(
                body=self.env._(
                    "%(invoices)s will not be paid (cancelled, credited or deleted): %(record)s is cancelled.",
                    invoices=", ".join(gone.mapped("display_name")) or self.env._("The invoices"),
                    record=record.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
            record.activity_ids.action_feedback(feedback=self.env._("Cancelled: the invoices will not be paid."))

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
        self._portal_check_rate(commercial, company)
        record = workflow(self.with_company(company)).create(
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
        return record.with_env(self.env)  # out of the workflow's context again

    @api.model
    def _portal_check_rate(self, commercial, company):
        """At most ``credit_portal_daily_limit`` portal requests of this kind per customer in 24 hours."""
        since = fields.Datetime.subtract(self.env.cr.now(), days=1)
        count = self.sudo().search_count(
            [("partner_id", "=", commercial.id), ("source", "=", "portal"), ("create_date", ">=", since)]
        )
        if count >= company.credit_portal_daily_limit:
            raise UserError(
                self.env._(
                    "You have already sent us %(count)s such requests today. Please contact us, or try again tomorrow.",
                    count=count,
                )
            )
