from collections import defaultdict

from odoo import models
from odoo.exceptions import MissingError


class CreditAction(models.Model):
    _inherit = "credit.action"

    def _message_track(self, fields_iter, initial_values_dict):
        """mail.thread's ``_message_track`` with the notes logged together: the daily run changes the state of
        thousands of actions in one transaction, and ``_message_log`` one action at a time (one ``mail.message``
        create, its tracking values, the author and reply-to computed again) was a third of the run.

        Each action still gets its own note with its own tracking values, as ``_message_log`` writes it
        (compared field by field in tests/test_followup_tracking.py); a change with a subtype is posted with
        ``message_post`` as in mail.thread."""
        if len(self) < 2 or not fields_iter:
            return super()._message_track(fields_iter, initial_values_dict)
        tracked_fields = self.fields_get(fields_iter, attributes=("string", "type", "selection", "currency_field"))
        tracking = {}
        for record in self:
            try:
                tracking[record.id] = record._mail_track(tracked_fields, initial_values_dict[record.id])
            except MissingError:
                continue
        # as mail.thread: the body and author set for the tracking message (_track_set_log_message/_author)
        bodies = self.env.cr.precommit.data.pop(f"mail.tracking.message.{self._name}", {})
        authors = self.env.cr.precommit.data.pop(f"mail.tracking.author.{self._name}", {})
        logs = defaultdict(list)  # {author id: [(record, body, tracking values)]}
        for record in self:
            changes, tracking_value_ids = tracking.get(record.id, (None, None))
            if not changes:
                continue
            subtype = record._track_subtype({name: initial_values_dict[record.id][name] for name in changes})
            author_id = authors[record.id].id if record.id in authors else None
            body = bodies[record.id] if record.id in bodies else record._track_get_default_log_message(changes)
            if subtype:
                if subtype.exists():
                    record.message_post(
                        body=body, author_id=author_id, subtype_id=subtype.id, tracking_value_ids=tracking_value_ids
                    )
            elif tracking_value_ids:
                logs[author_id].append((record, body, tracking_value_ids))
        for author_id, entries in logs.items():
            self._credit_log_notes(entries, author_id=author_id)
        return tracking
