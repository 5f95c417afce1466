import logging
from datetime import timedelta

from odoo import Command, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools import be_consumer, nl_bik

_logger = logging.getLogger(__name__)


class CreditAction(models.Model):
    _inherit = "credit.action"

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
                    "No collection costs yet: the 14-day letter's term allows them from %(date)s.",
                    date=format_date(self.env, allowed),
                )
            return float(nl_bik.bik_collection_costs(self.amount)), ""
        if level.fee_type == "be_consumer":
            reminders = earlier.filtered(lambda a: a.channel in ("email", "letter"))
            number = len(reminders) + (1 if self.channel in ("email", "letter") else 0)
            # art. XIX.2 CEL: the postage of the level counts only for a reminder sent by post
            fee = float(be_consumer.be_reminder_fee(number, postage=level.fee_amount, by_post=self.channel == "letter"))
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
