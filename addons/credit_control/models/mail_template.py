from odoo import api, models
from odoo.exceptions import UserError


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_level(self):
        """A template that a follow-up level sends cannot be deleted: the level's reminders would fail."""
        levels = (
            self.env["credit.policy.level"]
            .sudo()
            .with_context(active_test=False)
            .search([("mail_template_id", "in", self.ids)])
        )
        if levels:
            raise UserError(
                self.env._(
                    "The email template %(template)s is used by the follow-up level(s) %(levels)s: choose another "
                    "template on those levels before deleting it.",
                    template=levels[0].mail_template_id.name,
                    levels=", ".join(levels.mapped("display_name")),
                )
            )
