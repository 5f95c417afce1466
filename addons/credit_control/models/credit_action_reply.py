from odoo import models


class CreditAction(models.Model):
    """A customer's email the mail gateway posts on a follow-up action (an answer to a mail sent from the action's
    chatter) is a reply to that action, as on the customer (see ``credit.reply._credit_capture``)."""

    _inherit = "credit.action"

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("message_type") == "email":
            for action in self:
                self.env["credit.reply"]._credit_capture_safely(action.partner_id, message, action=action.sudo())
        return result
