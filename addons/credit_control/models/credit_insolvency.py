from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..tools import insolvency_claim

INSOLVENCY_KINDS = [
    ("nl_bankruptcy", "Faillissement (NL)"),
    ("nl_suspension", "Surseance van betaling (NL)"),
    ("nl_wsnp", "WSNP – schuldsanering (NL)"),
    ("be_bankruptcy", "Faillissement (BE)"),
    ("be_reorganisation", "Gerechtelijke reorganisatie (BE)"),
    ("be_debt_settlement", "Collectieve schuldenregeling (BE)"),
]
# The states in which a case pauses follow-up (see ``account.move.line._credit_exclusion_sql``); a closed or
# cancelled case lifts the pause, not the credit hold (the credit manager decides).
ACTIVE_INSOLVENCY_STATES = ("open", "claim_filed", "claim_acknowledged", "dividend_received")
CLAIM_COST_TYPES = [
    ("none", "None"),
    ("nl_bik", "Dutch collection costs (BIK)"),
    ("be_consumer", "Belgian consumer damages (Book XIX CEL)"),
]


class CreditInsolvency(models.Model):
    """An insolvency or debt-restructuring case of a customer: bankruptcy, suspension of payments, WSNP, judicial
    reorganisation or collective debt settlement.

    Registering it pauses all follow-up of the customer's items in its company from the judgment date (through
    the run's single pause, ``account.move.line._credit_exclusion_sql``), puts the customer on credit hold with
    the case as reason, and gives the collector an activity on the claim deadline. The claim to the trustee is the
    report ``credit_control.action_report_credit_claim``. Cases are never deleted, only cancelled."""

    _name = "credit.insolvency"
    _description = "Insolvency Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "judgment_date desc, id desc"
    # collectors read cases and work them through the buttons; the chatter is theirs too
    _mail_post_access = "read"

    # ------------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------------
    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(INSOLVENCY_KINDS, required=True, tracking=True)
    judgment_date = fields.Date(required=True, tracking=True, help="Follow-up of the customer stops from this day.")
    court = fields.Char()
    case_number = fields.Char(tracking=True)
    trustee_id = fields.Many2one(
        "res.partner",
        tracking=True,
        help="The curator, bewindvoerder, gerechtsmandataris or schuldbemiddelaar the claim is sent to.",
    )
    trustee_role = fields.Char(compute="_compute_trustee_role")
    claim_deadline = fields.Date(tracking=True, help="The day the claim must be filed by.")
    claim_filed_date = fields.Date(readonly=True, copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        tracking=True,
        help="Gets the activity for the claim deadline.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("claim_filed", "Claim Filed"),
            ("claim_acknowledged", "Claim Acknowledged"),
            ("dividend_received", "Dividend Received"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    interest_type = fields.Selection(
        selection="_selection_interest_type",
        string="Claim Interest",
        compute="_compute_claim_rules",
        store=True,
        readonly=False,
        help="The statutory interest claimed up to the judgment date.",
    )
    cost_type = fields.Selection(
        CLAIM_COST_TYPES,
        string="Claim Collection Costs",
        compute="_compute_claim_rules",
        store=True,
        readonly=False,
        help="The collection costs claimed on the principal (none when they were charged before: the cost "
        "invoice is then one of the claimed invoices).",
    )
    claim_principal = fields.Monetary(string="Principal", compute="_compute_claim_amounts")
    claim_interest = fields.Monetary(string="Interest", compute="_compute_claim_amounts")
    claim_costs = fields.Monetary(string="Collection Costs", compute="_compute_claim_amounts")
    claim_total = fields.Monetary(compute="_compute_claim_amounts")
    legal_basis = fields.Char(compute="_compute_trustee_role", help="The law that limits the interest claimed.")

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------
    @api.model
    def _selection_interest_type(self):
        return [("none", self.env._("None")), *self.env["credit.interest.rate"]._fields["rate_type"].selection]

    @api.depends("kind")
    def _compute_trustee_role(self):
        roles = {
            "nl_bankruptcy": self.env._("Curator"),
            "nl_suspension": self.env._("Bewindvoerder"),
            "nl_wsnp": self.env._("Bewindvoerder"),
            "be_bankruptcy": self.env._("Curator"),
            "be_reorganisation": self.env._("Gerechtsmandataris"),
            "be_debt_settlement": self.env._("Schuldbemiddelaar"),
        }
        for case in self:
            case.trustee_role = roles.get(case.kind, False)
            case.legal_basis = insolvency_claim.CLAIM_RULES[case.kind][1] if case.kind else False

    @api.depends("kind", "partner_id")
    def _compute_claim_rules(self):
        """Dutch commercial or consumer interest, Belgian late-payment or legal interest, by the kind's country and
        whether the customer is a company; BIK costs on a Dutch business claim, the Book XIX cap on a Belgian
        consumer's; otherwise none (the collector may change both before sending the claim)."""
        for case in self:
            country = insolvency_claim.CLAIM_RULES[case.kind][0] if case.kind else False
            business = case.partner_id.is_company
            if country == "NL":
                case.interest_type = "nl_commercial" if business else "nl_consumer"
                case.cost_type = "nl_bik" if business else "none"
            elif country == "BE":
                case.interest_type = "be_late_payment" if business else "be_legal"
                case.cost_type = "none" if business else "be_consumer"
            else:
                case.interest_type = case.cost_type = "none"

    def _compute_claim_amounts(self):
        for case in self:
            claim = case._credit_claim()
            case.claim_principal = claim["principal"]
            case.claim_interest = claim["interest"]
            case.claim_costs = claim["costs"]
            case.claim_total = claim["total"]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        for vals in vals_list:
            vals.pop("state", None)
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            vals["name"] = self.env["ir.sequence"].with_company(company).sudo().next_by_code("credit.insolvency") or "/"
        cases = super().create(vals_list)
        cases._credit_register()
        return cases

    def write(self, vals):
        if "partner_id" in vals or "company_id" in vals:
            raise UserError(self.env._("A case stays with its customer and company; cancel it and register a new one."))
        # the buttons write the state as superuser with this key (_set_state); an RPC caller can pass the key,
        # not the superuser
        if "state" in vals and not (self.env.su and self.env.context.get("credit_insolvency_workflow")):
            raise UserError(self.env._("Change the state of a case with its buttons."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Insolvency cases are kept; cancel them instead."))

    # ------------------------------------------------------------------
    # ACTION
    # ------------------------------------------------------------------
    def action_send_claim(self):
        """The mail composer with the claim (PDF) to the trustee; sending it files the claim."""
        self.ensure_one()
        self._credit_check_collector()
        if self.state not in ("open", "claim_filed"):
            raise UserError(self.env._("The claim is sent while the case is open."))
        if not self.trustee_id:
            raise UserError(self.env._("Set the trustee of the case before sending the claim."))
        template = self.env.ref("credit_control.mail_template_credit_claim")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "credit_mark_claim_filed": True,
                "force_email": True,
            },
        }

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        if self.env.context.get("credit_mark_claim_filed"):
            self.filtered(lambda case: case.state == "open")._credit_set_state(
                "claim_filed", claim_filed_date=fields.Date.context_today(self)
            )
        return super().message_post(**kwargs)

    def action_acknowledge_claim(self):
        self._credit_check_collector()
        self._credit_check_state(("claim_filed",))
        self._credit_set_state("claim_acknowledged")

    def action_register_dividend(self):
        """Odoo's own payment registration on the customer's open invoices of the claim; the case records that a
        dividend came in."""
        self.ensure_one()
        self._credit_check_collector()
        self._credit_check_state(("claim_filed", "claim_acknowledged", "dividend_received"))
        invoices = self._credit_claim_lines().move_id.filtered(lambda move: move.move_type == "out_invoice")
        if not invoices:
            raise UserError(self.env._("The customer has no open invoice left to register a dividend on."))
        self._credit_set_state("dividend_received")
        return invoices.action_register_payment()

    def action_close(self):
        self._credit_check_collector()
        self._credit_check_state(ACTIVE_INSOLVENCY_STATES)
        self._credit_set_state("closed")

    def action_cancel(self):
        self._credit_check_collector()
        self._credit_check_state(ACTIVE_INSOLVENCY_STATES)
        self._credit_set_state("cancelled")

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------
    def _credit_check_collector(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit control works insolvency cases."))

    def _credit_check_state(self, states):
        if any(case.state not in states for case in self):
            raise UserError(self.env._("This step does not apply to a case in this state."))

    def _credit_set_state(self, state, **values):
        """The workflow's only write of the state (sudo: collectors read cases and move them with the buttons)."""
        self.sudo().with_context(credit_insolvency_workflow=True).write({"state": state, **values})

    def _credit_register(self):
        """Registering the case, on the server: the customer on credit hold with the case as reason (the hold's
        own write, which logs it on the customer), the collector's activity on the claim deadline, and the
        customer's open proposals withdrawn (the pause itself is the run's SQL, which reads the case)."""
        Action = self.env["credit.action"].sudo()
        for case in self:
            partner = case.partner_id.sudo().with_company(case.company_id)
            partner.write(
                {
                    "credit_hold": True,
                    "credit_hold_reason": case.env._(
                        "Insolvency case %(case)s (%(kind)s)", case=case.name, kind=case._credit_kind_label()
                    ),
                }
            )
            if case.claim_deadline:
                case.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=case.claim_deadline,
                    summary=case.env._("File the claim with the trustee"),
                    user_id=(case.user_id or self.env.user).id,
                )
            proposals = Action.search(
                [
                    ("partner_id", "=", case.partner_id.id),
                    ("company_id", "=", case.company_id.id),
                    ("state", "in", ("proposed", "failed")),
                ]
            )
            proposals._credit_withdraw_paused()

    def _credit_kind_label(self):
        self.ensure_one()
        return dict(self._fields["kind"]._description_selection(self.env)).get(self.kind, "")

    @api.model
    def _credit_active_cases(self, partners, companies, today):
        """The cases that pause follow-up on ``today`` for these commercial partners in these companies."""
        return self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("state", "in", ACTIVE_INSOLVENCY_STATES),
                ("judgment_date", "<=", today),
            ]
        )

    # ------------------------------------------------------------------
    # CLAIM
    # ------------------------------------------------------------------
    def _credit_claim_lines(self):
        """The customer's open receivable items in the case's company that arose before the judgment."""
        self.ensure_one()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("move_id.commercial_partner_id", "=", self.partner_id.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", "!=", 0),
                    ("date", "<", self.judgment_date),
                ],
                order="date_maturity, id",
            )
        )

    def _credit_claim(self):
        """The claim: {lines: [{line, move, principal, interest, interest_from, interest_to}], principal, interest,
        costs, total} in company currency.

        Interest per item runs from the day after its due date (or after the day it was last charged) up to the
        day before the judgment (``insolvency_claim.last_interest_day``, with the law per kind). Invoices of costs
        and interest the run charged earlier are claimed as principal without interest, and when costs were
        charged before, none are added again."""
        self.ensure_one()
        empty = {"lines": [], "principal": 0.0, "interest": 0.0, "costs": 0.0, "total": 0.0}
        if not self.judgment_date or not self.partner_id:
            return empty
        currency = self.currency_id
        lines = self._credit_claim_lines()
        charges = (
            self.env["credit.action"]
            .sudo()
            .search(
                [
                    ("fee_move_id", "!=", False),
                    ("partner_id", "=", self.partner_id.id),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        )
        charge_moves = charges.fee_move_id
        costs_charged = any(action.level_id.fee_type != "none" for action in charges)
        last_day = insolvency_claim.last_interest_day(self.judgment_date)
        rate_type = self.interest_type if self.interest_type and self.interest_type != "none" else None
        Rate = self.env["credit.interest.rate"]
        table = Rate._rate_table(rate_type) if rate_type else []
        result, principal_total, base_for_costs = [], 0.0, 0.0
        for line in lines:
            principal = line.amount_residual
            interest, start = 0.0, None
            if rate_type and principal > 0 and line.date_maturity and line.move_id not in charge_moves:
                start = max(line.date_maturity, line.credit_interest_to or line.date_maturity)
                start = fields.Date.add(start, days=1)
                interest = Rate._interest(rate_type, principal, start, last_day, table)
            if line.move_id not in charge_moves:
                base_for_costs += principal
            principal_total += principal
            result.append(
                {
                    "line": line,
                    "move": line.move_id,
                    "principal": principal,
                    "interest": interest,
                    "interest_from": start if interest else False,
                    "interest_to": last_day if interest else False,
                }
            )
        interest_total = currency.round(sum(item["interest"] for item in result))
        costs = 0.0
        if not costs_charged and base_for_costs > 0:
            costs = float(insolvency_claim.claim_costs(self.cost_type, Decimal(str(currency.round(base_for_costs)))))
        principal_total = currency.round(principal_total)
        return {
            "lines": result,
            "principal": principal_total,
            "interest": interest_total,
            "costs": costs,
            "total": currency.round(principal_total + interest_total + costs),
        }

    def _credit_claim_date_label(self, day):
        """A date of the claim in the report's language (empty when there is none)."""
        return format_date(self.env, day) if day else ""
