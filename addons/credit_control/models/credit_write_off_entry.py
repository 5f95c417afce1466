from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools import bad_debt_vat

RELIEF_RULE_SELECTION = [
    ("nl_one_year", "NL: one year after the due date"),
    ("nl_insolvency", "NL: bankruptcy or WSNP judgment"),
    ("be_insolvency", "BE: bankruptcy judgment"),
    ("be_procedure", "BE: judicial procedure"),
    ("be_one_year", "BE: one year after the due date"),
]


class CreditWriteOffEntry(models.Model):
    """One written-off receivable item: the bad-debt entry that closed it, the VAT it relieved (at once or later,
    when the rule's date comes), and what came in afterwards.

    The entries themselves are ordinary posted journal entries in the write-off journal; this record keeps the
    link between the invoice, the write-off, the VAT relief and the recoveries, and is never deleted (an entry is
    corrected by reversing its journal entry)."""

    _name = "credit.write.off.entry"
    _description = "Write-off"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    # collectors read write-offs and their chatter; managers post through the actions
    _mail_post_access = "read"

    name = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    item_id = fields.Many2one(
        "account.move.line", string="Written-off Item", required=True, readonly=True, check_company=True
    )
    invoice_id = fields.Many2one("account.move", required=True, index=True, readonly=True)
    insolvency_id = fields.Many2one("credit.insolvency", string="Insolvency Case", readonly=True)
    date = fields.Date(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Written off by", readonly=True)
    move_id = fields.Many2one("account.move", string="Write-off Entry", readonly=True)
    amount = fields.Monetary(string="Written off", readonly=True, help="The open amount of the item, VAT included.")
    vat_amount = fields.Monetary(string="VAT Share", readonly=True, help="The VAT in the written-off amount.")
    vat_relieved = fields.Monetary(string="VAT Relieved", readonly=True)
    relief_base = fields.Monetary(
        string="Relieved On", readonly=True, help="The part of the written-off amount whose VAT was relieved."
    )
    relief_base_currency = fields.Float(string="Relieved On (Invoice Currency)", readonly=True, digits=0)
    vat_state = fields.Selection(
        [
            ("none", "No VAT"),
            ("no_rule", "No Relief Rule"),
            ("pending", "VAT Relief Pending"),
            ("relieved", "VAT Relieved"),
        ],
        string="VAT",
        required=True,
        readonly=True,
    )
    relief_date = fields.Date(readonly=True, help="The day from which the VAT may be relieved, by the rule.")
    relief_rule = fields.Selection(RELIEF_RULE_SELECTION, readonly=True)
    legal_basis = fields.Char(compute="_compute_legal_basis")
    relief_move_id = fields.Many2one("account.move", string="VAT Relief Entry", readonly=True)
    recovered_amount = fields.Monetary(string="Recovered", readonly=True)
    vat_due_again = fields.Monetary(string="VAT Due Again", readonly=True)
    recovery_move_ids = fields.Many2many(
        "account.move", "credit_write_off_entry_recovery_rel", "entry_id", "move_id", string="Recoveries", readonly=True
    )

    @api.depends("relief_rule")
    def _compute_legal_basis(self):
        for entry in self:
            entry.legal_basis = bad_debt_vat.legal_basis(entry.relief_rule)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Write-offs are kept; reverse their journal entry instead."))

    # ------------------------------------------------------------------
    # ACTION
    # ------------------------------------------------------------------
    def action_relieve_vat(self):
        """Posts the VAT relief of write-offs whose rule's date has come (the VAT stayed on the bad-debt account)."""
        self.env["credit.write.off"]._credit_check_manager()
        today = fields.Date.context_today(self)
        todo = self.filtered(lambda e: e.vat_state == "pending" and e.relief_date and e.relief_date <= today)
        if not todo:
            raise UserError(self.env._("No VAT relief is due on these write-offs yet."))
        for entry in todo:
            entry._credit_post_relief(max(entry.relief_date, entry.date))

    def action_register_recovery(self):
        self.ensure_one()
        self.env["credit.write.off"]._credit_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Recovery"),
            "res_model": "credit.write.off.recovery",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_entry_id": self.id},
        }

    def action_open_move(self):
        self.ensure_one()
        moves = self.move_id | self.relief_move_id | self.recovery_move_ids
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Journal Entries"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", moves.ids)],
        }

    # ------------------------------------------------------------------
    # BUSINESS: the invoice's parts and the lines built from them
    # ------------------------------------------------------------------
    @api.model
    def _credit_invoice_parts(self, invoice):
        """The invoice's total in parts: ``[(key, company amount, currency amount)]`` with key ``("base", tax
        ids)`` per group of lines with the same taxes and ``("tax", tax id)`` per tax, positive for an invoice.
        Without taxes the whole total is one base part."""
        parts = defaultdict(lambda: [0.0, 0.0])
        for line in invoice.line_ids:
            if line.account_id.account_type in ("asset_receivable", "liability_payable"):
                continue
            if line.tax_repartition_line_id:
                key = ("tax", line.tax_repartition_line_id.tax_id.id)
            else:
                key = ("base", tuple(sorted(line.tax_ids.ids)))
            parts[key][0] -= line.balance
            parts[key][1] -= line.amount_currency
        return [(key, values[0], values[1]) for key, values in parts.items()]

    @api.model
    def _credit_split(self, invoice, amount, amount_currency, currency):
        """``{key: (company share, currency share)}`` of ``amount`` over the invoice's parts, to the cent."""
        parts = self._credit_invoice_parts(invoice)
        company_digits = invoice.company_id.currency_id.decimal_places
        company = bad_debt_vat.split_amount(amount, [(key, value) for key, value, _cur in parts], company_digits)
        foreign = bad_debt_vat.split_amount(
            amount_currency, [(key, cur) for key, _value, cur in parts], currency.decimal_places
        )
        return {key: (float(company[key]), float(foreign[key])) for key, _value, _cur in parts}

    @api.model
    def _credit_vat_of(self, split):
        return sum(values[0] for key, values in split.items() if key[0] == "tax")

    def _credit_tax_lines(self, split, sign, document, label):
        """The VAT lines of a relief (``sign`` 1, ``document`` "refund": debit through the taxes' refund
        repartition) or of VAT due again (``sign`` -1, "invoice": credit through the invoice repartition), with
        their base lines on the bad-debt account carrying the taxes and the base tags, so that the VAT return shows
        the correction in the same boxes as a credit note (or an invoice). Returns (lines, total)."""
        self.ensure_one()
        account = self.company_id.credit_bad_debt_account_id
        Tax = self.env["account.tax"]
        currency = self.item_id.currency_id
        lines, total, total_currency = [], 0.0, 0.0
        # the base each tax applies to, for the tax line's base amount (what the tax report shows as its base)
        base_of = defaultdict(float)
        for key, (balance, _amount_currency) in split.items():
            if key[0] == "base":
                for tax_id in key[1]:
                    base_of[tax_id] += balance
        field = "refund_repartition_line_ids" if document == "refund" else "invoice_repartition_line_ids"
        for key, (balance, amount_currency) in split.items():
            if not balance and not amount_currency:
                continue
            if key[0] == "tax":
                tax = Tax.browse(key[1])
                repartitions = tax[field].filtered(lambda r: r.repartition_type == "tax")
                shares = bad_debt_vat.split_amount(
                    balance, [(r.id, r.factor_percent) for r in repartitions], self.currency_id.decimal_places
                )
                shares_currency = bad_debt_vat.split_amount(
                    amount_currency, [(r.id, r.factor_percent) for r in repartitions], currency.decimal_places
                )
                invoice_tax_line = self.invoice_id.line_ids.filtered(lambda line, t=tax: line.tax_line_id == t)[:1]
                for repartition in repartitions:
                    lines.append(
                        {
                            "name": self.env._("%(label)s – %(tax)s", label=label, tax=tax.name),
                            "account_id": (repartition.account_id or invoice_tax_line.account_id).id,
                            "partner_id": self.partner_id.id,
                            "balance": sign * float(shares[repartition.id]),
                            "amount_currency": sign * float(shares_currency[repartition.id]),
                            "currency_id": currency.id,
                            "tax_repartition_line_id": repartition.id,
                            "tax_tag_ids": [Command.set(repartition.tag_ids.ids)],
                            "tax_base_amount": sign * base_of.get(tax.id, 0.0),
                            "display_type": "tax",
                        }
                    )
            elif key[1]:
                taxes = Tax.browse(key[1])
                tags = taxes[field].filtered(lambda r: r.repartition_type == "base").tag_ids
                lines.append(
                    {
                        "name": self.env._("%(label)s – base", label=label),
                        "account_id": account.id,
                        "partner_id": self.partner_id.id,
                        "balance": sign * balance,
                        "amount_currency": sign * amount_currency,
                        "currency_id": currency.id,
                        "tax_ids": [Command.set(taxes.ids)],
                        "tax_tag_ids": [Command.set(tags.ids)],
                    }
                )
            else:
                continue
            total += balance
            total_currency += amount_currency
        return lines, total, total_currency

    def _credit_create_move(self, date, ref, lines):
        journal = self.company_id.credit_write_off_journal_id
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .with_context(skip_invoice_sync=True)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "company_id": self.company_id.id,
                    "date": date,
                    "ref": ref,
                    "line_ids": [Command.create(line) for line in lines],
                }
            )
        )
        move.action_post()
        return move

    def _credit_post_relief(self, date):
        """The VAT relief of a write-off that booked the whole amount to the bad-debt account: the VAT through the
        refund repartition, the base tags on a base line, against the bad-debt account."""
        self.ensure_one()
        left = self.currency_id.round(self.amount - self.recovered_amount)
        left_currency = self.item_id.currency_id.round(
            self._credit_written_off_currency() - self._credit_recovered_currency()
        )
        split = self._credit_split(self.invoice_id, left, left_currency, self.item_id.currency_id)
        label = self.env._("VAT relief %(invoice)s", invoice=self.invoice_id.name)
        lines, total, total_currency = self._credit_tax_lines(split, 1, "refund", label)
        lines.append(
            {
                "name": label,
                "account_id": self.company_id.credit_bad_debt_account_id.id,
                "partner_id": self.partner_id.id,
                "balance": -total,
                "amount_currency": -total_currency,
                "currency_id": self.item_id.currency_id.id,
            }
        )
        move = self._credit_create_move(date, label, lines)
        self.sudo().write(
            {
                "relief_move_id": move.id,
                "vat_state": "relieved",
                "vat_relieved": self._credit_vat_of(split),
                "relief_base": left,
                "relief_base_currency": left_currency,
            }
        )
        self.message_post(body=self.env._("VAT relieved: %(move)s", move=move.name))
        return move

    def _credit_written_off_currency(self):
        """The written-off amount in the item's currency (the credit of the write-off entry's receivable line)."""
        self.ensure_one()
        receivable = self.move_id.line_ids.filtered(lambda line: line.account_id == self.item_id.account_id)
        return -sum(receivable.mapped("amount_currency"))

    def _credit_register_recovery(self, amount, date, payment_line):
        """Money received on a written-off item (a late payment or a trustee's dividend): the entry debits the
        receivable, credits the bad-debt account, and makes the VAT relieved due again pro rata of the amount
        received (art. 29 Wet OB: due when received), through the taxes' invoice
        repartition. ``payment_line`` is the payment's open receivable credit: the recovery's receivable debit is
        matched with it at once, so nothing is left open for the follow-up run. Returns the move."""
        self.ensure_one()
        self.env["credit.write.off"]._credit_check_manager()
        currency = self.currency_id
        open_amount = currency.round(self.amount - self.recovered_amount)
        if currency.compare_amounts(amount, 0) <= 0 or currency.compare_amounts(amount, open_amount) > 0:
            raise UserError(
                self.env._(
                    "The recovery must be more than zero and at most the written-off amount not recovered yet "
                    "(%(amount)s).",
                    amount=open_amount,
                )
            )
        item_currency = self.item_id.currency_id
        written_currency = self._credit_written_off_currency()
        final = currency.compare_amounts(amount, open_amount) == 0
        if final:
            amount_currency = item_currency.round(written_currency - self._credit_recovered_currency())
        else:
            amount_currency = item_currency.round(written_currency * amount / self.amount)
        label = self.env._("Recovery %(invoice)s", invoice=self.invoice_id.name)
        lines, vat_again, taxed, taxed_currency = [], 0.0, 0.0, 0.0
        if self.vat_state == "relieved":
            if final:
                # the last recovery makes due what is left of the relief, to the cent (the relief covered what was
                # still open when it was posted)
                full = self._credit_split(self.invoice_id, self.relief_base, self.relief_base_currency, item_currency)
                done = self._credit_recovered_parts()
                split = {key: (full[key][0] - done[key][0], full[key][1] - done[key][1]) for key in full}
            else:
                split = self._credit_split(self.invoice_id, amount, amount_currency, item_currency)
            lines, taxed, taxed_currency = self._credit_tax_lines(split, -1, "invoice", label)
            vat_again = self._credit_vat_of(split)
        rest, rest_currency = amount - taxed, amount_currency - taxed_currency
        lines.append(
            {
                "name": label,
                "account_id": self.company_id.credit_bad_debt_account_id.id,
                "partner_id": self.partner_id.id,
                "balance": -currency.round(rest),
                "amount_currency": -item_currency.round(rest_currency),
                "currency_id": item_currency.id,
            }
        )
        lines.append(
            {
                "name": label,
                "account_id": self.item_id.account_id.id,
                "partner_id": self.partner_id.id,
                "balance": amount,
                "amount_currency": amount_currency,
                "currency_id": item_currency.id,
                "date_maturity": date,
            }
        )
        move = self._credit_create_move(date, label, lines)
        receivable = move.line_ids.filtered(lambda line: line.account_id == self.item_id.account_id)
        if payment_line.account_id != receivable.account_id:
            raise UserError(self.env._("The payment is on another receivable account than the invoice."))
        (receivable | payment_line).sudo().reconcile()
        self.sudo().write(
            {
                "recovered_amount": currency.round(self.recovered_amount + amount),
                "vat_due_again": currency.round(self.vat_due_again + vat_again),
                "recovery_move_ids": [Command.link(move.id)],
            }
        )
        self.message_post(
            body=self.env._(
                "Recovery of %(amount)s booked (%(move)s); VAT due again: %(vat)s.",
                amount=amount,
                move=move.name,
                vat=vat_again,
            )
        )
        return move

    def _credit_recovered_parts(self):
        """{key: (company, currency)} already made due again by earlier recoveries, by the split's keys."""
        self.ensure_one()
        done = defaultdict(lambda: (0.0, 0.0))
        for line in self.recovery_move_ids.line_ids:
            if line.tax_repartition_line_id:
                key = ("tax", line.tax_repartition_line_id.tax_id.id)
            elif line.tax_ids:
                key = ("base", tuple(sorted(line.tax_ids.ids)))
            else:
                continue
            company_amount, currency_amount = done[key]
            done[key] = (company_amount - line.balance, currency_amount - line.amount_currency)
        return done

    def _credit_recovered_currency(self):
        self.ensure_one()
        receivable = self.recovery_move_ids.line_ids.filtered(lambda line: line.account_id == self.item_id.account_id)
        return sum(receivable.mapped("amount_currency"))
