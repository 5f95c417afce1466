import logging
from collections import defaultdict
from typing import NamedTuple
from urllib.parse import quote as url_quote

from markupsafe import Markup, escape

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, clean_context, format_amount, format_date, groupby, split_every

from odoo.addons.mail.models.mail_message import _image_dataurl

# steps that remind the customer; a segment may replace them by a payment plan proposal
from .credit_followup_run import CRASHES
from .credit_policy_level import REMINDER_CHANNELS
from .ir_qweb import COMPILED_QWEB_CACHE, compiled_bodies

# while a batch's emails are rendered: {action id: its *Pay now* link}, which a template shows twice (href and text)
PAYMENT_LINKS_CACHE = "credit_control_payment_links"

_logger = logging.getLogger(__name__)

# how every reminder email is posted: queued with the light layout, the mail kept once sent (for bounces)
EMAIL_POST_OPTIONS = {"email_layout_xmlid": "mail.mail_notification_light", "mail_auto_delete": False}


class EmailPost(NamedTuple):
    """A reminder email ready to post: rendered (or edited), checked, its attachments chosen."""

    action: models.BaseModel
    recipient: models.BaseModel
    subject: str
    body: str
    attachments: models.BaseModel


class StepsTaken:
    """The steps taken of a batch (see ``_execute_steps_together``): each action's result, and what is done for
    all of them together once their steps are taken: the emails to post (``EmailPost``), the credit holds to set
    and the items' levels to write (see ``_execute_one``)."""

    def __init__(self):
        self.results = []
        self.posts = []
        self.holds = []
        self.levels = []

    def take(self, action, rendered):
        """Take ``action``'s step (its email, hold and items' level kept here)."""
        # results, notes and activities in the company's language; the customer's texts render in theirs
        action = action._credit_in_note_lang()
        result = action._execute_one(
            rendered.get(action.id), email_posts=self.posts, holds=self.holds, levels=self.levels
        )
        self.results.append((action, result))

    def extend(self, other):
        self.results += other.results
        self.posts += other.posts
        self.holds += other.holds
        self.levels += other.levels


class CreditStepError(UserError):
    """An additional step of an action failed: the whole action fails (its savepoint undone), with the step
    named in its reason and the step's failed outcome recorded (see ``_record_failure``)."""

    def __init__(self, message, step):
        super().__init__(message)
        self.step = step


