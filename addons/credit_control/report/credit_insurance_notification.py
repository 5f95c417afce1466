from odoo import fields, models
from odoo.tools import SQL


class CreditInsuranceNotification(models.Model):
    """*Reporting › Insurer Notifications*: what must be reported to each credit insurer this week — every open item
    of a covered customer whose notification deadline falls within the next seven days or has passed, and that was
    not reported yet. A SQL query like the aging (``_table_query``), grouped by insurer, exportable; the same
    definition as the daily run's activities (``credit.insurance._notification_sql``)."""

    _name = "credit.insurance.notification"
    _description = "Insurer Notification"
    _auto = False
    _order = "deadline, insurer_id, partner_id, date_maturity, id"
    _rec_name = "move_id"

    insurance_id = fields.Many2one("credit.insurance", string="Credit Insurance", readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    policy_number = fields.Char(readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    amount_residual = fields.Monetary(string="Open Amount", currency_field="company_currency_id", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    deadline = fields.Date(readonly=True, aggregator="min")
    deadline_passed = fields.Boolean(readonly=True)

    @property
    def _table_query(self):
        # today from the context (the user's day, and a test's frozen one), not the database's clock
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT item.line_id AS id,
                   item.line_id AS move_line_id,
                   item.move_id,
                   item.insurance_id,
                   item.insurer_id,
                   item.partner_id,
                   item.company_id,
                   item.policy_number,
                   item.date_maturity,
                   item.days_overdue,
                   item.amount_residual,
                   item.company_currency_id,
                   item.deadline,
                   item.deadline < %(today)s AS deadline_passed
              FROM (%(items)s) item
            """,
            today=today,
            items=self.env["credit.insurance"]._notification_sql(today),
        )

    def action_open_invoice(self):
        self.ensure_one()
        return self.move_id._get_records_action()

    def action_open_insurance(self):
        self.ensure_one()
        return self.insurance_id._get_records_action()
