from datetime import timedelta

from odoo import api, fields, models

from ..tools.statement_schedule import next_statement_date
from .credit_statement_sending import STATEMENT_MONTHDAY_SELECTION, STATEMENT_WEEKDAY_SELECTION
from .res_partner import CREDIT_STAFF_GROUPS


class ResPartner(models.Model):
    """The customer's statement of account on a schedule (per company): its segment's, its own, or none."""

    _inherit = "res.partner"

    credit_statement_frequency = fields.Selection(
        [("segment", "As the Segment"), ("none", "No Statements"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        string="Statement of Account",
        company_dependent=True,
        help="How often the daily run emails this customer its statement of account (open items with aging) to "
        "the invoicing contact: as its segment says, never, or on its own schedule. Only a customer with a "
        "positive open balance gets one.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_statement_weekday = fields.Selection(
        STATEMENT_WEEKDAY_SELECTION,
        string="Statement Weekday",
        company_dependent=True,
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_statement_monthday = fields.Selection(
        STATEMENT_MONTHDAY_SELECTION,
        string="Statement Day of the Month",
        company_dependent=True,
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_statement_opt_out = fields.Boolean(
        string="No Scheduled Statements",
        company_dependent=True,
        help="The customer asked not to receive statements of account on a schedule, whatever its segment says.",
        groups=CREDIT_STAFF_GROUPS,
        copy=False,
    )
    credit_statement_next_date = fields.Date(
        string="Next Statement",
        compute="_compute_credit_statement_next_date",
        help="The next day the daily run emails the statement of account, if the customer then has an open balance.",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_statement_count = fields.Integer(
        string="Statements Sent", compute="_compute_credit_statement_count", groups=CREDIT_STAFF_GROUPS
    )

    def _credit_statement_schedule(self):
        """(frequency, weekday, monthday) this customer's statements follow in the current company."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.credit_statement_opt_out:
            return "none", False, False
        if (partner.credit_statement_frequency or "segment") == "segment":
            segment = partner.credit_segment_id
            return segment.statement_frequency or "none", segment.statement_weekday, segment.statement_monthday
        return partner.credit_statement_frequency, partner.credit_statement_weekday, partner.credit_statement_monthday

    @api.depends_context("company")
    @api.depends(
        "credit_statement_frequency",
        "credit_statement_weekday",
        "credit_statement_monthday",
        "credit_statement_opt_out",
        "credit_segment_id.statement_frequency",
        "credit_segment_id.statement_weekday",
        "credit_segment_id.statement_monthday",
    )
    def _compute_credit_statement_next_date(self):
        today = fields.Date.context_today(self)
        # a customer sent today's statement already gets the next one from tomorrow
        sent_today = {
            partner.id
            for [partner] in self.env["credit.statement.sending"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                    ("date", "=", today),
                ],
                ["partner_id"],
            )
        }
        for partner in self:
            start = today + timedelta(days=1) if partner.commercial_partner_id.id in sent_today else today
            partner.credit_statement_next_date = next_statement_date(*partner._credit_statement_schedule(), start)

    @api.depends_context("company")
    def _compute_credit_statement_count(self):
        counts = dict(
            self.env["credit.statement.sending"]._read_group(
                [("partner_id", "in", self.ids), ("company_id", "=", self.env.company.id)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.credit_statement_count = counts.get(partner._origin, 0)

    def _credit_statement_company(self):
        """The company whose statement is being sent (the mail template's sender and signature)."""
        return self.env.company

    def _credit_statement_totals(self):
        """What the statement email says: the open balance and the overdue part of it, in company currency."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        lines = self._credit_statement_lines()
        return {
            "date": today,
            "currency": self.env.company.currency_id,
            "balance": sum(lines.mapped("amount_residual")),
            "overdue": sum(line.amount_residual for line in lines if line.date_maturity and line.date_maturity < today),
        }

    def action_credit_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_statement_sending_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action
