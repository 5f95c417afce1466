from collections import defaultdict

from markupsafe import escape

from odoo import models
from odoo.exceptions import MissingError
from odoo.tools.mail import generate_tracking_message_id


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
            self._credit_log_tracking(author_id, entries)
        return tracking

    def _credit_log_tracking(self, author_id, entries):
        """``_message_log(body=…, author_id=…, tracking_value_ids=…)`` for each (record, body, tracking values)
        of ``entries``: the values of ``_message_log_batch`` computed once, one ``mail.message`` create and one
        ``mail.tracking.value`` create for all of them (``_mail_track`` gives only ``Command.create``)."""
        author_id, email_from = self._message_compute_author(author_id, None, raise_on_email=False)
        base_values = {
            "author_id": author_id,
            "email_from": email_from,
            "model": self._name,
            "record_alias_domain_id": False,
            "record_company_id": False,
            "record_name": False,
            "attachment_ids": False,
            "message_type": "notification",
            "is_internal": True,
            "subject": False,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "email_add_signature": False,
            "partner_ids": False,
            "reply_to": self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
        }
        # mail.message creates the tracking values of each message on its own: here in one create for all of
        # them, unless another module's ``_mail_track`` gave other commands than creations
        together = [all(len(cmd) == 3 and cmd[0] == 0 for cmd in values) for _record, _body, values in entries]
        values_list = [
            dict(
                base_values,
                res_id=record.id,
                body=escape(body or ""),
                message_id=generate_tracking_message_id("message-notify"),
                tracking_value_ids=False if plain else tracking_value_ids,
            )
            for (record, body, tracking_value_ids), plain in zip(entries, together, strict=True)
        ]
        messages = self.sudo()._message_create(values_list)
        self.env["mail.tracking.value"].sudo().create(
            [
                dict(cmd[2], mail_message_id=message.id)
                for message, (_record, _body, tracking_value_ids), plain in zip(
                    messages, entries, together, strict=True
                )
                if plain
                for cmd in tracking_value_ids
            ]
        )
        return messages
