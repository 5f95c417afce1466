from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..models.credit_action import CALL_OUTCOMES


class CreditActionCall(models.TransientModel):
    """Log a follow-up call: the outcome goes on the action and in the customer's history.

    A proposed call is taken when it is logged (the step, its fees and holds, as an approval would); an approved
    one closes its activity. *Call back* moves the call to the day agreed instead; *promise* and *dispute* open
    the promise and dispute forms, prefilled from the action."""

    _name = "credit.action.call"
    _description = "Log a Follow-up Call"

    action_id = fields.Many2one("credit.action", required=True, readonly=True)
    partner_id = fields.Many2one(related="action_id.partner_id")
    recipient_id = fields.Many2one(related="action_id.recipient_id")
    phone = fields.Char(related="action_id.recipient_phone")
    outcome = fields.Selection(CALL_OUTCOMES, required=True)
    note = fields.Text(help="What was said; kept on the action and in the customer's history.")
    date_callback = fields.Date(
        string="Call Back On", default=lambda self: fields.Date.context_today(self) + timedelta(days=1)
    )

    @api.model
    def _log(self, action, outcome, note=None, date_callback=None):
        """Record the call's outcome on ``action`` (one phone action). Separate from the form so that the rule is
        one place: a call is done only with an outcome."""
        if action.channel != "phone" and not action.call_activity_id:
            raise UserError(self.env._("Only phone actions have a call to log."))
        if not outcome:
            raise UserError(self.env._("Choose the outcome of the call."))
        if action.state == "done" and action.call_outcome not in (False, "callback"):
            raise UserError(self.env._("This call is logged already."))
        if outcome == "callback":
            if not date_callback:
                raise UserError(self.env._("Give the day to call back."))
            return self._reschedule(action, note, date_callback)
        if action.state in ("proposed", "failed"):
            action._check_collector()
            action._execute()
            if action.state != "done":
                raise UserError(action.result or self.env._("The call could not be logged."))
        action.sudo().write({"call_outcome": outcome, "call_note": note or False})
        activity = action.call_activity_id
        # the history is in the company's language, whoever logs the call
        noted = action._credit_in_note_lang()
        label = dict(noted._fields["call_outcome"]._description_selection(noted.env))[outcome]
        if activity:
            activity.sudo().with_context(credit_call_logged=True).action_feedback(
                feedback=f"{label}: {note}" if note else label
            )
        noted.message_post(
            body=noted.env._(
                "Call logged by %(user)s: %(outcome)s. %(note)s",
                user=self.env.user.name,
                outcome=label,
                note=note or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        action._csat_after_call()
        return action

    @api.model
    def _reschedule(self, action, note, date_callback):
        """Call back: the call moves to the day agreed, still to be logged."""
        if action.state in ("proposed", "failed"):
            action._check_collector()
            action.sudo().write({"date": date_callback, "call_outcome": "callback", "call_note": note or False})
        else:
            action.sudo().write({"call_outcome": "callback", "call_note": note or False})
            action.call_activity_id.sudo().date_deadline = date_callback
        noted = action._credit_in_note_lang()
        noted.message_post(
            body=noted.env._(
                "Call back on %(date)s (%(user)s). %(note)s",
                date=format_date(noted.env, date_callback),
                user=self.env.user.name,
                note=note or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        return action

    def action_log(self):
        self.ensure_one()
        action = self._log(self.action_id, self.outcome, self.note, self.date_callback)
        if self.outcome == "promise":
            return self._open_flow("credit_control.credit_promise_action_from_worklist", action)
        if self.outcome == "dispute":
            return self._open_flow("credit_control.credit_dispute_action_from_worklist", action)
        return action._notify_done(self.env._("Call logged."))

    def _open_flow(self, xml_id, action):
        flow = self.env["ir.actions.act_window"]._for_xml_id(xml_id)
        flow["context"] = {"default_credit_action_id": action.id}
        return flow
