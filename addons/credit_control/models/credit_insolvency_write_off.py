from odoo import models
from odoo.exceptions import UserError


class CreditInsolvency(models.Model):
    """The write-offs of a case: a dividend on written-off invoices is a recovery."""

    _inherit = "credit.insolvency"

    def action_register_dividend(self):
        """When the case's invoices were written off there is no invoice left to pay: the trustee's dividend is
        registered as a customer payment and booked on the write-off with *Register Recovery*, which makes the
        relieved VAT due again."""
        self.ensure_one()
        self._credit_check_collector()
        invoices = self._credit_claim_lines().move_id.filtered(lambda move: move.move_type == "out_invoice")
        written_off = self.env["credit.write.off.entry"].sudo().search_count([("insolvency_id", "=", self.id)])
        if not invoices and written_off:
            raise UserError(
                self.env._(
                    "The invoices of this case are written off. Register the dividend as a payment of the "
                    "customer, then use Register Recovery on the write-off: the VAT relieved is due again."
                )
            )
        return super().action_register_dividend()
