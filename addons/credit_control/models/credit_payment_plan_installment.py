from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from .credit_arrangement_mixin import in_workflow

# Filled by the payments on the plan's invoices (``credit.payment.plan._allocate_payments``), never by hand;
# an installment stays on its plan.
WORKFLOW_FIELDS = {"amount_paid", "state", "reminder_sent", "plan_id"}


class CreditPaymentPlanInstallment(models.Model):
    """One installment of a payment plan; payments on the plan's invoices fill them oldest first."""

    _name = "credit.payment.plan.installment"
    _description = "Payment Plan Installment"
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one("credit.payment.plan", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(default=10)
    date = fields.Date(string="Due Date", required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(string="Paid", readonly=True, copy=False)
    state = fields.Selection(
        [("pending", "Pending"), ("paid", "Paid"), ("late", "Late")],
        default="pending",
        required=True,
        readonly=True,
        copy=False,
    )
    reminder_sent = fields.Boolean(
        readonly=True,
        copy=False,
        help="The reminder before the due date has been sent.",
        groups="credit_control.group_credit_control_user",
    )

    @api.depends("plan_id.name", "date")
    def _compute_display_name(self):
        for installment in self:
            installment.display_name = f"{installment.plan_id.name} – {format_date(self.env, installment.date)}"

    def _check_draft_plan(self):
        if not self.env.su and self.plan_id.filtered(lambda p: p.state != "draft"):
            raise UserError(self.env._("The schedule of an approved payment plan cannot be changed."))

    def _check_workflow_fields(self, names):
        if names & WORKFLOW_FIELDS and not in_workflow(self.env):
            raise AccessError(
                self.env._(
                    "What is paid on an installment is filled by the payments on the plan's invoices, not by hand."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            set_by_hand = {name for name in ("amount_paid", "reminder_sent") if vals.get(name)}
            if vals.get("state", "pending") != "pending":
                set_by_hand.add("state")
            self._check_workflow_fields(set_by_hand)
        installments = super().create(vals_list)
        installments._check_draft_plan()
        return installments

    def write(self, vals):
        self._check_workflow_fields(set(vals))
        if set(vals) - {"amount_paid", "state", "reminder_sent"}:
            self._check_draft_plan()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_if_draft(self):
        self._check_draft_plan()
