from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # an insurer notification marked done from the chatter is a report made: record it on the cover
        # (the Report Overdue button does the same and then closes the activity itself)
        if not self.env.context.get("credit_insurance_reporting"):
            activity_type = self.env.ref(
                "credit_control.mail_activity_type_credit_insurer_notification", raise_if_not_found=False
            )
            notifications = self.filtered(
                lambda a: activity_type and a.activity_type_id == activity_type and a.res_model == "credit.insurance"
            )
            if notifications:
                Insurance = self.env["credit.insurance"]
                insurances = Insurance.sudo().browse(notifications.mapped("res_id")).exists()
                today = fields.Date.context_today(self)
                rows = Insurance._notification_rows(today, insurances=insurances)
                if rows:
                    insurances._record_reported(rows, today)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
