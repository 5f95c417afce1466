from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_policy_level import CONTACT_CHANNEL_SELECTION


class CreditPolicyLevelStep(models.Model):
    """An additional step of a follow-up level, taken together with the level's main step.

    The level's own fields (``action_type`` and its templates, the fees, the hold) stay its main step, exactly as
    before; these lines are the steps taken besides it on the same day, in the same action: a letter besides the
    final notice's email, a call besides a text message. A level without lines behaves as it always did (no data
    migration: the shipped policies have none). Each step contacts the customer on one channel, with its own
    template; a level has at most one step per channel, its main step included, so an action sends at most one
    email, one letter and one text message.

    With the level's *Preferred Channel Only* the action takes just one of the level's steps (main or additional):
    the one on the customer's preferred channel (``res.partner.credit_channel``), else the main step.
    """

    _name = "credit.policy.level.step"
    _description = "Credit Follow-up Level Step"
    _order = "level_id, sequence, id"

    level_id = fields.Many2one("credit.policy.level", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="level_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    channel = fields.Selection(CONTACT_CHANNEL_SELECTION, required=True, default="letter")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'credit.action')]",
        ondelete="restrict",
        default=lambda self: self.env.ref("credit_control.mail_template_credit_reminder", raise_if_not_found=False),
    )
    letter_template_id = fields.Many2one(
        "mail.template",
        domain="[('model', '=', 'credit.action')]",
        ondelete="restrict",
        help="The text of the letter, edited like an email template. Empty: the standard reminder text.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'credit.action')]",
        ondelete="restrict",
        default=lambda self: self.env.ref("credit_control.sms_template_credit_reminder", raise_if_not_found=False),
        help="The text message (SMS), or the prefilled WhatsApp message, with a direct payment link.",
    )
    attach_invoices = fields.Boolean(help="Attach a PDF copy of each invoice followed up to the email.")

    @api.constrains("channel", "mail_template_id", "sms_template_id", "level_id")
    def _check_step(self):
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for step in self:
            level = step.level_id
            if len(level.step_ids.filtered(lambda other, step=step: other.channel == step.channel)) > 1:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s has two %(channel)s steps: a level has at most one step per channel.",
                        level=level.name,
                        channel=labels[step.channel],
                    )
                )
            if step.channel == level.action_type:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s already takes its main step by %(channel)s: a level has at most one step "
                        "per channel.",
                        level=level.name,
                        channel=labels[step.channel],
                    )
                )
            if step.channel == "email" and not step.mail_template_id:
                raise ValidationError(
                    self.env._("The email step of level %(level)s needs an email template.", level=level.name)
                )
            if step.channel in ("sms", "whatsapp") and not step.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "The %(channel)s step of level %(level)s needs an SMS template.",
                        channel=labels[step.channel],
                        level=level.name,
                    )
                )

    @api.depends("level_id.name", "channel")
    def _compute_display_name(self):
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for step in self:
            step.display_name = f"{step.level_id.name} / {labels.get(step.channel, '')}"
