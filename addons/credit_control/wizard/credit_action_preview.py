from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class CreditActionPreview(models.TransientModel):
    """The reminder exactly as it will go out, rendered by the run's own code (``_render_emails``,
    ``_invoice_attachments``) in the customer's language; the collector may edit the subject and body and drop
    an attachment, and sends it: what is sent, and kept in the chatter, is the edited text."""

    _name = "credit.action.preview"
    _description = "Preview a Follow-up Reminder"

    action_id = fields.Many2one("credit.action", required=True, readonly=True)
    channel = fields.Selection(related="action_id.channel")
    partner_id = fields.Many2one(related="action_id.partner_id")
    email_to = fields.Char(string="To", compute="_compute_email_to")
    subject = fields.Char()
    body_html = fields.Html(string="Body", sanitize="email_outgoing")
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    letter_html = fields.Html(string="Letter", readonly=True, sanitize=False)
    additional_steps = fields.Text(
        compute="_compute_additional_steps",
        help="The level's steps taken together with this reminder when it is sent (see the level's Additional "
        "Steps), each with its own template.",
    )

    @api.depends("action_id")
    def _compute_additional_steps(self):
        labels = dict(self.env["credit.policy.level.step"]._fields["channel"]._description_selection(self.env))
        for preview in self:
            action = preview.action_id
            steps = action._credit_additional_steps() if action.level_id else action.level_id.step_ids
            lines = [
                self.env._("%(channel)s: %(what)s", channel=labels[step.channel], what=self._step_text(step))
                for step in steps
            ]
            preview.additional_steps = "\n".join(lines) or False

    @api.model
    def _step_text(self, step):
        """What an additional step sends: its template, or the call for the collector."""
        if step.channel == "phone":
            return self.env._("a call activity for the collector")
        template = {
            "email": step.mail_template_id,
            "letter": step.letter_template_id,
            "sms": step.sms_template_id,
            "whatsapp": step.sms_template_id,
        }[step.channel]
        return template.display_name or self.env._("the standard reminder letter")

    @api.depends("action_id")
    def _compute_email_to(self):
        for preview in self:
            recipient = preview.action_id.recipient_id or preview.action_id.partner_id
            preview.email_to = recipient.email_formatted or recipient.name

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        action = self.env["credit.action"].browse(values.get("action_id") or [])
        if action:
            values.update(self._render(action))
        return values

    @api.model
    def _render(self, action):
        action._check_collector()
        if action.channel == "email":
            if not action.level_id.mail_template_id:
                raise UserError(
                    self.env._(
                        "Level %(level)s has no email template: choose one on the level.", level=action.level_id.name
                    )
                )
            rendered = action._render_emails()[action.id]
            attachments = (
                action._invoice_attachments() if action.level_id.attach_invoices else action.env["ir.attachment"]
            )
            return {
                "subject": rendered["subject"],
                "body_html": rendered["body_html"],
                "attachment_ids": [Command.set(attachments.ids)],
            }
        if action.channel == "letter":
            html, _kind = (
                self.env["ir.actions.report"]
                .sudo()
                ._render_qweb_html("credit_control.action_report_credit_letter", action.ids)
            )
            return {"letter_html": html}
        raise UserError(self.env._("Only email and letter reminders have a preview."))

    def action_send(self):
        """Send the reminder as shown: an email with the edited text and the attachments kept."""
        self.ensure_one()
        action = self.action_id
        action._check_collector()
        edited = {}
        if action.channel == "email":
            # the invoice PDFs the preview offered (on the invoices or the customer) and what the collector
            # uploaded; never a document the collector cannot read
            kept = self.attachment_ids.sudo()
            offered = kept.filtered(
                lambda a: (
                    (a.res_model == "res.partner" and a.res_id == action.partner_id.id)
                    or (a.res_model == "account.move" and a.res_id in action.invoice_ids.ids)
                )
            )
            (kept - offered).with_env(self.env).check("read")
            edited[action.id] = {
                "subject": self.subject,
                "body_html": self.body_html,
                "attachment_ids": self.attachment_ids.ids,
            }
        action._execute(edited=edited)
        if action.state == "failed":
            raise UserError(action.sudo().result)
        if action.state == "proposed" and action.possibly_paid:
            # money arrived unmatched (see credit_action_possibly_paid.py): the collector reconciles or sends anyway
            return action._notify_done(
                self.env._("Possibly paid: check the evidence, reconcile or send anyway."), warning=True
            )
        if action.state != "done":
            # withdrawn: its items were paused or paid since the proposal (the reason is the action's result)
            return action._notify_done(action.sudo().result or "", warning=True)
        return action._notify_done(self.env._("Reminder sent to %(to)s.", to=self.email_to))
