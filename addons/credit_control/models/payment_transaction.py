from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """A quotation paid online in part, whose unpaid rest is blocked, stays a quotation and the
        salesperson is told why (as for a signature, ``sale.order._validate_order``): the payment is
        kept, the customer gets no error, and only the part paid online was exempt from the block."""
        blocked = self.browse()
        for tx in self.filtered(lambda tx: len(tx.sale_order_ids) == 1):
            quotation = tx.sale_order_ids.filtered(lambda so: so.state in ("draft", "sent"))
            if quotation and quotation._is_confirmation_amount_reached():
                reasons = quotation._credit_confirmation_reasons()
                if reasons:
                    quotation._credit_notify_blocked(quotation._credit_block_message(reasons))
                    blocked |= tx
        return super(PaymentTransaction, self - blocked)._check_amount_and_confirm_order()
