from odoo import fields, models


class CreditDisputeReject(models.TransientModel):
    _name = "credit.dispute.reject"
    _description = "Reject a Dispute"

    dispute_id = fields.Many2one("credit.dispute", required=True, ondelete="cascade")
    explanation = fields.Text(
        required=True, help="Sent to the customer: why the invoice stands. Follow-up of the invoices resumes."
    )

    def action_reject(self):
        self.ensure_one()
        self.dispute_id._reject(self.explanation)
        return {"type": "ir.actions.act_window_close"}