class CreditAction(models.Model):
    _inherit = "credit.action"

    step_outcome_ids = fields.One2many(
        "credit.action.step.outcome",
        "action_id",
        string="Step Outcomes",
        readonly=True,
        help="What each step of the level produced (the main step and the additional ones), for the levels "
        "with additional steps.",
    )

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute(self, edited=None):
        """Take the step of each proposed (or retried failed) action. Rendering, sending, fees and holds happen
        per action in its own savepoint: any failure marks that action failed, with its reason on the worklist,
        and never stops the others. The emails of the actions taken are posted together (``_execute_steps``).

        ``edited`` is {action id: {"subject", "body_html", "attachment_ids"}}: the email as the collector edited
        it in the preview (see wizard/credit_action_preview.py); it is sent instead of the template's text."""
        edited = edited or {}
        todo = self.filtered(lambda a: a.state in ("proposed", "failed"))
        # the story may have changed since the proposal: a paused or paid item's step is not taken
        todo -= todo._credit_withdraw_paused()
        todo -= todo._credit_withdraw_settled_checks()
        # money arrived unmatched: the reminder waits for the collector (see credit_action_possibly_paid.py)
        todo -= todo._credit_hold_possibly_paid()
        # the email of each action: its main step's, or an additional email step's (at most one per action)
        emails = todo.filtered(lambda a: a._credit_has_email() and a.id not in edited)
        todo._credit_ensure_payment_tokens()
        try:
            with self.env.cr.savepoint():
                rendered = emails._render_emails()
        except Exception:
            _logger.info("credit_control: batch rendering failed, rendering the reminders one by one")
            rendered = {}
        rendered.update(edited)
        todo._execute_steps(rendered)

    def _execute_steps(self, rendered):
        """Take the steps of these actions and post their emails together: an action is done if and only if its
        step was taken and its email (if any) is in the customer's chatter and queued.

        The steps are taken (together, a failing one alone: ``_credit_take_steps``), their emails kept aside;
        then the emails are posted in bulk (``_post_emails_bulk``) and only then are the actions marked done, all
        in one savepoint with the steps.
        Should the bulk posting fail, all of it is undone and the steps are taken again one by one, each with
        its own email (``_post_emails_one_by_one``), so that a failure fails only its own action, step and all.
        A crash (``CRASHES``) is not caught: the transaction is lost, nothing is done and nothing is sent.

        ``rendered`` is {action id: {"subject", "body_html"[, "attachment_ids"]}}, see ``_execute``."""
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                self._execute_steps_together(rendered)
            return
        except CRASHES:
            raise
        except Exception:
            _logger.warning(
                "credit_control: posting the reminders in bulk failed, taking the steps one by one", exc_info=True
            )
        self._execute_steps_one_by_one(rendered)

    def _execute_steps_one_by_one(self, rendered):
        """The steps of ``_execute_steps``, each with its own email, posted with ``message_post``."""
        for action in self:
            action = action._credit_in_note_lang()
            try:
                with self.env.cr.savepoint():
                    action._record_done(action._execute_one(rendered.get(action.id)))
            except Exception as error:
                action._record_failure(error)

    def _execute_steps_together(self, rendered):
        """The steps of ``_execute_steps``, their emails posted in one bulk call."""
        taken = StepsTaken()
        self._credit_take_steps(rendered, taken)
        self._credit_write_levels(taken.levels)
        # the holds before the emails, as one by one: the hold's note comes before the reminder in the chatter
        self._credit_write_holds(taken.holds)
        if taken.posts:
            self._post_emails_bulk(taken.posts)
        for action, result in taken.results:
            action._record_done(result)

    def _credit_take_steps(self, rendered, taken):
        """Take the steps of these actions, in order: those taken go to ``taken`` (``StepsTaken``), each failure
        is recorded on its action (``_record_failure``), as if each step had its own savepoint.

        The steps are taken together in one savepoint (a savepoint per action, two flushes and two statements
        each, was a tenth of the daily run). Should a step fail, that savepoint is undone: the steps before it,
        which succeeded, are taken again together, the failing one alone in its own savepoint, and the rest
        together again, from where it failed. Each step is so taken at most twice, and its effects are those of
        one step. A failure that only shows when the savepoint is flushed names no step: the steps left are
        then taken one by one."""
        actions = list(self)
        start = 0
        while start < len(actions):
            staged, failed_at = self._credit_try_steps(actions[start:], rendered)
            if staged is not None:
                taken.extend(staged)
                return
            if failed_at is None:
                for action in actions[start:]:
                    action._credit_take_step_alone(rendered, taken)
                return
            _logger.info(
                "credit_control: a step failed in a batch, taking it alone (action %s)", actions[start + failed_at].id
            )
            before = actions[start : start + failed_at]
            if before:
                staged, _failed_at = self._credit_try_steps(before, rendered)
                if staged is None:  # they succeeded once, but not twice: one by one
                    for action in before:
                        action._credit_take_step_alone(rendered, taken)
                else:
                    taken.extend(staged)
            actions[start + failed_at]._credit_take_step_alone(rendered, taken)
            start += failed_at + 1

    def _credit_try_steps(self, actions, rendered):
        """Take the steps of ``actions`` (a list, in order) together in one savepoint. Returns (``StepsTaken``,
        None) when all of them succeeded; else the savepoint is undone and it returns (None, the position of the
        failing action), or (None, None) when the failure came as the savepoint was flushed."""
        staged = StepsTaken()
        position = None
        try:
            with self.env.cr.savepoint():
                for index, action in enumerate(actions):
                    position = index
                    staged.take(action, rendered)
                position = None
        except CRASHES:
            raise
        except Exception:
            return None, position
        return staged, None

    def _credit_take_step_alone(self, rendered, taken):
        """Take this action's step in its own savepoint: added to ``taken``, or its failure recorded."""
        self.ensure_one()
        staged = StepsTaken()
        try:
            with self.env.cr.savepoint():
                staged.take(self, rendered)
        except CRASHES:
            raise
        except Exception as error:
            self._credit_in_note_lang()._record_failure(error)
            return
        taken.extend(staged)

    def _record_done(self, result):
        self.sudo().write(
            {
                "state": "done",
                "result": result,
                "executed_by_id": self.env.user.id,
                "executed_on": fields.Datetime.now(),
            }
        )

    def _record_failure(self, error):
        if not isinstance(error, UserError):
            _logger.warning("credit_control: action %s failed", self.id, exc_info=True)
        reason = self._failure_reason(error)
        self.sudo().write({"state": "failed", "result": reason})
        if self._credit_records_outcomes():
            # the steps taken were undone with the action's savepoint: only the failure is kept
            step = error.step if isinstance(error, CreditStepError) else self.env["credit.policy.level.step"]
            self._credit_record_outcome(step, step.channel or self.channel, reason, state="failed")

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
        its body compiled once per Odoo process (see ``ir.qweb._compile``). Returns {action id: {"subject",
        "body_html"}}."""
        rendered = {}
        self.env.cr.cache[COMPILED_QWEB_CACHE] = compiled_bodies(self.env.registry)
        self.env.cr.cache[PAYMENT_LINKS_CACHE] = {}
        try:
            for template, actions in self.grouped(lambda a: a._credit_step_source("email").mail_template_id).items():
                if template:
                    rendered.update(template._generate_template(actions.ids, ("subject", "body_html")))
        finally:
            self.env.cr.cache.pop(COMPILED_QWEB_CACHE, None)
            self.env.cr.cache.pop(PAYMENT_LINKS_CACHE, None)
        return rendered

    def _execute_one(self, rendered=None, email_posts=None, holds=None, levels=None):
        """Take this action's step; its reminder email is posted right away, or added to ``email_posts`` (a
        list of ``EmailPost``) for the caller to post (see ``_execute_steps``); its credit hold is set right
        away, or added to ``holds`` for the caller to set with ``_credit_write_holds``; its items' new level
        is written right away, or added to ``levels`` for the caller to write with ``_credit_write_levels``.
        Returns the step's result."""
        self.ensure_one()
        if self.arrangement_check:
            # a promise's or plan's check takes no follow-up step (see credit_action_arrangement.py)
            return self._execute_arrangement_check()
        level = self.level_id
        partner = self.partner_id.with_company(self.company_id)
        today = self.env.context.get("credit_followup_date") or fields.Date.context_today(self)
        # the next level's gap counts from the day this step is taken (not before the day it was due)
        followup = {"credit_level_id": level.id, "credit_level_date": max(self.date, today)}
        if levels is None:
            self.line_ids._credit_write_followup(followup)
        else:
            levels.append((self.line_ids, followup))
        results = []
        plan_instead = self.channel in REMINDER_CHANNELS and self._credit_plan_instead_of_reminders()
        if plan_instead:
            results.append(self._execute_plan_proposal())
        elif self.channel == "email":
            results.append(self._execute_email(rendered, email_posts))
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
        if self._credit_records_outcomes():
            main = self.env["credit.policy.level.step"]
            message = self.mail_message_id if self.channel != "email" else None
            activity = self.call_activity_id if self.channel == "phone" else None
            self._credit_record_outcome(main, self.channel, "\n".join(results), message=message, activity=activity)
            if not plan_instead:
                # the level's additional steps, in the action's savepoint: one failing fails the action
                for step in self._credit_additional_steps():
                    results.append(self._execute_additional_step(step, rendered, email_posts))
        if (level.fee_type != "none" or level.invoice_interest) and not self.fee_move_id:
            results.append(self._execute_charges())
        if level.interest_type != "none":
            # the interest shown or charged runs at the last rate known: say so when the table is behind
            Rate = self.env["credit.interest.rate"]
            results.append(Rate._missing_rate_warnings({level.interest_type}, self.date).get(level.interest_type, ""))
        if self.channel == "credit_hold" or level.set_credit_hold:
            if not partner.credit_hold:
                hold = (partner.sudo(), self.env._("Follow-up: %(level)s", level=level.name))
                if holds is None:
                    self._credit_write_holds([hold])
                else:
                    holds.append(hold)
            results.append(self.env._("Customer put on credit hold."))
        return "\n".join(result for result in results if result)

    # ------------------------------------------------------------------
    # Several steps on one level (credit.policy.level.step)
    # ------------------------------------------------------------------

    def _credit_step_source(self, channel=None):
        """The record whose templates this action uses on ``channel`` (default: its own): the level for the
        main step's channel, else the level's additional step on that channel, else the level (a channel the
        collector chose, see ``action_use_suggested_channel``). Levels and steps have the same template fields:
        ``mail_template_id``, ``letter_template_id``, ``sms_template_id``, ``attach_invoices``."""
        self.ensure_one()
        channel = channel or self.channel
        level = self.level_id
        if channel == level.action_type:
            return level
        return level.step_ids.filtered(lambda step: step.channel == channel)[:1] or level

    def _credit_additional_steps(self):
        """The level's steps taken besides this action's main step: none when the level takes the preferred
        channel only (its action's channel is then the one step taken), and none on the action's own channel."""
        self.ensure_one()
        level = self.level_id
        if level.preferred_channel_only:
            return self.env["credit.policy.level.step"]
        return level.step_ids.filtered(lambda step: step.channel != self.channel).sorted("sequence")

    def _credit_has_email(self):
        """Does taking this action send an email: its main step's, or an additional email step's."""
        self.ensure_one()
        if self.channel == "email":
            return True
        return not self.arrangement_check and "email" in self._credit_additional_steps().mapped("channel")

    def _credit_records_outcomes(self):
        """Each step's outcome is recorded for the actions of levels with additional steps only: a level
        without them behaves, and costs, as it always did."""
        return bool(self.level_id.step_ids)

    def _credit_record_outcome(self, step, channel, result, state="done", message=None, activity=None):
        return (
            self.env["credit.action.step.outcome"]
            .sudo()
            .create(
                {
                    "action_id": self.id,
                    "step_id": step.id,
                    "is_main": not step,
                    "channel": channel,
                    "state": state,
                    "result": result,
                    "own_message_id": message.id if message else False,
                    "activity_id": activity.id if activity else False,
                }
            )
        )

    def _credit_write_levels(self, levels):
        """Write the items' new levels of the steps taken (``levels``: (items, values) pairs of ``_execute_one``),
        one statement per level and date instead of one per action."""
        grouped = defaultdict(list)
        for items, values in levels:
            grouped[tuple(sorted(values.items()))].append(items)
        for values, items in grouped.items():
            self.env["account.move.line"].union(*items)._credit_write_followup(dict(values))

    def _credit_write_holds(self, holds):
        """Put customers on credit hold: ``holds`` is a list of (partner in its company, reason), the partners
        of one reason and environment (company, language) written together, each with its note in the chatter;
        a partner already on hold (by an earlier action of the batch) keeps the first reason."""
        groups = defaultdict(list)
        for partner, reason in holds:
            groups[partner.env, reason].append(partner.id)
        for (env, reason), partner_ids in groups.items():
            partners = env["res.partner"].browse(dict.fromkeys(partner_ids)).filtered(lambda p: not p.credit_hold)
            partners.write({"credit_hold": True, "credit_hold_reason": reason})

    def _execute_additional_step(self, step, rendered=None, email_posts=None):
        """Take an additional ``step`` of the level for this action, as the main step of its channel would be
        taken: the email with the batch's emails (``email_posts``), the letter under *Letters to Print*, the text
        message in Odoo's SMS queue, the call as the collector's activity. The action's message stays its email
        (bounces fail the action, see models/mail_mail.py); the step's own message is kept on its outcome.
        A failure raises ``CreditStepError`` naming the step."""
        previous = self.mail_message_id
        activity = self.env["mail.activity"]
        try:
            if step.channel == "email":
                result = self._execute_email(rendered, email_posts)
            elif step.channel == "letter":
                result = self._execute_letter()
            elif step.channel == "sms":
                result = self._execute_sms()
            elif step.channel == "whatsapp":
                result = self._execute_whatsapp()
            else:
                result = self._execute_activity("phone")
                activity = self.call_activity_id
        except CRASHES:
            raise
        except Exception as error:
            labels = dict(step._fields["channel"]._description_selection(self.env))
            raise CreditStepError(
                self.env._(
                    "The %(channel)s step of %(level)s failed: %(reason)s",
                    channel=labels[step.channel],
                    level=self.level_id.name,
                    reason=self._failure_reason(error),
                ),
                step,
            ) from error
        message = self.env["mail.message"]
        if step.channel != "email":
            message = self.mail_message_id if self.mail_message_id != previous else message
            self.sudo().mail_message_id = previous
        self._credit_record_outcome(step, step.channel, result, message=message, activity=activity)
        return result

    def _execute_email(self, rendered=None, email_posts=None):
        """Check and prepare the reminder email of this action, and post it; or, given ``email_posts``, add it
        there, to be posted with the other emails of the batch (``_execute_steps``). The template is the main
        step's, or the additional email step's (``_credit_step_source``)."""
        source = self._credit_step_source("email")
        template = source.mail_template_id
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
        elif source.attach_invoices:
            attachments = self._invoice_attachments()
        post = EmailPost(self, recipient, values["subject"], values["body_html"], attachments)
        if email_posts is None:
            self._post_emails_one_by_one([post])
        else:
            email_posts.append(post)
        return self.env._(
            "Reminder emailed to %(email)s with %(count)s attachment(s).",
            email=recipient.email,
            count=len(attachments),
        )

    # ------------------------------------------------------------------
    # Posting the reminder emails
    # ------------------------------------------------------------------

    def _post_emails_one_by_one(self, posts):
        """The reference path: each reminder posted in the customer's chatter with Odoo's ``message_post``,
        queued (not sent): the mail queue delivers, and a bounce fails the action (see models/mail_mail.py)."""
        for post in posts:
            action = post.action
            message = (
                action.partner_id.with_company(action.company_id)
                .sudo()
                .with_context(mail_notify_force_send=False)
                .message_post(
                    body=post.body,
                    subject=post.subject,
                    partner_ids=post.recipient.ids,
                    attachment_ids=post.attachments.ids,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                    **EMAIL_POST_OPTIONS,
                )
            )
            action.sudo().mail_message_id = message

    def _post_emails_bulk(self, posts):
        """Post these reminders as ``_post_emails_one_by_one`` does, with the same messages, attachments,
        followers, notifications and queued ``mail.mail``, in a fixed number of set-based calls per company
        (Odoo's ``message_post`` and ``_notify_thread`` taken apart; compared field by field in
        tests/test_followup_bulk_email.py). A customer with several reminders in the batch gets them in rounds,
        so that each message finds the previous ones (thread parent, references) as ``message_post`` would."""
        for _company, company_posts in groupby(posts, key=lambda post: post.action.company_id):
            rounds = []
            seen = defaultdict(int)
            for post in company_posts:
                index = seen[post.action.partner_id.id]
                seen[post.action.partner_id.id] += 1
                if index == len(rounds):
                    rounds.append([])
                rounds[index].append(post)
            for round_posts in rounds:
                self._post_emails_round(round_posts)

    def _post_emails_round(self, posts):
        """One message per customer: ``message_post`` for all of them at once (see ``_post_emails_bulk``)."""
        company = posts[0].action.company_id
        # as message_post: sudo, the action's company, the user's language, no sending within the run
        threads = (
            posts[0]
            .action.env["res.partner"]
            .with_company(company)
            .sudo()
            .with_context(mail_notify_force_send=False)
            .browse([post.action.partner_id.id for post in posts])
            ._fallback_lang()
        )
        env = threads.env
        author_id, email_from = threads._message_compute_author(None, None, raise_on_email=True)
        subtype_id = env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        alias_domains = threads._mail_get_alias_domains(default_company=env.company)
        companies = threads._mail_get_companies(default=env.company)
        reply_tos = threads._notify_get_reply_to(default=email_from)
        # as ``_message_compute_parent_id``: a flat thread hangs every message on its first one (not partners)
        parents = {}
        if threads._mail_flat_thread:
            parents = dict(
                env.execute_query(
                    SQL(
                        """SELECT res_id, MIN(id) FROM mail_message
                            WHERE model = %s AND res_id = ANY(%s) AND message_type != 'user_notification'
                         GROUP BY res_id""",
                        threads._name,
                        threads.ids,
                    )
                )
            )
        # attachments of the composer (none here, unless a caller adds some) move to the record, as message_post
        pending = (
            env["ir.attachment"]
            .browse({aid for post in posts for aid in post.attachments.ids})
            .filtered(
                lambda a: (
                    a.res_model in ("mail.compose.message", "mail.scheduled.message") and a.create_uid.id == env.uid
                )
            )
        )
        values_list = []
        for post, thread in zip(posts, threads, strict=True):
            for attachment in pending & post.attachments:
                attachment.write({"res_model": thread._name, "res_id": thread.id})
            values_list.append(
                {
                    "email_layout_xmlid": EMAIL_POST_OPTIONS["email_layout_xmlid"],
                    "email_add_signature": True,
                    "record_name": thread.display_name,
                    "author_id": author_id,
                    "author_guest_id": False,
                    "email_from": email_from,
                    "model": thread._name,
                    "res_id": thread.id,
                    "body": escape(post.body),
                    "message_type": "comment",
                    "parent_id": parents.get(thread.id, False),
                    "subject": post.subject or False,
                    "subtype_id": subtype_id,
                    "partner_ids": post.recipient.ids,
                    "record_alias_domain_id": alias_domains[thread.id].id,
                    "record_company_id": companies[thread.id].id,
                    "reply_to": reply_tos[thread.id],
                    "attachment_ids": [Command.link(aid) for aid in post.attachments.ids],
                }
            )
        messages = self._credit_create_messages(threads, values_list)
        # the author follows the customers, to receive the answers (message_post: a comment by an active user)
        if not env.context.get("mail_create_nosubscribe"):
            real_author_id = env.user.partner_id.id if env.user.active else False
            if not real_author_id and env["res.partner"].browse(author_id).active:
                real_author_id = author_id
            if real_author_id:
                threads._message_subscribe(partner_ids=[real_author_id])
        for post, thread, message, values in zip(posts, threads, messages, values_list, strict=True):
            post.action.sudo().mail_message_id = message
            thread._message_post_after_hook(message, values)
        recipients = self._post_emails_recipients(threads, posts, values_list, subtype_id)
        self._post_emails_notify(threads, messages, values_list, recipients)

    def _credit_create_messages(self, threads, values_list):
        """``threads._message_create(values_list)`` with each body sanitized once instead of twice.

        The ORM sanitizes an Html value when it writes the column and again when it caches it, the same
        ``html_sanitize`` of the same value: for a batch of reminders (their invoice tables) that was a sixth of
        the daily run. Here the messages are created without their bodies, then each body is sanitized once, as
        the field does it, stored in one UPDATE and cached: the same column and cache as the ORM's. A body with
        an embedded image keeps mail.message's own path, which turns the image into an attachment."""
        env = threads.env
        body_field = env["mail.message"]._fields["body"]
        create_list, bodies = [], {}
        for index, values in enumerate(values_list):
            body = values.get("body")
            if body and not _image_dataurl.search(body):
                bodies[index] = body
                values = {key: value for key, value in values.items() if key != "body"}
            create_list.append(values)
        messages = threads._message_create(create_list)
        if not bodies:
            return messages
        written = messages.browse([messages[index].id for index in bodies])
        # mail.message's create turns the body into text (its image substitution) before the field converts it
        sanitized = [body_field.convert_to_cache(str(body), written) for body in bodies.values()]
        # Html's convert_to_column would sanitize again, whatever ``validate`` says: the column as it writes it
        to_column = super(type(body_field), body_field).convert_to_column
        rows = [
            (message.id, to_column(value, written, None, False))
            for message, value in zip(written, sanitized, strict=True)
        ]
        env.cr.execute(
            SQL(
                "UPDATE mail_message AS m SET body = v.body FROM (VALUES %s) AS v(id, body) WHERE m.id = v.id",
                SQL(", ").join(SQL("(%s, %s)", message_id, body) for message_id, body in rows),
            )
        )
        env.cache.update(written, body_field, sanitized)
        written.modified(["body"])
        return messages

    def _post_emails_recipients(self, threads, posts, values_list, subtype_id):
        """The recipients ``_notify_get_recipients`` gives each message, computed for all of them at once: the
        followers of each customer on the subtype, plus the message's own recipient."""
        Followers = threads.env["mail.followers"]
        followers = Followers._get_recipient_data(threads, "comment", subtype_id)
        pids = {pid for values in values_list for pid in values["partner_ids"]}
        direct = Followers._get_recipient_data(Followers.browse(), "comment", subtype_id, pids)[0]
        # a recipient following the customer without its subtype still counts as a follower
        follows = {
            (follower.res_id, follower.partner_id.id)
            for follower in Followers.sudo().search_fetch(
                [("res_model", "=", threads._name), ("res_id", "in", threads.ids), ("partner_id", "in", list(pids))],
                ["res_id", "partner_id"],
            )
        }
        user = threads.env.user
        result = []
        for thread, values in zip(threads, values_list, strict=True):
            data = dict(followers.get(thread.id, {}))
            for pid in values["partner_ids"]:
                if pid not in data:
                    data[pid] = dict(direct[pid], is_follower=(thread.id, pid) in follows)
            real_author_id = user.partner_id.id if user.active else values["author_id"]
            result.append([pdata for pid, pdata in data.items() if pid != real_author_id and pdata["active"]])
        return result

    def _post_emails_notify(self, threads, messages, values_list, recipients):
        """``_notify_thread`` for all these messages: inbox notifications (and their bus messages), the
        notification emails queued as ``mail.mail`` in one create, their ``mail.notification`` in another."""
        env = threads.env
        notifications = []
        for message, values, recipients_data in zip(messages, values_list, recipients, strict=True):
            inbox = sorted((r["id"], r["uid"]) for r in recipients_data if r["notif"] == "inbox")
            notifications += [
                {
                    "author_id": values["author_id"],
                    "mail_message_id": message.id,
                    "notification_status": "sent",
                    "notification_type": "inbox",
                    "res_partner_id": pid,
                }
                for pid, _uid in inbox
            ]
            users = env["res.users"].browse(uid for _pid, uid in inbox if uid)
            if users:
                followers = env["mail.followers"].search(
                    [
                        ("res_model", "=", message.model),
                        ("res_id", "=", message.res_id),
                        ("partner_id", "in", users.partner_id.ids),
                    ]
                )
                for user in users:
                    user._bus_send_store(
                        message.with_user(user).with_context(allowed_company_ids=[]),
                        msg_vals=values,
                        for_current_user=True,
                        add_followers=True,
                        followers=followers,
                        notification_type="mail.message/inbox",
                    )
        references = self._post_emails_references(messages)
        batch_size = int(env["ir.config_parameter"].get_param("mail.batch_size")) or 50
        mail_values_list = []
        mail_recipients = []
        for thread, message, values, recipients_data in zip(threads, messages, values_list, recipients, strict=True):
            partners_data = [r for r in recipients_data if r["notif"] == "email"]
            if not partners_data:
                continue
            base_values = self._post_emails_base_mail_values(thread, message, references[message.id])
            # the tracking values of a new message: none (saves message_post's search)
            msg_vals = dict(values, tracking_value_ids=[])
            for _lang, render_values, group in thread._notify_get_classified_recipients_iterator(
                message, partners_data, msg_vals=msg_vals
            ):
                body = thread._notify_by_email_render_layout(
                    message, group, msg_vals=msg_vals, render_values=render_values
                )
                for chunk in split_every(batch_size, group.pop("recipients")):
                    mail_values_list.append(
                        thread._notify_by_email_get_final_mail_values(
                            chunk, base_values, additional_values={"body_html": body}
                        )
                    )
                    mail_recipients.append((message, values["author_id"], chunk))
        mails = env["mail.mail"].with_context(clean_context(env.context)).create(mail_values_list)
        for mail, (message, author_id, chunk) in zip(mails, mail_recipients, strict=True):
            notifications += [
                {
                    "author_id": author_id,
                    "is_read": True,
                    "mail_mail_id": mail.id,
                    "mail_message_id": message.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": pid,
                }
                for pid in chunk
            ]
        env["mail.notification"].with_context(clean_context(env.context)).create(notifications)
        # text messages to followers who chose them (an override of the notification type; none by default)
        for thread, message, values, recipients_data in zip(threads, messages, values_list, recipients, strict=True):
            if any(r["notif"] == "sms" for r in recipients_data):
                thread._notify_thread_by_sms(message, recipients_data, msg_vals=values)
        # web push: only for the recipients with a registered device (rarely any: one search for the batch)
        pids = {r["id"] for recipients_data in recipients for r in recipients_data}
        if pids and env["mail.push.device"].search_count([("partner_id", "in", list(pids))], limit=1):
            for thread, message, values, recipients_data in zip(
                threads, messages, values_list, recipients, strict=True
            ):
                thread._notify_thread_by_web_push(message, recipients_data, values)

    def _post_emails_references(self, messages):
        """The ``References`` of each message's emails, as ``_notify_by_email_get_base_mail_values``: up to three
        earlier messages of the record (public discussions first), then the message itself; one query."""
        rows = messages.env.execute_query(
            SQL(
                """SELECT msg.id, earlier.id
                     FROM mail_message msg
                     JOIN LATERAL (
                        SELECT id FROM mail_message
                         WHERE model = msg.model AND res_id = msg.res_id AND id < msg.id
                           AND subtype_id IS NOT NULL AND message_id IS NOT NULL
                      ORDER BY id DESC LIMIT 32
                     ) earlier ON TRUE
                    WHERE msg.id = ANY(%s)""",
                messages.ids,
            )
        )
        earlier = defaultdict(list)
        for message_id, earlier_id in rows:
            earlier[message_id].append(earlier_id)
        Message = messages.env["mail.message"]
        ancestors_all = Message.browse({earlier_id for _message_id, earlier_id in rows})
        outgoing_types = ("comment", "auto_comment", "email", "email_outgoing")
        references = {}
        for message in messages:
            ancestors = (ancestors_all & Message.browse(earlier[message.id])).sorted("id", reverse=True)
            history = ancestors.sorted(
                lambda m: (
                    not m.is_internal and not m.subtype_id.internal,
                    m.message_type in outgoing_types,
                    m.message_type != "user_notification",
                ),
                reverse=True,
            )
            references[message.id] = " ".join(m.message_id for m in (history[:3].sorted("id") + message))
        return references

    def _post_emails_base_mail_values(self, thread, message, references):
        """``_notify_by_email_get_base_mail_values`` with the references computed for the batch."""
        subject = message.subject or thread._message_compute_subject() or message.record_name
        if subject:
            subject = " ".join(subject.splitlines())
        values = {"mail_message_id": message.id, "references": references, "auto_delete": False}
        if subject != message.subject:
            values["subject"] = subject
        headers = {}
        if message.record_alias_domain_id.bounce_email:
            headers["Return-Path"] = message.record_alias_domain_id.bounce_email
        headers = thread._notify_by_email_get_headers(headers=headers)
        if headers:
            values["headers"] = repr(headers)
        return values

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
        open invoice with its access token, opened on its payment form (Odoo's payment providers). Computed once
        per action while a batch's emails are rendered (``_render_emails``)."""
        links = self.env.cr.cache.get(PAYMENT_LINKS_CACHE)
        if links is not None and self.id in links:
            return links[self.id]
        invoice = self._credit_payment_invoice()
        if not invoice:
            link = self.get_base_url() + "/my/invoices"
        else:
            link = invoice.get_base_url() + invoice.sudo().get_portal_url(
                query_string="&payment=True", anchor="portal_pay"
            )
        if links is not None:
            links[self.id] = link
        return link

    def _credit_letter_template(self):
        """The letter template of this action's letter: the main step's, or the additional letter step's."""
        self.ensure_one()
        return self._credit_step_source("letter").letter_template_id

    def _credit_letter_body(self):
        """The body of the letter's template, rendered in the recipient's language (for the letter)."""
        self.ensure_one()
        template = self._credit_letter_template()
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

    def _text_message(self, channel=None):
        """The rendered text of the SMS template of ``channel`` (sms or whatsapp; default the action's), in the
        recipient's language: the main step's, or the additional step's (``_credit_step_source``)."""
        template = self._credit_step_source(channel).sms_template_id
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
                self._text_message("sms"),
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
        text = url_quote(self._text_message("whatsapp"))
        link = f"https://wa.me/{digits}?text={text}"
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

    def _execute_activity(self, channel=None):
        """A call (or a manual task) for the collector. A call's activity carries the number to dial as a
        click-to-call link, the script and the items; it is done only when logged with its outcome.
        ``channel``: "phone" for a level's additional call step (default: the action's channel)."""
        channel = channel or self.channel
        level = self.level_id
        user = self.user_id or self.env.user
        note = Markup("%s%s") % (level.call_script or "", self._statement_html())
        if channel == "phone":
            note = self._call_header_html() + note
        activity = self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_call" if channel == "phone" else "mail.mail_activity_data_todo",
            summary=self.env._("%(level)s: %(amount)s open", level=level.name, amount=self._format(self.amount)),
            note=note,
            user_id=user.id,
            date_deadline=self.date,
        )
        if channel == "phone":
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
