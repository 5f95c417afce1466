from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, format_amount, formatLang

from .res_partner import CREDIT_STATUS_GROUPS

# Odoo's own online payment requirement of a quotation (``prepayment_percent`` is a share of 1).
PAYMENT_FIELDS = {"require_payment", "prepayment_percent"}
# What the credit policy requires of a quotation: set by the system; a credit manager lowers it by lowering the
# quotation's online payment itself.
REQUIRED_PREPAYMENT_FIELDS = {"credit_prepayment_percent", "credit_prepayment_lowered_by_id"}
# Percentages are compared to this many decimals (a share computed to the cent has more than two).
PERCENT_DIGITS = 6


class SaleOrder(models.Model):
    """Risk-based prepayment: quotations of customers whose segment or credit decision requires a prepayment ask
    it through Odoo's own online payment (``require_payment``, ``prepayment_percent``), which only a credit
    manager can lower; a blocked quotation can be sent with the prepayment that makes its unpaid part fit."""

    _inherit = "sale.order"

    credit_prepayment_percent = fields.Float(
        string="Required Prepayment (%)",
        compute="_compute_credit_prepayment_percent",
        groups=CREDIT_STATUS_GROUPS,
        store=True,
        precompute=True,
        help="The share of the total (0 to 100) that the credit policy requires the customer to pay online before "
        "this quotation is confirmed: the customer's required prepayment, or what Send with Prepayment set. "
        "Only a credit manager can ask less.",
    )
    credit_prepayment_lowered_by_id = fields.Many2one(
        "res.users",
        string="Prepayment Lowered By",
        compute="_compute_credit_prepayment_percent",
        groups=CREDIT_STATUS_GROUPS,
        store=True,
        precompute=True,
        help="The credit manager who asked less than the customer's required prepayment on this quotation.",
    )

    @api.depends("partner_id", "company_id")
    def _compute_credit_prepayment_percent(self):
        for company in self.company_id:
            orders = self.filtered(lambda o, company=company: o.company_id == company)
            percents = orders.partner_id._credit_prepayment_percent_by_partner(company)
            for order in orders:
                order.credit_prepayment_percent = percents.get(order.partner_id.commercial_partner_id._origin.id, 0.0)
        (self - self.filtered("company_id")).credit_prepayment_percent = 0.0
        self.credit_prepayment_lowered_by_id = False

    @api.depends("credit_prepayment_percent")
    def _compute_require_payment(self):
        # the required prepayment itself is applied in _compute_field_value, after every module's compute
        return super()._compute_require_payment()

    @api.depends("credit_prepayment_percent")
    def _compute_prepayment_percent(self):
        return super()._compute_prepayment_percent()

    def _compute_field_value(self, field):
        """Odoo's online payment of a quotation asks at least the required prepayment: applied after the compute
        of every module (a quotation template of ``sale_management`` sets its own), in the form as on the
        server."""
        result = super()._compute_field_value(field)
        if field.name in PAYMENT_FIELDS:
            for order in self:
                required = order.credit_prepayment_percent / 100.0
                if required <= 0 or order.state not in ("draft", "sent"):
                    continue
                if field.name == "require_payment":
                    order.require_payment = True
                elif order._credit_prepayment_below(order.prepayment_percent, required, own=True):
                    order.prepayment_percent = required
        return result

    def _credit_prepayment_below(self, share, required, own=False):
        """Whether the online payment ``share`` (of 1) asks less than ``required`` (of 1). ``own``: ``share`` is
        what Odoo computed, which counts only when the company or the quotation template asks a payment itself
        (Odoo fills in the company's percentage even when it asks none)."""
        self.ensure_one()
        if own:
            template = self.sale_order_template_id if "sale_order_template_id" in self._fields else None
            if not (template.require_payment if template else self.company_id.portal_confirmation_pay):
                return True
        return float_compare(share, required, precision_digits=PERCENT_DIGITS) < 0

    # ------------------------------------------------------------------
    # Who may ask less: a credit manager, logged (server side, every path)
    # ------------------------------------------------------------------

    def _credit_required_prepayment_after(self, vals):
        """The required prepayment (0-100) of this order once ``vals`` are written: another customer or company
        brings its own."""
        self.ensure_one()
        if not {"partner_id", "company_id"} & set(vals):
            return self.credit_prepayment_percent
        return self._credit_customer_prepayment(vals)

    def _credit_customer_prepayment(self, vals):
        """The required prepayment (0-100) of the customer of this order in its company, or of those ``vals``
        give."""
        self.ensure_one()
        partner = self.env["res.partner"].browse(vals.get("partner_id", self.partner_id.id))
        company = self.env["res.company"].browse(vals.get("company_id", self.company_id.id))
        return partner._credit_prepayment_percent_by_partner(company).get(partner.commercial_partner_id.id, 0.0)

    @api.model
    def _credit_prepayment_lowered(self, vals, required, require_payment=True, share=None):
        """Whether ``vals`` ask less online payment than ``required`` (0-100): switch it off, or a lower share.
        ``require_payment`` and ``share`` are the order's values where ``vals`` keep them."""
        if required <= 0 or not PAYMENT_FIELDS & set(vals):
            return False
        if not vals.get("require_payment", require_payment):
            return True
        share = vals.get("prepayment_percent", share)
        return share is not None and float_compare(share * 100.0, required, precision_digits=PERCENT_DIGITS - 2) < 0

    def _credit_prepayment_error(self, customer, required):
        return UserError(
            self.env._(
                "%(customer)s must pay at least %(percent)s of each quotation online before it is confirmed "
                "(credit policy): online payment stays required, with at least that prepayment. Only a credit "
                "manager can ask less.",
                customer=customer.display_name,
                percent=self._credit_format_percent(required),
            )
        )

    def _credit_format_percent(self, percent):
        """``percent`` (0-100) in the user's language, e.g. 62,35 %."""
        return f"{formatLang(self.env, percent, digits=2)} %"

    def _credit_is_credit_manager(self):
        return self.env.su or self.env.user.has_group("credit_control.group_credit_control_manager")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if REQUIRED_PREPAYMENT_FIELDS & set(vals):
                    raise AccessError(self.env._("The required prepayment of a quotation is set by the credit policy."))
        lowered = []
        for index, vals in enumerate(vals_list):
            if self.env.su or not PAYMENT_FIELDS & set(vals) or not vals.get("partner_id"):
                continue
            if vals.get("state", "draft") != "draft":
                continue
            partner = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            required = partner._credit_prepayment_percent_by_partner(company).get(partner.id, 0.0)
            if self._credit_prepayment_lowered(vals, required):
                if not self._credit_is_credit_manager():
                    raise self._credit_prepayment_error(partner, required)
                lowered.append(index)
        orders = super().create(vals_list)
        for index in lowered:
            orders[index]._credit_record_lowered_prepayment()
        return orders

    def write(self, vals):
        if self.env.su or not (PAYMENT_FIELDS | REQUIRED_PREPAYMENT_FIELDS) & set(vals):
            return super().write(vals)
        if REQUIRED_PREPAYMENT_FIELDS & set(vals):
            raise AccessError(self.env._("The required prepayment of a quotation is set by the credit policy."))
        lowered = self.browse()
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            required = order._credit_required_prepayment_after(vals)
            if self._credit_prepayment_lowered(vals, required, order.require_payment, order.prepayment_percent):
                if not self._credit_is_credit_manager():
                    raise self._credit_prepayment_error(order.partner_id.commercial_partner_id, required)
                lowered |= order
        result = super().write(vals)
        lowered._credit_record_lowered_prepayment()
        return result

    def copy_data(self, default=None):
        """A copy asks the customer's required prepayment again: a credit manager's lower one was for its
        quotation only (given explicitly in ``default``, it is checked as any new quotation)."""
        vals_list = super().copy_data(default=default)
        for order, vals in zip(self, vals_list, strict=True):
            fields_given = PAYMENT_FIELDS & set(default or {})
            required = order._credit_customer_prepayment(default or {})
            if not fields_given and self._credit_prepayment_lowered(vals, required):
                for fname in PAYMENT_FIELDS:
                    vals.pop(fname, None)
        return vals_list

    def _credit_record_lowered_prepayment(self):
        """A credit manager asked less online payment than required on the quotations ``self``: their required
        prepayment follows (the system's write) and the chatter says who lowered it from what to what."""
        for order in self:
            old = order.credit_prepayment_percent
            new = order.prepayment_percent * 100.0 if order.require_payment else 0.0
            if float_compare(new, old, precision_digits=PERCENT_DIGITS - 2) >= 0:
                continue
            # the payment fields again, in the same write: a change of the requirement recomputes them
            order.sudo().write(
                {
                    "credit_prepayment_percent": new,
                    "credit_prepayment_lowered_by_id": self.env.uid,
                    "require_payment": order.require_payment,
                    "prepayment_percent": order.prepayment_percent,
                }
            )
            if new:
                body = self.env._(
                    "Required prepayment lowered from %(old)s to %(new)s by %(user)s.",
                    old=self._credit_format_percent(old),
                    new=self._credit_format_percent(new),
                    user=self.env.user.name,
                )
            else:
                body = self.env._(
                    "Online payment switched off by %(user)s; the credit policy required a prepayment of %(old)s.",
                    old=self._credit_format_percent(old),
                    user=self.env.user.name,
                )
            order.message_post(body=body, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------
    # On send: the customer's requirement of today, unless a credit manager lowered it
    # ------------------------------------------------------------------

    def action_quotation_send(self):
        self._credit_apply_required_prepayment()
        return super().action_quotation_send()

    def _credit_apply_required_prepayment(self):
        """Make the quotations ``self`` ask at least their customer's required prepayment of today through Odoo's
        online payment (unless a credit manager lowered it on the quotation), and say so in the chatter when
        that changes what the customer is asked. The system's write: the salesperson sending may not set the
        requirement, only make the quotation ask it."""
        quotations = self.filtered(lambda o: o.state in ("draft", "sent") and not o.credit_prepayment_lowered_by_id)
        for company in quotations.company_id:
            orders = quotations.filtered(lambda o, company=company: o.company_id == company)
            percents = orders.partner_id._credit_prepayment_percent_by_partner(company)
            for order in orders:
                customer = order.partner_id.commercial_partner_id
                required = max(percents.get(customer.id, 0.0), order.credit_prepayment_percent)
                share = required / 100.0
                short = not order.require_payment or order._credit_prepayment_below(order.prepayment_percent, share)
                if not required or not short:
                    continue
                order.sudo().write(
                    {"credit_prepayment_percent": required, "require_payment": True, "prepayment_percent": share}
                )
                order.message_post(
                    body=self.env._(
                        "Online payment of at least %(percent)s required before confirmation "
                        "(credit policy of %(customer)s).",
                        percent=self._credit_format_percent(required),
                        customer=customer.display_name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    # ------------------------------------------------------------------
    # Send with prepayment: a blocked quotation goes out asking what makes its unpaid part fit
    # ------------------------------------------------------------------

    def _credit_prepayment_to_fit(self):
        """The share of the total (of 1) the customer must pay online so that what stays unpaid fits its credit,
        and at least its required prepayment: all of it for a customer on credit hold or overdue beyond the
        tolerance (no unpaid part fits those); otherwise what the exposure plus the unpaid part leaves above the
        limit, to the cent. The customer pays in the order's currency: the smallest amount in it whose company
        currency value covers the need."""
        self.ensure_one()
        company_currency = self.company_id.currency_id
        figures = self._credit_figures()
        customer = self.partner_id.commercial_partner_id
        customer_percent = customer._credit_prepayment_percent_by_partner(self.company_id).get(customer.id, 0.0)
        if self.credit_prepayment_lowered_by_id:
            customer_percent = 0.0  # a credit manager asked less on this quotation
        required = max(self.credit_prepayment_percent, customer_percent) / 100.0
        if figures["hold"] or company_currency.compare_amounts(figures["overdue"], figures["tolerance"]) > 0:
            return 1.0
        amount = figures["order_amount"]
        # a payment of this order already booked is in the exposure: it is paid, and also counted as paid
        booked = company_currency.round(self._credit_paid_amount() - self._credit_paid_unbooked_amount())
        room = max(figures["limit"] - figures["exposure"], 0.0) if figures["limit"] > 0 else amount
        needed = company_currency.round(max(amount - room + booked, 0.0))
        if not self.amount_total or company_currency.compare_amounts(needed, amount) >= 0:
            return 1.0
        currency, rate = self.currency_id, self.currency_rate or 1.0
        pay = currency.round(needed * rate)
        while company_currency.compare_amounts(company_currency.round(pay / rate), needed) < 0:
            pay = currency.round(pay + currency.rounding)
        return min(max(pay / self.amount_total, required), 1.0)

    def action_credit_send_with_prepayment(self):
        """Send a credit-blocked quotation asking the prepayment that makes its unpaid part fit: logged, then Odoo's
        send-quotation composer. Once the customer has paid it on the portal, the order confirms by itself."""
        self.ensure_one()
        self.check_access("write")  # the requirement is written by the system below
        if self.state not in ("draft", "sent"):
            raise UserError(self.env._("%(order)s is not a quotation any more.", order=self.name))
        if not self._credit_confirmation_reasons():
            raise UserError(self.env._("%(order)s is not credit blocked: send it as usual.", order=self.name))
        share = self._credit_prepayment_to_fit()
        prepayment = self.currency_id.round(self.amount_total * share)
        # the note does not repeat the block's reasons: the chatter is read by everyone who reads the order, and
        # the reason of a hold is credit staff's
        note = self.env._(
            "Sent with prepayment by %(user)s: %(percent)s of the total (%(amount)s) is paid online before the "
            "order is confirmed, so that the unpaid part (%(rest)s) fits the customer's credit.",
            user=self.env.user.name,
            percent=self._credit_format_percent(share * 100.0),
            amount=format_amount(self.env, prepayment, self.currency_id),
            rest=format_amount(self.env, self.amount_total - prepayment, self.currency_id),
        )
        self.sudo().write(
            {
                "credit_prepayment_percent": share * 100.0,
                "credit_prepayment_lowered_by_id": False,
                "require_payment": True,
                "prepayment_percent": share,
            }
        )
        self.message_post(body=note, subtype_xmlid="mail.mt_note")
        return self.action_quotation_send()
