from markupsafe import escape

from odoo import models
from odoo.tools.mail import generate_tracking_message_id


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _credit_log_notes(self, entries, author_id=None):
        """``record._message_log(body=body, author_id=author_id, tracking_value_ids=tracking_value_ids)`` for
        each ``(record, body, tracking_value_ids)`` of ``entries`` (records of this model), in a few queries
        whatever their number: the values of ``_message_log_batch`` computed once, one ``mail.message`` create
        and one ``mail.tracking.value`` create for all of them. Each note keeps its own Message-Id (where
        ``_message_log_batch`` gives all of them the same). The daily run logs thousands of notes (state
        changes, credit holds): one at a time, they were a third of the run."""
        if not entries:
            return self.env["mail.message"]
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
        together = [all(len(cmd) == 3 and cmd[0] == 0 for cmd in (values or ())) for _record, _body, values in entries]
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
        tracking_values = [
            dict(cmd[2], mail_message_id=message.id)
            for message, (_record, _body, tracking_value_ids), plain in zip(messages, entries, together, strict=True)
            if plain and tracking_value_ids
            for cmd in tracking_value_ids
        ]
        if tracking_values:
            self.env["mail.tracking.value"].sudo().create(tracking_values)
        return messages
