"""Statements of account on a schedule: who gets one today, sending it, and the record of every sending.

A segment, or one customer, asks for the statement weekly on a weekday or monthly on a day of the month. The daily
run's step ``_credit_send_scheduled_statements`` selects the customers due today in one query per company, claims
their sending of the day (``credit.statement.sending``: one row per customer, company and day, the database refuses
a second), renders the template for all of them at once and posts each email in the customer's chatter, queued.
"""

import base64
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, split_every

from ..tools.statement_schedule import schedule_keys
from .credit_action_step import EMAIL_POST_OPTIONS

_logger = logging.getLogger(__name__)

STATEMENT_FREQUENCY_SELECTION = [("none", "No Statements"), ("weekly", "Weekly"), ("monthly", "Monthly")]
STATEMENT_WEEKDAY_SELECTION = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]
STATEMENT_MONTHDAY_SELECTION = [(str(day), str(day)) for day in range(1, 29)] + [("last", "Last Day of the Month")]
# Customers rendered and posted per round: the rendering's cache is dropped after each round, so memory stays flat.
STATEMENT_CHUNK = 100


class CreditStatementSending(models.Model):
    """One scheduled statement of account sent to one customer of one company on one day. Kept as recorded."""

    _name = "credit.statement.sending"
    _description = "Scheduled Statement Sent"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(required=True, readonly=True, index=True)
    frequency = fields.Selection(
        [("weekly", "Weekly"), ("monthly", "Monthly")], required=True, readonly=True, string="Schedule"
    )
    recipient_id = fields.Many2one("res.partner", string="Sent To", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(string="Balance", readonly=True, help="The open balance the statement showed.")
    mail_message_id = fields.Many2one("mail.message", string="Email", readonly=True, index="btree_not_null")
    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")],
        compute="_compute_state",
        help="Queued: waiting in the outgoing mail queue. Sent: handed to the mail server. Failed: the email bounced "
        "or could not be sent; see the customer's chatter.",
    )

    _sql_constraints = [
        (
            "partner_company_date_unique",
            "UNIQUE (partner_id, company_id, date)",
            "A customer gets at most one scheduled statement a day.",
        )
    ]

    @api.depends("mail_message_id.notification_ids.notification_status")
    def _compute_state(self):
        for sending in self:
            statuses = set(sending.sudo().mail_message_id.notification_ids.mapped("notification_status"))
            if statuses & {"bounce", "exception", "canceled"}:
                sending.state = "failed"
            elif statuses and statuses <= {"sent"}:
                sending.state = "sent"
            else:
                sending.state = "queued"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Scheduled statements are recorded by the daily run only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("The statements sent are kept as they were recorded."))
        return super().write(vals)

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("The statements sent are kept as they were recorded."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The statements sent are kept as they were recorded."))

    # ------------------------------------------------------------------
    # The daily run's step
    # ------------------------------------------------------------------

    @api.model
    def _credit_due_statements_sql(self, company, today):
        """The customers of ``company`` whose statement is due on ``today`` and not sent yet today, with their
        schedule and open balance: one query. A customer's own schedule wins over its segment's (``segment``, or
        nothing set, takes the segment's); opted-out customers and those without a positive open balance in
        the company get none."""
        weekday, monthday, last_day = schedule_keys(today)
        key = str(company.id)
        return SQL(
            """
            WITH schedule AS (
                SELECT cp.id AS partner_id,
                       CASE WHEN COALESCE(cp.credit_statement_frequency ->> %(key)s, 'segment') = 'segment'
                            THEN seg.statement_frequency
                            ELSE cp.credit_statement_frequency ->> %(key)s END AS frequency,
                       CASE WHEN COALESCE(cp.credit_statement_frequency ->> %(key)s, 'segment') = 'segment'
                            THEN seg.statement_weekday
                            ELSE cp.credit_statement_weekday ->> %(key)s END AS weekday,
                       CASE WHEN COALESCE(cp.credit_statement_frequency ->> %(key)s, 'segment') = 'segment'
                            THEN seg.statement_monthday
                            ELSE cp.credit_statement_monthday ->> %(key)s END AS monthday
                  FROM res_partner cp
             LEFT JOIN credit_segment seg
                    ON seg.id = (cp.credit_segment_id ->> %(key)s)::int AND seg.active
                 WHERE cp.active
                   AND cp.id = cp.commercial_partner_id
                   AND (cp.company_id IS NULL OR cp.company_id = %(company)s)
                   AND NOT COALESCE((cp.credit_statement_opt_out ->> %(key)s)::boolean, FALSE)
            ),
            due AS (
                SELECT partner_id, frequency
                  FROM schedule
                 WHERE (frequency = 'weekly' AND COALESCE(weekday, '1') = %(weekday)s)
                    OR (frequency = 'monthly'
                        AND (COALESCE(monthday, '1') = %(monthday)s OR (monthday = 'last' AND %(last_day)s)))
            )
            SELECT due.partner_id, due.frequency, SUM(aml.amount_residual) AS balance
              FROM due
              JOIN res_partner p ON p.commercial_partner_id = due.partner_id
              JOIN account_move_line aml ON aml.partner_id = p.id
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT aml.reconciled
               AND NOT EXISTS (
                    SELECT 1 FROM credit_statement_sending sent
                     WHERE sent.partner_id = due.partner_id
                       AND sent.company_id = %(company)s
                       AND sent.date = %(today)s)
          GROUP BY due.partner_id, due.frequency
            HAVING SUM(aml.amount_residual) > 0
          ORDER BY due.partner_id
            """,
            key=key,
            company=company.id,
            today=today,
            weekday=weekday,
            monthday=monthday,
            last_day=last_day,
        )

    @api.model
    def _credit_claim_sendings(self, company, today, rows):
        """Record today's sending of each customer of ``rows`` [(partner, frequency, balance, recipient)] and
        return those recorded here: a customer a concurrent or earlier run recorded today is left out
        (``ON CONFLICT DO NOTHING`` on the unique customer, company and day; a concurrent run waits for the
        other's commit, then skips)."""
        if not rows:
            return self.browse()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, NOW() AT TIME ZONE 'UTC', %s, NOW() AT TIME ZONE 'UTC')",
                partner_id,
                company.id,
                today,
                frequency,
                recipient_id,
                balance,
                self.env.uid,
                self.env.uid,
            )
            for partner_id, frequency, balance, recipient_id in rows
        )
        claimed = self.env.execute_query(
            SQL(
                """
                INSERT INTO credit_statement_sending
                       (partner_id, company_id, date, frequency, recipient_id, amount,
                        create_uid, create_date, write_uid, write_date)
                VALUES %s
                ON CONFLICT (partner_id, company_id, date) DO NOTHING
                RETURNING id
                """,
                values,
            )
        )
        return self.browse(sorted(row[0] for row in claimed))

    @api.model
    def _credit_send_scheduled_statements(self, company):
        """The daily run's step: email today's scheduled statements of ``company``. Returns the sendings made.

        One query selects the customers due; one finds their invoicing contacts; one insert claims the day's
        sendings; the template is rendered for a round of customers at once (one rendering per language, Odoo's
        ``_generate_template``; the statement PDF is one report per customer), then each email is posted with
        ``message_post``, queued (never sent within the run), in rounds of ``STATEMENT_CHUNK``.
        A customer whose invoicing contact has no email address is skipped and named in the run's note.
        """
        today = fields.Date.context_today(self)
        self.env.flush_all()
        rows = self.env.execute_query(self._credit_due_statements_sql(company, today))
        if not rows:
            return self.browse()
        Partner = self.env["res.partner"].with_company(company)
        contacts = self.env["credit.followup.run"]._invoice_contacts([row[0] for row in rows])
        recipients = Partner.browse(set(contacts.values()))
        recipients.fetch(["email"])
        ready, no_email = [], []
        for partner_id, frequency, balance in rows:
            recipient = Partner.browse(contacts[partner_id])
            if recipient.email:
                ready.append((partner_id, frequency, balance, recipient.id))
            else:
                no_email.append(partner_id)
        sendings = self._credit_claim_sendings(company, today, ready)
        template = self.env.ref("credit_control.mail_template_credit_statement")
        for chunk in split_every(STATEMENT_CHUNK, sendings.ids, self.browse):
            chunk._credit_post_statements(template, company)
        if no_email:
            self.env["credit.followup.run"]._record_company_failure(
                company,
                today,
                self.env._(
                    "Scheduled statements: not sent to %(partners)s, who have no email address.",
                    partners=", ".join(Partner.browse(no_email).mapped("display_name")),
                ),
            )
        _logger.info("credit_control: %s scheduled statements for %s", len(sendings), company.name)
        return sendings

    def _credit_post_statements(self, template, company):
        """Render ``template`` for these sendings' customers at once and post each statement email, queued."""
        partners = self.partner_id.with_company(company)
        rendered = (
            template.sudo()
            .with_company(company)
            ._generate_template(partners.ids, ("subject", "body_html", "email_from", "report_template_ids"))
        )
        for sending in self.sudo():
            values = rendered[sending.partner_id.id]
            attachments = [(name, base64.b64decode(content)) for name, content in values.get("attachments", [])]
            message = (
                sending.partner_id.with_company(company)
                .with_context(mail_notify_force_send=False)
                .message_post(
                    body=values["body_html"],
                    subject=values["subject"],
                    author_id=self.env.user.partner_id.id,
                    email_from=values["email_from"] or False,
                    partner_ids=sending.recipient_id.ids,
                    attachments=attachments,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                    **EMAIL_POST_OPTIONS,
                )
            )
            sending.mail_message_id = message
        # memory stays flat however many customers: nothing of this round is kept in the ORM cache
        self.env.flush_all()
        self.env.invalidate_all()
