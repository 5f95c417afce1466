from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from .res_partner import CREDIT_STATUS_GROUPS

# A change of these fields moves an order to another customer, company or currency: an override
# approved before it no longer applies (see ``_credit_cancel_stale_overrides``).
CREDIT_OVERRIDE_KEY_FIELDS = {"partner_id", "company_id", "pricelist_id", "currency_id"}
# Computed amounts the credit check reads: the ORM would let anyone write them over, so only the system may.
CREDIT_COMPUTED_ORDER_FIELDS = {"amount_untaxed", "amount_tax", "amount_total", "currency_rate"}
# What the check reads of the customer: fetched alone, not with every company-dependent field of the partner.
CREDIT_CHECK_PARTNER_FIELDS = ["name", "credit_hold", "credit_hold_reason", "credit_limit", "credit_group_id"]
CREDIT_CHECK_ORDER_FIELDS = ["partner_id", "company_id", "amount_total", "currency_rate"]
CREDIT_CHECK_COMPANY_FIELDS = [
    "currency_id",
    "credit_overdue_block_days",
    "credit_overdue_block_tolerance",
    "credit_limit_all_companies",
    # the language of the amounts outside a web request (``get_lang``: the company partner's)
    "partner_id",
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    credit_block_reason = fields.Text(
        string="Credit Block",
        compute="_compute_credit_block_reason",
        help="Why this quotation cannot be confirmed without a credit manager's override.",
        groups=CREDIT_STATUS_GROUPS,
    )
    credit_override_ids = fields.One2many("credit.override", "order_id", readonly=True, groups=CREDIT_STATUS_GROUPS)
    credit_override_id = fields.Many2one(
        "credit.override",
        string="Active Override",
        compute="_compute_credit_block_reason",
        help="The active override that lets this order through its credit block.",
        groups=CREDIT_STATUS_GROUPS,
    )

    credit_blocked = fields.Boolean(
        compute="_compute_credit_blocked",
        search="_search_credit_blocked",
        help="The quotation cannot be confirmed without a credit manager's override.",
        groups=CREDIT_STATUS_GROUPS,
    )

    # Odoo's own warning names the limit and the amount due: not for portal users either
    partner_credit_warning = fields.Text(groups=CREDIT_STATUS_GROUPS)

    @api.depends("partner_id", "amount_total", "state", "company_id", "credit_override_ids.state")
    @api.depends_context("uid")  # the reason of a hold is shown to credit staff only
    def _compute_credit_block_reason(self):
        # also while the quotation is being edited, so the salesperson sees it before saving
        quotations = self.filtered(lambda o: o.state in ("draft", "sent") and o.partner_id._origin)
        figures = quotations._credit_figures_by_key()
        for order in self:
            order.credit_block_reason = False
            order.credit_override_id = False
            if order not in quotations:
                continue
            override = order._credit_valid_override()
            if override:
                order.credit_override_id = override
                continue
            reasons = order._credit_confirmation_reasons(*figures.get(order._credit_key(), (0.0, 0.0, None)))
            order.credit_block_reason = order._credit_block_message(reasons) if reasons else False

    @api.depends("credit_block_reason")
    @api.depends_context("uid")
    def _compute_credit_blocked(self):
        for order in self:
            order.credit_blocked = bool(order.credit_block_reason)

    def _search_credit_blocked(self, operator, value):
        """The quotations whose confirmation the credit check blocks now (the block is computed live, for all
        quotations at once: one statement per company for their customers' figures)."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search quotations as credit blocked or not."))
        quotations = self.search([("state", "in", ("draft", "sent"))])
        blocked = quotations.filtered("credit_block_reason")
        return [("id", "in" if (operator == "=") == value else "not in", blocked.ids)]

    # ------------------------------------------------------------------
    # The check
    # ------------------------------------------------------------------

    def _credit_key(self):
        """Whose credit an order uses: (company id, commercial partner id)."""
        self.ensure_one()
        return (self.company_id.id, self.partner_id.commercial_partner_id._origin.id)

    def _credit_amount_company(self):
        """Order total in company currency (as Odoo's own credit warning does)."""
        self.ensure_one()
        return self.company_id.currency_id.round(self.amount_total / (self.currency_rate or 1.0))

    def _credit_paid_amount(self):
        """What the customer actually paid or had authorised online for this order (Odoo's own
        ``amount_paid``: its payment transactions in state authorized or done), in company currency.
        Only this part of an order is exempt from the credit block; the rest is checked."""
        self.ensure_one()
        order = self.sudo()
        return self.company_id.currency_id.round(order.amount_paid / (order.currency_rate or 1.0))

    def _credit_unbooked_transactions(self):
        """The online payments of this order that are not in the receivables yet: transactions authorized or done
        for this order alone, whose payment is not posted (Odoo books it after confirming the order, or on
        capture). Once posted, the payment is an open receivable and the exposure nets it there; until then the
        exposure nets it on the order (see the last part of ``res.partner._credit_exposure_and_overdue``). A
        transaction that pays several orders is netted once it is booked."""
        self.ensure_one()
        return self.sudo().transaction_ids.filtered(
            lambda tx: (
                tx.state in ("authorized", "done")
                and tx.sale_order_ids.ids == [self.id]
                and tx.payment_id.move_id.state != "posted"
            )
        )

    def _credit_paid_unbooked_amount(self, rounded=True):
        """What ``_credit_unbooked_transactions`` paid, in company currency."""
        self.ensure_one()
        amount = sum(self._credit_unbooked_transactions().mapped("amount")) / (self.sudo().currency_rate or 1.0)
        return self.company_id.currency_id.round(amount) if rounded else amount

    def _credit_uninvoiced_amount(self):
        """What the exposure counts for this confirmed order: its amount not invoiced yet, taxes included, less
        what was paid online for it and is not booked yet, in company currency - the Python twin of the last
        two parts of ``res.partner._credit_exposure_by_partner``, read before a change so that the check can
        add the increase to it."""
        self.ensure_one()
        amount = sum(
            line.untaxed_amount_to_invoice * (line.price_total / line.price_subtotal if line.price_subtotal else 1.0)
            for line in self.order_line
            if line.untaxed_amount_to_invoice
        )
        return amount / (self.currency_rate or 1.0) - self._credit_paid_unbooked_amount(rounded=False)

    def _credit_snapshot(self):
        """The confirmed orders of ``self`` as the credit check needs them before a change:
        ``{order id: (credit key, amount in company currency, amount counted in the exposure)}``."""
        return {
            order.id: (order._credit_key(), order._credit_amount_company(), order._credit_uninvoiced_amount())
            for order in self.sudo()
            if order.id and order.state == "sale"
        }

    def _credit_figures_by_key(self):
        """``{credit key: (exposure, overdue, group figures)}`` of the orders of ``self``, one statement per
        company for all their customers (and one for all members of their credit groups, see
        ``_credit_group_figures``). The exposure leaves the orders of ``self`` out, as ``_credit_figures`` leaves
        out the order it decides on (quotations: they are not in the exposure anyway)."""
        figures = {}
        orders = self.sudo()
        for company in orders.company_id:
            company_orders = orders.filtered(lambda o, company=company: o.company_id == company)
            partners = company_orders.partner_id.commercial_partner_id._origin.with_company(company)
            partners.fetch(CREDIT_CHECK_PARTNER_FIELDS)
            exposures, overdues = partners._credit_exposure_and_overdue(
                company, exclude_orders=company_orders._origin, days=company.credit_overdue_block_days
            )
            groups = self._credit_group_figures(partners, company, exclude_orders=company_orders._origin)
            for partner in partners:
                figures[(company.id, partner.id)] = (
                    exposures.get(partner.id, 0.0),
                    overdues.get(partner.id, 0.0),
                    groups[partner.id],
                )
        return figures

    @api.model
    def _credit_group_figures(self, partners, company, exclude_orders=None):
        """What the check of ``company``'s orders adds to the customers' own figures, per commercial partner of
        ``partners`` (sudo): ``{partner id: {"others": its exposure in the other companies (when the company
        counts all of them), "group": its credit group in ``company`` (or none), "group_exposure": the
        group's exposure}}``, leaving the confirmed orders ``exclude_orders`` out. The groups' exposure comes
        from one statement for all their members, whatever their number."""
        partners = partners.sudo()
        others = (
            partners._credit_exposure_other_companies(company, exclude_orders=exclude_orders)
            if company.credit_limit_all_companies
            else {}
        )
        groups = partners.credit_group_id.filtered(lambda g: g.active and g.company_id == company)
        group_exposures = groups._credit_exposure(exclude_orders=exclude_orders) if groups else {}
        no_group = self.env["credit.group"].sudo()
        result = {}
        for partner in partners:
            group = partner.credit_group_id if partner.credit_group_id in groups else no_group
            result[partner.id] = {
                "others": others.get(partner.id, 0.0),
                "group": group,
                "group_exposure": group_exposures.get(group.id, 0.0),
            }
        return result

    def _credit_figures(
        self, pending=0.0, amount=None, exposure=None, overdue=None, group_figures=None, group_pending=0.0
    ):
        """Figures of the check for this order's customer, in company currency (sudo: salespeople
        may not read receivables or limits, yet must see why they are blocked).

        The exposure leaves this order out (it is what the check decides on) and adds ``pending``;
        ``amount`` is what the order adds to it (default: its total). ``exposure``, ``overdue`` and
        ``group_figures`` (``_credit_group_figures``) may be given when the caller computed them for many
        orders at once; the group's exposure adds ``group_pending``. When the company counts the exposure of
        all companies, the exposure includes the customer's in the other companies."""
        self.ensure_one()
        # what the check reads of the order, alone: not its hundred other columns
        self._origin.fetch(CREDIT_CHECK_ORDER_FIELDS)
        company = self.company_id
        # nor the company's hundred columns
        company.fetch(CREDIT_CHECK_COMPANY_FIELDS)
        # what the check reads of the customer, alone (not every field of the partner): the order's
        # partner is mostly its own commercial partner, read by the same query
        self.partner_id._origin.with_company(company).sudo().fetch(
            ["commercial_partner_id", *CREDIT_CHECK_PARTNER_FIELDS]
        )
        partner = self.partner_id.commercial_partner_id._origin.with_company(company).sudo()
        partner.fetch(CREDIT_CHECK_PARTNER_FIELDS)
        if exposure is None or overdue is None:
            exposures, overdues = partner._credit_exposure_and_overdue(
                company, exclude_orders=self._origin, days=company.credit_overdue_block_days
            )
            exposure = exposures.get(partner.id, 0.0) if exposure is None else exposure
            overdue = overdues.get(partner.id, 0.0) if overdue is None else overdue
        if group_figures is None:
            group_figures = self._credit_group_figures(partner, company, exclude_orders=self._origin)[partner.id]
        return {
            "partner": partner,
            "hold": partner.credit_hold,
            "hold_reason": partner.credit_hold_reason,
            "limit": partner.credit_limit,
            "exposure": exposure + group_figures["others"] + pending,
            "group": group_figures["group"],
            "group_exposure": group_figures["group_exposure"] + group_pending,
            "order_amount": self._credit_amount_company() if amount is None else amount,
            "overdue": overdue,
            "overdue_days": company.credit_overdue_block_days,
            "tolerance": company.credit_overdue_block_tolerance,
        }

    def _credit_block_reasons(self, pending=0.0, figures=None, increase=False):
        """List of human-readable reasons why this order is blocked (empty: not blocked).

        ``increase``: the figures' order amount is what a change adds to a confirmed order."""
        self.ensure_one()
        figures = figures or self._credit_figures(pending)
        company = self.company_id
        currency = company.currency_id

        def amount(value):
            return format_amount(self.env, value, currency)

        reasons = []
        if figures["hold"] and self.env.user.has_group("credit_control.group_credit_control_user"):
            reasons.append(
                self.env._(
                    "%(customer)s is on credit hold: %(reason)s.",
                    customer=figures["partner"].name,
                    reason=figures["hold_reason"] or self.env._("no reason given"),
                )
            )
        elif figures["hold"]:
            # the reason of a hold is credit staff's (it may be "suspected fraud"): others learn only that it is held
            reasons.append(self.env._("%(customer)s is on credit hold.", customer=figures["partner"].name))
        limit = figures["limit"]
        total = figures["exposure"] + figures["order_amount"]
        if limit > 0 and currency.compare_amounts(total, limit) > 0:
            if increase:
                message = self.env._(
                    "Credit limit exceeded: exposure %(exposure)s + the increase of this order %(order)s = "
                    "%(total)s, above the credit limit of %(limit)s.",
                    exposure=amount(figures["exposure"]),
                    order=amount(figures["order_amount"]),
                    total=amount(total),
                    limit=amount(limit),
                )
            else:
                message = self.env._(
                    "Credit limit exceeded: exposure %(exposure)s + this order %(order)s = %(total)s, "
                    "above the credit limit of %(limit)s.",
                    exposure=amount(figures["exposure"]),
                    order=amount(figures["order_amount"]),
                    total=amount(total),
                    limit=amount(limit),
                )
            reasons.append(message)
        group = figures.get("group")
        if group and group.credit_limit > 0:
            group_total = figures["group_exposure"] + figures["order_amount"]
            if currency.compare_amounts(group_total, group.credit_limit) > 0:
                values = {
                    "group": group.name,
                    "limit": amount(group.credit_limit),
                    "exposure": amount(figures["group_exposure"]),
                    "order": amount(figures["order_amount"]),
                }
                if increase:
                    reasons.append(
                        self.env._(
                            "Group %(group)s: limit %(limit)s, exposure %(exposure)s + the increase of this order "
                            "%(order)s.",
                            **values,
                        )
                    )
                else:
                    reasons.append(
                        self.env._(
                            "Group %(group)s: limit %(limit)s, exposure %(exposure)s + this order %(order)s.", **values
                        )
                    )
        if currency.compare_amounts(figures["overdue"], figures["tolerance"]) > 0:
            reasons.append(
                self.env._(
                    "%(amount)s is overdue by more than %(days)s days (tolerance %(tolerance)s).",
                    amount=amount(figures["overdue"]),
                    days=figures["overdue_days"],
                    tolerance=amount(figures["tolerance"]),
                )
            )
        return reasons

    def _credit_block_message(self, reasons, increase=False):
        header = (
            self.env._("This confirmed order cannot be increased:")
            if increase
            else self.env._("This order cannot be confirmed:")
        )
        return "\n".join(
            [header]
            + [f"- {reason}" for reason in reasons]
            + [self.env._("Ask a credit manager to override the credit block.")]
        )

    def _credit_valid_override(self, amount=None):
        """The active override that covers this order as it is now, if any: approved for the same
        commercial partner, company and currency, for at least ``amount`` (default: the order total)."""
        self.ensure_one()
        currency = self.company_id.currency_id
        amount = self._credit_amount_company() if amount is None else amount
        partner = self.partner_id.commercial_partner_id._origin
        return self.sudo().credit_override_ids.filtered(
            lambda o: (
                o.state == "active"
                and o.partner_id == partner
                and o.company_id == self.company_id
                and o.order_currency_id == self.currency_id
                and currency.compare_amounts(o.order_amount, amount) >= 0
            )
        )[:1]

    def _credit_confirmation_reasons(self, exposure=None, overdue=None, group_figures=None):
        """Why this quotation may not be confirmed now (empty: it may): what is not paid online
        is checked, unless a valid override covers the order (an override for the order's amount covers the
        customer's limit and its group's alike). ``exposure``, ``overdue`` and ``group_figures`` may be given
        when the caller computed them for many orders at once (``_credit_figures_by_key``).

        An order paid in full online always passes. Otherwise the part paid online and not booked yet is left
        out; a part already booked is a payment in the exposure, so it is not left out twice."""
        self.ensure_one()
        currency = self.company_id.currency_id
        amount = self._credit_amount_company()
        if self._credit_valid_override(amount):
            return []
        paid = self._credit_paid_amount()
        if currency.compare_amounts(paid, 0.0) > 0 and currency.compare_amounts(paid, amount) >= 0:
            return []  # paid in full online
        counted = currency.round(max(amount - self._credit_paid_unbooked_amount(), 0.0))
        return self._credit_block_reasons(
            figures=self._credit_figures(
                amount=counted, exposure=exposure, overdue=overdue, group_figures=group_figures
            )
        )

    def _credit_check_increase(self, before):
        """Refuse any change that raises what customers owe on confirmed orders past their credit block.

        ``before`` is ``_credit_snapshot()`` of the orders taken before the change. An order that
        just became confirmed (created or copied in state ``sale``, written to ``sale`` from any state,
        confirmed) adds its whole amount; a confirmed order that grew (new line, higher quantity or
        price, another customer) adds the increase. The part paid online is exempt, and an active
        override that covers the new total lets the order through. Orders of one customer add up:
        the second sees the first. One query per company for the exposure and the overdue balance of all
        the orders' customers.
        """
        increases = []
        for order in self.sudo():
            if order.state != "sale":
                continue
            currency = order.company_id.currency_id
            key = order._credit_key()
            amount = order._credit_amount_company()
            old_key, old_amount, counted = before.get(order.id, (None, 0.0, 0.0))
            grown = old_key == key
            if not grown:
                old_amount = counted = 0.0
            if grown and currency.compare_amounts(amount, old_amount) <= 0:
                continue  # a decrease or an unchanged edit
            if order._credit_valid_override(amount):
                continue
            paid = order._credit_paid_amount()
            if currency.compare_amounts(paid, 0.0) > 0 and currency.compare_amounts(paid, amount) >= 0:
                continue  # paid in full online
            # the part paid online and not booked yet (a booked payment is in the exposure already)
            unbooked = order._credit_paid_unbooked_amount()
            increase = currency.round(max(amount - unbooked, 0.0) - max(old_amount - unbooked, 0.0))
            if grown or currency.compare_amounts(unbooked, 0.0) > 0:
                if currency.compare_amounts(increase, 0.0) <= 0:
                    continue  # what the order adds is paid online
            increases.append((order, key, increase, counted, grown))
        if not increases:
            return
        orders = self.browse([item[0].id for item in increases]).sudo()
        exposures, overdues, group_figures = {}, {}, {}
        for company in orders.company_id:
            company_orders = orders.filtered(lambda o, company=company: o.company_id == company)
            partners = company_orders.partner_id.commercial_partner_id.with_company(company)
            exposure, overdue = partners._credit_exposure_and_overdue(
                company, exclude_orders=orders, days=company.credit_overdue_block_days
            )
            for partner_id, value in exposure.items():
                exposures[(company.id, partner_id)] = value
            for partner_id, value in overdue.items():
                overdues[(company.id, partner_id)] = value
            for partner_id, value in self._credit_group_figures(partners, company, exclude_orders=orders).items():
                group_figures[(company.id, partner_id)] = value
        # the orders' own part of the exposure before the change, then each increase in turn (per customer and
        # per credit group: two members' orders add up in their group)
        pending = defaultdict(float)
        group_pending = defaultdict(float)
        for _order, key, _increase, counted, _grown in increases:
            pending[key] += counted
            group_pending[group_figures[key]["group"].id] += counted
        for order, key, increase, _counted, grown in increases:
            group_id = group_figures[key]["group"].id
            figures = order._credit_figures(
                pending=pending[key],
                amount=increase,
                exposure=exposures.get(key, 0.0),
                overdue=overdues.get(key, 0.0),
                group_figures=group_figures[key],
                group_pending=group_pending[group_id],
            )
            reasons = order._credit_block_reasons(figures=figures, increase=grown)
            if reasons:
                raise UserError(
                    self.env._(
                        "%(order)s: %(message)s",
                        order=order.name,
                        message=order._credit_block_message(reasons, increase=grown),
                    )
                )
            pending[key] += increase
            group_pending[group_id] += increase

    def _credit_check_confirmation(self):
        """Raise a UserError when an order of ``self`` may not be confirmed (as if it were now)."""
        self._credit_check_increase({})

    def _credit_cancel_stale_overrides(self):
        """Cancel the active overrides that no longer match their order's customer, company or currency."""
        for order in self.sudo():
            partner = order.partner_id.commercial_partner_id
            for override in order.credit_override_ids.filtered(lambda o: o.state == "active"):
                if override.partner_id != partner:
                    reason = self.env._(
                        "the customer of the order changed from %(old)s to %(new)s",
                        old=override.partner_id.display_name,
                        new=partner.display_name,
                    )
                elif override.company_id != order.company_id:
                    reason = self.env._(
                        "the company of the order changed from %(old)s to %(new)s",
                        old=override.company_id.name,
                        new=order.company_id.name,
                    )
                elif override.order_currency_id != order.currency_id:
                    reason = self.env._(
                        "the currency of the order changed from %(old)s to %(new)s",
                        old=override.order_currency_id.name,
                        new=order.currency_id.name,
                    )
                else:
                    continue
                override._credit_cancel(reason)

    # ------------------------------------------------------------------
    # Hooks: the check lives where every path to a confirmed order passes (server side, no context key
    # or client flag skips it): create (and copy), write, and the order lines (sale_order_line.py)
    # ------------------------------------------------------------------

    def _credit_check_protected_fields(self, vals, protected):
        """Refuse a user's write of what the credit check relies on but only the system sets."""
        if self.env.su:
            return
        if "transaction_ids" in vals:
            # what was paid online is exempt from the credit block: only the payment flow links it
            raise AccessError(self.env._("Payment transactions are linked to an order by the payment itself."))
        if "credit_override_ids" in vals:
            raise AccessError(
                self.env._("A credit override is approved on its order by a credit manager and stays with that order.")
            )
        if protected & set(vals):
            raise AccessError(
                self.env._("Order amounts are computed from the order lines: change the quantities or prices instead.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._credit_check_protected_fields(vals, CREDIT_COMPUTED_ORDER_FIELDS)
        orders = super().create(vals_list)
        orders._credit_check_increase({})
        return orders

    def write(self, vals):
        self._credit_check_protected_fields(vals, CREDIT_COMPUTED_ORDER_FIELDS)
        before = self._credit_snapshot()
        confirming = vals.get("state") == "sale"
        rekeyed = bool(CREDIT_OVERRIDE_KEY_FIELDS & set(vals))
        if not (before or confirming or rekeyed):
            return super().write(vals)
        if confirming:
            # a refused confirmation leaves the quotation as it was, also in the caller's cache
            with self.env.cr.savepoint():
                result = super().write(vals)
                if rekeyed:
                    self._credit_cancel_stale_overrides()
                self._credit_check_increase(before)
            return result
        result = super().write(vals)
        if rekeyed:
            self._credit_cancel_stale_overrides()
        self._credit_check_increase(before)
        return result

    def _validate_order(self):
        """A quotation signed (or checked out) on the portal that is blocked stays a quotation,
        and the salesperson is told why instead of the customer getting an error."""
        blocked = self.browse()
        for order in self:
            reasons = order._credit_confirmation_reasons()
            if reasons:
                blocked |= order
                order._credit_notify_blocked(order._credit_block_message(reasons))
        if self - blocked:
            return super(SaleOrder, self - blocked)._validate_order()
        return None

    def _credit_notify_blocked(self, message):
        self.ensure_one()
        user = self.user_id or self.company_id.partner_id.user_id or self.env.ref("base.user_admin")
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Credit block: signed quotation not confirmed"),
            note=message,
            user_id=user.id,
        )
        self.message_post(
            body=self.env._(
                "The customer accepted this quotation, but it was not confirmed.\n%(message)s", message=message
            ),
            subtype_xmlid="mail.mt_note",
        )

    def action_credit_override(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can override a credit block."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Credit Block"),
            "res_model": "credit.override.approve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_credit_request_limit(self):
        """A salesperson facing a credit block asks for a (higher) credit limit: a credit application for the
        customer, from this quotation, asking what the exposure plus this order needs."""
        self.ensure_one()
        figures = self._credit_figures()
        needed = figures["exposure"] + figures["order_amount"]
        action = self.partner_id.commercial_partner_id.action_credit_request_limit()
        action["context"].update(
            default_company_id=self.company_id.id,
            default_order_id=self.id,
            default_requested_limit=self.company_id.currency_id.round(max(needed, figures["limit"])),
        )
        return action

    def action_credit_request_release(self):
        """A salesperson facing a credit block asks the credit managers to release the order: each gets one
        activity on it (asking twice adds none)."""
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        managers_group = self.env.ref("credit_control.group_credit_control_manager").sudo()
        for order in self:
            reason = order.sudo().credit_block_reason
            if not reason:
                raise UserError(
                    self.env._("%(order)s is not credit blocked: there is nothing to release.", order=order.name)
                )
            managers = managers_group.users.filtered(lambda u, o=order: o.company_id in u.company_ids and u.active)
            if not managers:
                raise UserError(self.env._("No credit manager can release %(order)s.", order=order.name))
            summary = self.env._("Credit block: release requested")
            asked = (
                self.env["mail.activity"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", "sale.order"),
                        ("res_id", "=", order.id),
                        ("activity_type_id", "=", activity_type.id),
                        ("summary", "=", summary),
                        ("user_id", "in", managers.ids),
                    ]
                )
                .user_id
            )
            for manager in managers - asked:
                order.sudo().activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=summary,
                    note=self.env._(
                        "%(user)s asks to release %(order)s (%(amount)s): %(reason)s",
                        user=self.env.user.name,
                        order=order.name,
                        amount=format_amount(self.env, order.amount_total, order.currency_id),
                        reason=reason,
                    ),
                    user_id=manager.id,
                )
            if managers - asked:
                order.message_post(
                    body=self.env._(
                        "%(user)s asked the credit managers to release this order.", user=self.env.user.name
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("The credit managers were asked to release the order."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _action_cancel(self):
        result = super()._action_cancel()
        for override in self.sudo().credit_override_ids.filtered(lambda o: o.state == "active"):
            override._credit_cancel(self.env._("the order was cancelled"))
        return result
