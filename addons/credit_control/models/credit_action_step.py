import logging
from urllib.parse import quote as url_quote

from markupsafe import Markup, escape

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

# steps that remind the customer; a segment may replace them by a payment plan proposal
from .credit_policy_level import REMINDER_CHANNELS
from .ir_qweb import COMPILED_QWEB_CACHE

_logger = logging.getLogger(__name__)


class CreditAction(models.Model):
    _inherit = "credit.action"

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute(self, edited=None):
        """Take the step of each proposed (or retried failed) action. Rendering, sending, fees and holds happen
        per action in its own savepoint: any failure marks that action failed, with its reason on the worklist,
        and never stops the others.

        ``edited`` is {action id: {"subject", "body_html", "attachment_ids"}}: the email as the collector edited
        it in the preview (see wizard/credit_action_preview.py); it is sent instead of the template's text."""
        edited = edited or {}
        todo = self.filtered(lambda a: a.state in ("proposed", "failed"))
        # the story may have changed since the proposal: a paused or paid item's step is not taken
        todo -= todo._credit_withdraw_paused()
        todo -= todo._credit_withdraw_settled_checks()
        emails = todo.filtered(lambda a: a.channel == "email" and a.id not in edited)
        todo._credit_ensure_payment_tokens()
        try:
            with self.env.cr.savepoint():
                rendered = emails._render_emails()
        except Exception:
            _logger.info("credit_control: batch rendering failed, rendering the reminders one by one")
            rendered = {}
        rendered.update(edited)
        for action in todo:
            # results, notes and activities in the company's language; the customer's texts render in theirs
            action = action._credit_in_note_lang()
            try:
                with self.env.cr.savepoint():
                    result = action._execute_one(rendered.get(action.id))
            except Exception as error:
                if not isinstance(error, UserError):
                    _logger.warning("credit_control: action %s failed", action.id, exc_info=True)
                action.sudo().write({"state": "failed", "result": action._failure_reason(error)})
                continue
            action.sudo().write(
                {
                    "state": "done",
                    "result": result,
                    "executed_by_id": self.env.user.id,
                    "executed_on": fields.Datetime.now(),
                }
            )

    def _failure_reason(self, error):
        """The error in plain words: a user error as it is, anything else with the step that failed."""
        if isinstance(error, UserError):
            return str(error)
        return self.env._(
            "The step %(level)s could not be taken (%(kind)s): %(error)s",
            level=self.level_id.name or "",
            kind=type(error).__name__,
            error=str(error) or repr(error),
        )

    def _render_emails(self):
        """Render the subject and body of these email actions: one rendering per template for all of them,
        its body compiled once (see ``ir.qweb._compile``). Returns {action id: {"subject", "body_html"}}."""
        rendered = {}
        self.env.cr.cache[COMPILED_QWEB_CACHE] = {}
        try:
            for template, actions in self.grouped(lambda a: a.level_id.mail_template_id).items():
                if template:
                    rendered.update(template._generate_template(actions.ids, ("subject", "body_html")))
        finally:
            self.env.cr.cache.pop(COMPILED_QWEB_CACHE, None)
        return rendered

    def _execute_one(self, rendered=None):
        self.ensure_one()
        if self.arrangement_check:
            # a promise's or plan's check takes no follow-up step (see credit_action_arrangement.py)
            return self._execute_arrangement_check()
        level = self.level_id
        partner = self.partner_id.with_company(self.company_id)
        today = self.env.context.get("credit_followup_date") or fields.Date.context_today(self)
        # the next level's gap counts from the day this step is taken (not before the day it was due)
        self.line_ids._credit_write_followup({"credit_level_id": level.id, "credit_level_date": max(self.date, today)})
        results = []
        if self.channel in REMINDER_CHANNELS and self._credit_plan_instead_of_reminders():
            results.append(self._execute_plan_proposal())
        elif self.channel == "email":
            results.append(self._execute_email(rendered))
        elif self.channel == "letter":
            results.append(self._execute_letter())
        elif self.channel in ("phone", "manual"):
            results.append(self._execute_activity())
        elif self.channel == "agency":
            results.append(self._execute_agency())
        elif self.channel == "sms":
            results.append(self._execute_sms())
        elif self.channel == "whatsapp":
            results.append(self._execute_whatsapp())
        if (level.fee_type != "none" or level.invoice_interest) and not self.fee_move_id:
            results.append(self._execute_charges())
        if level.interest_type != "none":
            # the interest shown or charged runs at the last rate known: say so when the table is behind
            Rate = self.env["credit.interest.rate"]
            results.append(Rate._missing_rate_warnings({level.interest_type}, self.date).get(level.interest_type, ""))
        if self.channel == "credit_hold" or level.set_credit_hold:
            if not partner.credit_hold:
                partner.sudo().write(
                    {
                        "credit_hold": True,
                        "credit_hold_reason": self.env._("Follow-up: %(level)s", level=level.name),
                    }
                )
            results.append(self.env._("Customer put on credit hold."))
        return "\n".join(result for result in results if result)

    def _execute_email(self, rendered=None):
        template = self.level_id.mail_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s has no email template: choose one on the level.", level=self.level_id.name)
            )
        recipient = self.recipient_id or self.partner_id
        if not recipient.email:
            raise UserError(
                self.env._("%(partner)s has no email address: the reminder cannot be sent.", partner=recipient.name)
            )
        values = rendered or template._generate_template(self.ids, ("subject", "body_html"))[self.id]
        attachments = self.env["ir.attachment"]
        if "attachment_ids" in values:
            # edited in the preview: exactly the attachments the collector kept
            attachments = self.env["ir.attachment"].sudo().browse(values["attachment_ids"])
        elif self.level_id.attach_invoices:
            attachments = self._invoice_attachments()
        # queued, not sent inside the run: the mail queue delivers, and a bounce fails the action
        message = (
            self.partner_id.with_company(self.company_id)
            .sudo()
            .with_context(mail_notify_force_send=False)
            .message_post(
                body=values["body_html"],
                subject=values["subject"],
                partner_ids=recipient.ids,
                attachment_ids=attachments.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
                mail_auto_delete=False,
            )
        )
        self.sudo().mail_message_id = message
        return self.env._(
            "Reminder emailed to %(email)s with %(count)s attachment(s).",
            email=recipient.email,
            count=len(attachments),
        )

    def _credit_plan_instead_of_reminders(self):
        """The segment proposes plans instead of reminders, unless a plan on these invoices already broke
        (then the reminders resume)."""
        segment = self.partner_id.with_company(self.company_id).sudo().credit_segment_id
        if not segment.credit_plan_instead_of_reminders:
            return False
        broken = (
            self.env["credit.payment.plan"]
            .sudo()
            .search_count([("move_ids", "in", self.invoice_ids.ids), ("state", "=", "broken")], limit=1)
        )
        return not broken

    def _execute_plan_proposal(self):
        """Structurally late customers get a payment plan proposal instead of a reminder: a draft plan over
        the open invoices, for the collector to agree with the customer (no reminder is sent)."""
        invoices = self.invoice_ids.filtered_domain(self.env["account.move"]._credit_open_invoice_domain())
        Plan = self.env["credit.payment.plan"].sudo()
        existing = Plan.search([("move_ids", "in", invoices.ids), ("state", "in", ("draft", "active"))], limit=1)
        if existing:
            return self.env._("No reminder: payment plan %(plan)s is being agreed.", plan=existing.name)
        if not invoices:
            return self.env._("No reminder and no payment plan: nothing left to plan.")
        segment = self.partner_id.with_company(self.company_id).sudo().credit_segment_id
        plan = Plan.with_company(self.company_id).create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "move_ids": [Command.set(invoices.ids)],
                "installment_count": segment.credit_plan_max_installments or 3,
                "user_id": (self.user_id or self.env.user).id,
                "source": "collector",
            }
        )
        plan.action_compute_schedule()
        plan.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._("Propose this payment plan to %(customer)s", customer=self.partner_id.name),
            user_id=(self.user_id or self.env.user).id,
            date_deadline=self.date,
        )
        return self.env._(
            "No reminder: payment plan %(plan)s proposed (%(count)s installments).",
            plan=plan.name,
            count=plan.installment_count,
        )

    def _execute_letter(self):
        """Render the reminder letter; it waits under *Letters to Print* and in the customer's chatter."""
        content, _kind = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("credit_control.action_report_credit_letter", self.ids)
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Reminder %(partner)s %(date)s.pdf", partner=self.partner_id.name, date=self.date
                    ),
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": "res.partner",
                    "res_id": self.partner_id.id,
                }
            )
        )
        self.sudo().mail_message_id = self.partner_id.sudo().message_post(
            body=self.env._("Reminder letter for %(level)s.", level=self.level_id.name),
            attachment_ids=attachment.ids,
            subtype_xmlid="mail.mt_note",
        )
        return self.env._("Letter ready to print.")

    def _payment_link(self):
        """The *Pay now* link of every reminder (email, letter, text message): the portal page of the oldest
        open invoice with its access token, opened on its payment form (Odoo's payment providers)."""
        invoice = self._credit_payment_invoice()
        if not invoice:
            return self.get_base_url() + "/my/invoices"
        return invoice.get_base_url() + invoice.sudo().get_portal_url(query_string="&payment=True", anchor="portal_pay")

    def _credit_letter_body(self):
        """The body of the level's letter template, rendered in the recipient's language (for the letter)."""
        self.ensure_one()
        template = self.level_id.letter_template_id
        if not template:
            return ""
        return template.sudo()._render_field("body_html", self.ids, compute_lang=True)[self.id]

    def _credit_items_table_html(self):
        """The open items as the table of a reminder (email or letter), with the statutory interest when the
        level shows it; in the language of the rendering (the recipient's)."""
        self.ensure_one()
        interest = self._credit_interest_lines()
        cell = Markup('<td style="%s">%s</td>')
        left, right = "text-align: left;", "text-align: right;"
        headers = [
            (left, self.env._("Invoice")),
            (left, self.env._("Invoice date")),
            (left, self.env._("Due date")),
            (right, self.env._("Open amount")),
        ]
        if interest:
            headers.append((right, self.env._("Statutory interest")))
        rows = [
            Markup('<tr style="border-bottom: 1px solid #ccc;">%s</tr>')
            % Markup("").join(Markup('<th style="%s">%s</th>') % header for header in headers)
        ]
        for line in self.line_ids:
            cells = [
                cell % (left, line.move_id.name or ""),
                cell % (left, format_date(self.env, line.move_id.invoice_date) or ""),
                cell % (left, format_date(self.env, line.date_maturity) or ""),
                cell % (right, format_amount(self.env, line.amount_residual_currency, line.currency_id)),
            ]
            if interest:
                cells.append(cell % (right, self._format(interest.get(line, 0.0))))
            rows.append(Markup('<tr style="border-bottom: 1px solid #eee;">%s</tr>') % Markup("").join(cells))
        for currency, total in self._credit_totals_by_currency():
            rows.append(
                Markup('<tr><td colspan="3" style="%s"><strong>%s</strong></td>%s%s</tr>')
                % (
                    right,
                    self.env._("Total"),
                    cell % (right, Markup("<strong>%s</strong>") % format_amount(self.env, total, currency)),
                    Markup("<td/>") if interest else "",
                )
            )
        if interest:
            rows.append(
                Markup('<tr><td colspan="4" style="%s"><strong>%s</strong></td>%s</tr>')
                % (
                    right,
                    self.env._("Statutory interest until %(date)s", date=format_date(self.env, self.date)),
                    cell % (right, Markup("<strong>%s</strong>") % self._format(self.interest_amount)),
                )
            )
        table = Markup('<table style="width: 100%%; border-collapse: collapse;" cellpadding="4">%s</table>') % Markup(
            ""
        ).join(rows)
        # the open credits deducted and the amount to pay, when credits were netted
        return table + self._credit_netting_html()

    def _text_message(self):
        """The rendered text of the level's SMS template, in the recipient's language."""
        template = self.level_id.sms_template_id
        return template._render_field("body", self.ids, compute_lang=True)[self.id]

    def _mobile_number(self):
        recipient = self.recipient_id or self.partner_id
        number = recipient.mobile or recipient.phone or self.partner_id.mobile or self.partner_id.phone
        if not number:
            raise UserError(
                self.env._(
                    "%(partner)s has no mobile or phone number: the message cannot be sent.", partner=recipient.name
                )
            )
        return recipient, number

    def _execute_sms(self):
        recipient, number = self._mobile_number()
        message = (
            self.partner_id.sudo()
            .with_context(mail_notify_force_send=False)
            ._message_sms(
                self._text_message(),
                partner_ids=recipient.ids,
                sms_pid_to_number={recipient.id: number},
                # sent by Odoo's SMS queue after the run commits: a rollback or a retry sends nothing (twice)
                put_in_queue=True,
            )
        )
        self.sudo().mail_message_id = message
        # wake Odoo's SMS queue: it sends once this transaction is committed
        sms_queue = self.env.ref("sms.ir_cron_sms_scheduler_action", raise_if_not_found=False)
        if sms_queue:
            sms_queue.sudo()._trigger()
        return self.env._("Text message queued to %(number)s.", number=number)

    def _execute_whatsapp(self):
        """WhatsApp has no sending API here: the collector gets an activity with a click-to-chat link,
        the message (with the payment link) already typed."""
        _recipient, number = self._mobile_number()
        digits = "".join(char for char in number if char.isdigit())
        if number.strip().startswith("00"):
            digits = digits[2:]
        link = f"https://wa.me/{digits}?text={url_quote(self._text_message())}"
        user = self.user_id or self.env.user
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("WhatsApp: %(amount)s open", amount=self._format(self.amount)),
            note=Markup('<p><a href="%s" target="_blank">%s</a></p>%s')
            % (link, self.env._("Open WhatsApp with the message ready"), self._statement_html()),
            user_id=user.id,
            date_deadline=self.date,
        )
        return self.env._("WhatsApp message prepared for %(user)s.", user=user.name)

    def _execute_agency(self):
        """Hand the items over: our own follow-up of them stops (see ``_credit_exclusion_sql``)."""
        agency = self.level_id.agency_id
        self.line_ids._credit_write_followup({"credit_agency_id": agency.id, "credit_agency_date": self.date})
        self.partner_id.sudo().message_post(
            body=self.env._(
                "%(count)s open item(s), %(amount)s, handed over to collection agency %(agency)s.",
                count=len(self.line_ids),
                amount=self._format(self.amount),
                agency=agency.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return self.env._("Handed over to %(agency)s.", agency=agency.name)

    def _invoice_attachments(self):
        """A PDF of each invoice followed up: the one Odoo keeps for the invoice, else rendered now."""
        attachments = self.env["ir.attachment"]
        for invoice in self.invoice_ids.filtered(lambda m: m.is_invoice(include_receipts=True)):
            pdf = invoice.invoice_pdf_report_id
            if not pdf:
                content, _kind = (
                    self.env["ir.actions.report"].sudo()._render_qweb_pdf("account.account_invoices", invoice.ids)
                )
                pdf = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"{invoice._get_invoice_report_filename()}",
                            "raw": content,
                            "mimetype": "application/pdf",
                            "res_model": "res.partner",
                            "res_id": self.partner_id.id,
                        }
                    )
                )
            attachments |= pdf
        return attachments

    def _execute_activity(self):
        """A call (or a manual task) for the collector. A call's activity carries the number to dial as a
        click-to-call link, the script and the items; it is done only when logged with its outcome."""
        level = self.level_id
        user = self.user_id or self.env.user
        note = Markup("%s%s") % (level.call_script or "", self._statement_html())
        if self.channel == "phone":
            note = self._call_header_html() + note
        activity = self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_call" if self.channel == "phone" else "mail.mail_activity_data_todo",
            summary=self.env._("%(level)s: %(amount)s open", level=level.name, amount=self._format(self.amount)),
            note=note,
            user_id=user.id,
            date_deadline=self.date,
        )
        if self.channel == "phone":
            activity.credit_action_id = self
            self.sudo().call_activity_id = activity
        return self.env._("Activity for %(user)s.", user=user.name)

    def _call_header_html(self):
        """Whom to call and the number as a ``tel:`` link."""
        contact = self.recipient_id or self.partner_id
        number = self.recipient_phone
        if not number:
            return Markup("<p>%s</p>") % self.env._("%(contact)s has no phone number.", contact=contact.name)
        dial = "".join(char for char in number if char.isdigit() or char == "+")
        return Markup('<p>%s: <a href="tel:%s">%s</a></p>') % (contact.name, dial, number)

    def _format(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _statement_html(self):
        """The open items as a small HTML table (for activities; emails use the mail template)."""
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td style='text-align:right'>%s</td></tr>")
            % (line.move_id.name, line.date_maturity or "", self._format(line.amount_residual))
            for line in self.line_ids
        )
        return Markup("<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>%s") % (
            escape(self.env._("Invoice")),
            escape(self.env._("Due")),
            escape(self.env._("Open")),
            rows,
            self._credit_netting_html(),
        )
