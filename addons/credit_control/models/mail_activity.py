from odoo import fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    credit_action_id = fields.Many2one(
        "credit.action",
        string="Follow-up Action",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        groups="credit_control.group_credit_control_user",
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        # a follow-up call is done only with its outcome, logged on the action (see credit.action.call)
        if not self.env.context.get("credit_call_logged"):
            unlogged = self.sudo().credit_action_id.filtered(lambda a: a.call_outcome in (False, "callback"))
            if unlogged:
                raise UserError(
                    self.env._(
                        "Log the outcome of the call to %(customer)s first: open its follow-up action and use "
                        "Log Call.",
                        customer=unlogged[0].partner_id.name,
                    )
                )
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
