from odoo import api, fields, models
from odoo.exceptions import UserError

from .credit_policy_level import ACTION_TYPES


class CreditActionStepOutcome(models.Model):
    """What one step of a follow-up action produced: the main step or an additional step of its level (see
    ``credit.policy.level.step``). Recorded for the actions of levels with additional steps, when the action is
    taken (``credit.action._execute_one``) or fails (``_record_failure``): the steps of an action are taken in
    its savepoint, so a failing step undoes them all and only its failure is kept; a retry takes them all again.
    Written by the engine only; history, never deleted."""

    _name = "credit.action.step.outcome"
    _description = "Credit Follow-up Step Outcome"
    _order = "action_id, id"

    action_id = fields.Many2one("credit.action", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="action_id.company_id", store=True)
    step_id = fields.Many2one(
        "credit.policy.level.step",
        readonly=True,
        ondelete="set null",
        help="The additional step of the level; empty for the level's main step.",
    )
    is_main = fields.Boolean(string="Main Step", readonly=True)
    channel = fields.Selection(ACTION_TYPES, required=True, readonly=True)
    state = fields.Selection([("done", "Done"), ("failed", "Failed")], required=True, readonly=True)
    result = fields.Text(readonly=True)
    own_message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
    message_id = fields.Many2one(
        "mail.message",
        compute="_compute_message_id",
        help="The letter, text message or email the step posted in the customer's chatter.",
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    @api.depends("own_message_id", "channel", "state", "action_id.mail_message_id")
    def _compute_message_id(self):
        for outcome in self:
            # an email is posted with the batch's emails, after its step: it is the action's message
            email = outcome.channel == "email" and outcome.state == "done"
            outcome.message_id = outcome.own_message_id or (email and outcome.action_id.mail_message_id)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The outcomes of follow-up steps are history: they cannot be deleted."))
