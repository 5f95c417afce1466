from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_interest_rate import RATE_TYPES

# The reminder channels, with their labels: one list for the levels, the actions, the customer's preferred and
# suggested channel, and the best-channel measure. Reminders ask the customer to pay; a call does too, in person.
REMINDER_CHANNEL_SELECTION = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
]
CONTACT_CHANNEL_SELECTION = [*REMINDER_CHANNEL_SELECTION, ("phone", "Phone Call")]
REMINDER_CHANNELS = tuple(key for key, _label in REMINDER_CHANNEL_SELECTION)
CONTACT_CHANNELS = tuple(key for key, _label in CONTACT_CHANNEL_SELECTION)
ACTION_TYPES = [
    *CONTACT_CHANNEL_SELECTION,
    ("manual", "Manual Review"),
    ("credit_hold", "Credit Hold"),
    ("agency", "Collection Agency"),
]


class CreditPolicyLevel(models.Model):
    """One step of a follow-up policy, reached a number of days after (or before) the due date."""

    _name = "credit.policy.level"
    _description = "Credit Follow-up Level"
    _order = "policy_id, days, sequence, id"

    policy_id = fields.Many2one("credit.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    days = fields.Integer(
        required=True,
        help="Days after the due date when this step is due; negative for a friendly reminder before it.",
    )
    action_type = fields.Selection(
        ACTION_TYPES,
        string="Main Step",
        required=True,
        default="email",
        help="Email: a reminder with a statement of the open items. Phone call and manual review: an activity "
        "for the collector. Credit hold: the customer is put on hold.",
    )
    auto_execute = fields.Boolean(
        string="Run Automatically",
        help="Executed by the daily run itself; otherwise proposed on the collector's worklist.",
    )
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
        help="The text of the reminder letter, edited like an email template: its body is printed on the letter "
        "under the letterhead, in the customer's language. Empty: the standard reminder text.",
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
    set_credit_hold = fields.Boolean(
        string="Also Put on Hold", help="Besides the main step, put the customer on credit hold."
    )
    agency_id = fields.Many2one(
        "res.partner",
        string="Collection Agency",
        help="The agency the open items are handed over to; our own follow-up of those items stops.",
    )
    fee_type = fields.Selection(
        [
            ("none", "No Fee"),
            ("fixed", "Fixed Fee"),
            ("nl_bik", "Dutch Collection Costs (BIK)"),
            ("be_consumer", "Belgian Consumer Reminder Fee"),
        ],
        string="Fee",
        default="none",
        required=True,
        help="Fixed: the amount below. BIK: the Dutch statutory scale on the principal, once per claim and only "
        "after the 14-day letter's term has passed. Belgian consumer: the first reminder is free, later ones "
        "at most 7.50 plus postage. The fee is posted as a customer invoice.",
    )
    fee_amount = fields.Float(digits="Account", help="Fixed fee, or the postage for Belgian reminders.")
    interest_type = fields.Selection(
        [("none", "No Interest"), *RATE_TYPES],
        string="Statutory Interest",
        default="none",
        required=True,
        help="Show the statutory interest accrued on each overdue item on this reminder, at the dated rates "
        "under Configuration › Interest Rates.",
    )
    interest_rate_warning = fields.Text(
        compute="_compute_interest_rate_warning",
        help="Set when the rate table has no rate of this level's statutory interest for the current half-year.",
    )
    invoice_interest = fields.Boolean(
        help="Also charge the interest accrued since the due date (or since it was last charged) on the fee "
        "invoice; each day of interest is charged once.",
    )
    is_fourteen_day_letter = fields.Boolean(
        string="Dutch 14-day Letter",
        help="This step is the 'veertiendagenbrief' (art. 6:96 lid 6 BW) that must precede collection costs.",
    )
    call_script = fields.Html(
        translate=True, help="What the collector says or checks on the call; shown on the activity."
    )
    # Several steps on one level: the fields above are the main step; these lines are taken besides it
    # (see credit.policy.level.step). No lines: the level takes its main step only, as it always did.
    step_ids = fields.One2many(
        "credit.policy.level.step",
        "level_id",
        string="Additional Steps",
        copy=True,
        help="Steps taken together with the main step, in the same action, each on its own channel with its "
        "own template: e.g. a letter besides the final notice's email, or a call besides a text message. "
        "Every step's outcome is shown on the action; if one fails, none is taken and the action fails.",
    )
    preferred_channel_only = fields.Boolean(
        help="Take only one of this level's steps (the main step or an additional one): the one on the "
        "customer's preferred channel, else the main step.",
    )

    _sql_constraints = [
        ("policy_days_unique", "UNIQUE(policy_id, days)", "Two levels of one policy cannot fall on the same day."),
    ]

    @api.constrains("action_type", "mail_template_id", "sms_template_id", "agency_id")
    def _check_mail_template(self):
        for level in self:
            if level.action_type in ("sms", "whatsapp") and not level.sms_template_id:
                raise ValidationError(
                    self.env._("Level %(level)s sends a text message: choose its SMS template.", level=level.name)
                )
            if level.action_type == "agency" and not level.agency_id:
                raise ValidationError(
                    self.env._("Level %(level)s hands over to an agency: choose the agency.", level=level.name)
                )
            if level.action_type == "email" and not level.mail_template_id:
                raise ValidationError(
                    self.env._("Level %(level)s sends an email: choose its email template.", level=level.name)
                )

    @api.constrains("action_type")
    def _check_step_channels(self):
        for level in self:
            if level.action_type in level.step_ids.mapped("channel"):
                labels = dict(self._fields["action_type"]._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "Level %(level)s already has an additional step by %(channel)s: a level has at most one "
                        "step per channel.",
                        level=level.name,
                        channel=labels[level.action_type],
                    )
                )

    def _credit_channel_for(self, preferred):
        """The channel of this level's action for a customer whose preferred channel is ``preferred``: the main
        step's, unless the level takes the preferred channel only and has a step on it."""
        self.ensure_one()
        if self.preferred_channel_only and preferred and preferred in self.step_ids.mapped("channel"):
            return preferred
        return self.action_type

    @api.depends("interest_type")
    def _compute_interest_rate_warning(self):
        warnings = self.env["credit.interest.rate"]._missing_rate_warnings(set(self.mapped("interest_type")))
        for level in self:
            level.interest_rate_warning = warnings.get(level.interest_type, False)

    @api.depends("policy_id.name", "name", "days")
    def _compute_display_name(self):
        for level in self:
            level.display_name = f"{level.policy_id.name} / {level.name}" if level.policy_id else level.name
