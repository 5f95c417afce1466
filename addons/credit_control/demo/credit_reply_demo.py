from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models


class CreditReply(models.Model):
    _inherit = "credit.reply"

    @api.model
    def _credit_demo_replies(self, replies):
        """Create, for demo only, customers' answers to their reminders as the mail gateway posts them: an email
        on the customer's chatter, which the capture (``_credit_capture``) turns into a reply with its suggestion.

        ``replies``: [(partner id, email from, subject, text, days ago)]."""
        now = fields.Datetime.now()
        for partner_id, email_from, subject, text, days in replies:
            body = Markup("").join(Markup("<p>%s</p>") % escape(line) for line in text.split("\n"))
            self.env["res.partner"].browse(partner_id).message_post(
                body=body,
                subject=subject,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                email_from=email_from,
                date=now - timedelta(days=days),
            )
        return True
