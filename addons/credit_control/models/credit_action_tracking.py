from odoo import models

DEFERRED_NOTES = "credit_control.deferred_tracking_notes"


class CreditAction(models.Model):
    _inherit = "credit.action"

    def _message_track(self, fields_iter, initial_values_dict):
        """mail.thread's ``_message_track``, with the notes it logs for many actions created together: the daily
        run changes the state of thousands of actions in one transaction, and ``_message_log`` one action at a
        time (one ``mail.message`` create, its tracking values, the author and reply-to computed again) was a
        third of the run. mail.thread decides what each action logs; ``_message_log`` only collects it here,
        and ``_credit_log_notes`` creates the notes (compared field by field in tests/test_followup_tracking.py).
        """
        data = self.env.cr.precommit.data
        if len(self) < 2 or DEFERRED_NOTES in data:  # one action, or a tracking inside a tracking: as mail.thread
            return super()._message_track(fields_iter, initial_values_dict)
        # on the cursor, not in the context: Odoo reuses a living environment with an equal context
        notes = data[DEFERRED_NOTES] = []
        try:
            tracking = super()._message_track(fields_iter, initial_values_dict)
        finally:
            data.pop(DEFERRED_NOTES, None)
        by_author = {}
        for record, author_id, body, tracking_value_ids in notes:
            by_author.setdefault(author_id, []).append((record, body, tracking_value_ids))
        for author_id, entries in by_author.items():
            self._credit_log_notes(entries, author_id=author_id)
        return tracking

    def _message_log(
        self,
        *,
        body="",
        subject=False,
        author_id=None,
        email_from=None,
        message_type="notification",
        partner_ids=False,
        attachment_ids=False,
        tracking_value_ids=False,
    ):
        """mail.thread's, except within ``_message_track`` above: a tracking note is collected there."""
        notes = self.env.cr.precommit.data.get(DEFERRED_NOTES)
        plain = not (subject or email_from or partner_ids or attachment_ids) and message_type == "notification"
        if notes is None or not tracking_value_ids or not plain:
            return super()._message_log(
                body=body,
                subject=subject,
                author_id=author_id,
                email_from=email_from,
                message_type=message_type,
                partner_ids=partner_ids,
                attachment_ids=attachment_ids,
                tracking_value_ids=tracking_value_ids,
            )
        self.ensure_one()
        notes.append((self, author_id, body, tracking_value_ids))
        return self.env["mail.message"]
