from odoo import api, fields, models

from ..tools import bad_debt_vat


class CreditWriteOffLine(models.TransientModel):
    """One item of the write-off wizard with its amounts and VAT rule, as they will be posted."""

    _name = "credit.write.off.line"
    _description = "Write-off Item"

    wizard_id = fields.Many2one("credit.write.off", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="item_id.company_currency_id")
    item_id = fields.Many2one("account.move.line", required=True, readonly=True)
    invoice_id = fields.Many2one(related="item_id.move_id", string="Invoice")
    partner_id = fields.Many2one(related="item_id.partner_id", string="Customer")
    date_maturity = fields.Date(related="item_id.date_maturity", string="Due Date")
    amount = fields.Monetary(string="Open Amount", compute="_compute_amounts")
    vat_amount = fields.Monetary(string="VAT Share", compute="_compute_amounts")
    vat_detail = fields.Char(string="VAT per Rate", compute="_compute_amounts")
    relief_date = fields.Date(string="VAT Reclaimable From", compute="_compute_amounts")
    relief_rule = fields.Char(compute="_compute_amounts")
    reclaimable = fields.Boolean(string="VAT Reclaimable Now", compute="_compute_amounts")
    legal_basis = fields.Char(compute="_compute_amounts")

    @api.depends("item_id", "wizard_id.date", "wizard_id.insolvency_id")
    def _compute_amounts(self):
        Entry = self.env["credit.write.off.entry"]
        Tax = self.env["account.tax"]
        for line in self:
            item = line.item_id
            split = Entry._credit_split(
                item.move_id, item.amount_residual, item.amount_residual_currency, item.currency_id
            )
            taxes = [(Tax.browse(key[1]), values[0]) for key, values in split.items() if key[0] == "tax"]
            line.amount = item.amount_residual
            line.vat_amount = sum(amount for _tax, amount in taxes)
            line.vat_detail = ", ".join(
                f"{tax.name}: {item.company_currency_id.format(amount)}" for tax, amount in taxes if amount
            )
            day, rule = line._credit_relief()
            line.relief_date = day
            line.relief_rule = rule
            line.reclaimable = bool(taxes and day and day <= (line.wizard_id.date or fields.Date.context_today(line)))
            line.legal_basis = bad_debt_vat.legal_basis(rule)

    def _credit_case(self):
        """The insolvency case of the item's customer that counts for the VAT rule: the wizard's, else the latest
        non-cancelled case of the customer in the company with a judgment on or before the write-off date."""
        self.ensure_one()
        if self.wizard_id.insolvency_id:
            return self.wizard_id.insolvency_id
        return (
            self.env["credit.insolvency"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.item_id.move_id.commercial_partner_id.id),
                    ("company_id", "=", self.item_id.company_id.id),
                    ("state", "!=", "cancelled"),
                    ("judgment_date", "<=", self.wizard_id.date or fields.Date.context_today(self)),
                ],
                limit=1,
            )
        )

    def _credit_relief(self):
        self.ensure_one()
        case = self._credit_case()
        country = self.item_id.company_id.account_fiscal_country_id.code
        return bad_debt_vat.relief_date(
            country, self.item_id.date_maturity or self.item_id.date, case.kind or None, case.judgment_date or None
        )

    def _credit_write_off(self):
        """The write-off entry of this item and its record."""
        self.ensure_one()
        wizard, item = self.wizard_id, self.item_id
        invoice = item.move_id
        Entry = self.env["credit.write.off.entry"]
        case = self._credit_case()
        vat_state = "none" if not self.vat_amount else ("relieved" if self.reclaimable else "pending")
        if self.vat_amount and not self.relief_rule:
            vat_state = "no_rule"
        entry = Entry.sudo().create(
            {
                "name": invoice.name,
                "company_id": item.company_id.id,
                "partner_id": invoice.commercial_partner_id.id,
                "item_id": item.id,
                "invoice_id": invoice.id,
                "insolvency_id": case.id,
                "date": wizard.date,
                "user_id": self.env.user.id,
                "amount": item.amount_residual,
                "vat_amount": self.vat_amount,
                "vat_relieved": self.vat_amount if vat_state == "relieved" else 0.0,
                "relief_base": item.amount_residual if vat_state == "relieved" else 0.0,
                "relief_base_currency": item.amount_residual_currency if vat_state == "relieved" else 0.0,
                "vat_state": vat_state,
                "relief_date": self.relief_date,
                "relief_rule": self.relief_rule or False,
            }
        )
        label = self.env._("Write-off %(invoice)s", invoice=invoice.name)
        if case:
            label = self.env._("Write-off %(invoice)s (%(case)s)", invoice=invoice.name, case=case.name)
        lines, taxed, taxed_currency = [], 0.0, 0.0
        if vat_state == "relieved":
            split = Entry._credit_split(invoice, item.amount_residual, item.amount_residual_currency, item.currency_id)
            lines, taxed, taxed_currency = entry._credit_tax_lines(split, 1, "refund", label)
        currency = item.currency_id
        lines += [
            {
                "name": label,
                "account_id": item.company_id.credit_bad_debt_account_id.id,
                "partner_id": invoice.commercial_partner_id.id,
                "balance": item.company_currency_id.round(item.amount_residual - taxed),
                "amount_currency": currency.round(item.amount_residual_currency - taxed_currency),
                "currency_id": currency.id,
            },
            {
                "name": label,
                "account_id": item.account_id.id,
                "partner_id": item.partner_id.id,
                "balance": -item.amount_residual,
                "amount_currency": -item.amount_residual_currency,
                "currency_id": currency.id,
            },
        ]
        move = entry._credit_create_move(wizard.date, label, lines)
        receivable = move.line_ids.filtered(lambda line: line.account_id == item.account_id and line.credit)
        (receivable | item).sudo().reconcile()
        entry.sudo().move_id = move
        entry.message_post(body=self.env._("Written off with %(move)s.", move=move.name))
        invoice.sudo().message_post(
            body=self.env._(
                "Written off as a bad debt: %(move)s (%(amount)s).",
                move=move.name,
                amount=currency.format(item.amount_residual_currency),
            )
        )
        return entry
