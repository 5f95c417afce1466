from odoo import models

# Mail failures that no retry can fix: the address is missing or invalid, or the receiving server refused it.
# Any other failure (the SMTP server unreachable, a time-out) is transient: the reminder stays done and Odoo's
# mail queue sends it again.
PERMANENT_MAIL_FAILURES = ("mail_email_invalid", "mail_email_missing", "mail_bounce")
TRANSIENT_MAIL_FAILURES = ("mail_smtp",)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """A reminder that cannot be delivered (bounce, invalid or missing address) marks its follow-up action
        failed, on the worklist; one that meets a transient failure (SMTP server down) goes back to the queue."""
        if failure_type in PERMANENT_MAIL_FAILURES:
            actions = (
                self.env["credit.action"]
                .sudo()
                .search([("mail_message_id", "in", self.mail_message_id.ids), ("state", "=", "done")])
            )
            if actions:
                actions.write(
                    {
                        "state": "failed",
                        "result": self.env._(
                            "The email could not be delivered: %(reason)s", reason=failure_reason or failure_type
                        ),
                    }
                )
        result = super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
        if failure_type in TRANSIENT_MAIL_FAILURES:
            reminders = self.env["credit.action"].sudo().search([("mail_message_id", "in", self.mail_message_id.ids)])
            retry = self.exists().filtered(lambda mail: mail.mail_message_id in reminders.mail_message_id)
            if retry:
                # the queue (``mail.mail.process_email_queue``) sends outgoing mails again on its next pass
                retry.sudo().write({"state": "outgoing"})
        return result
