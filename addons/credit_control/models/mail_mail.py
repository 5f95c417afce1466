from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """A reminder that bounces at sending marks its follow-up action failed, on the worklist."""
        if failure_type:
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
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason, failure_type=failure_type)
