from odoo import fields, models

from .res_partner import CREDIT_STAFF_GROUPS


class ResPartner(models.Model):
    """Customer replies on the customer: the *Replied* badge and filter, and the capture of the replies the mail
    gateway posts on the customer's chatter (where the reminders are)."""

    _inherit = "res.partner"

    credit_replied = fields.Boolean(
        string="Replied",
        company_dependent=True,
        readonly=True,
        copy=False,
        groups=CREDIT_STAFF_GROUPS,
        help="The customer answered a reminder and the reply is still to handle on the Replies list: the next "
        "follow-up step waits (see the company's reply pause).",
    )
    credit_reply_ids = fields.One2many("credit.reply", "partner_id", string="Replies", groups=CREDIT_STAFF_GROUPS)

    def _message_post_after_hook(self, message, msg_values):
        """An incoming email on a customer may be a reply to a reminder (see ``credit.reply._credit_capture``);
        anything else (the run's own reminders, notes) returns at once, without a query."""
        result = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("message_type") == "email":
            for partner in self:
                self.env["credit.reply"]._credit_capture_safely(partner, message)
        return result

    def action_credit_view_replies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_reply_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
