import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..models.credit_followup_run import may_commit
from ..tools.credit_kpi_period import month_end, previous_month_end
from ..tools.credit_provision import provision_lines

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "credit_control.group_credit_control_manager"


class CreditProvision(models.TransientModel):
    """The provision for doubtful debts (voorziening dubieuze debiteuren) of a company at a month end: a preview
    from the aging as it stood at that day, then one entry dated that day (debit the expense, credit the provision,
    a pair of lines per aging bucket), reversed on the 1st of the next month.

    The reversal keeps the provision account at the provision of the last month end alone, so that each month's
    entry is the provision in full (not a difference to compute by hand) and a month can be posted again after
    its entry and reversal are cancelled. Only a month that has ended is provided, so the 1st of the next month has
    come: the reversal is posted at once with the entry (no draft waiting for Odoo's *auto post at date*, which a
    user could still edit or delete in the meantime).

    Credit managers only (access rights, and a server check in ``action_post``); a month is provided once per
    company (a clear error, and a unique index on the entries)."""

    _name = "credit.provision"
    _description = "Provision for Doubtful Debts"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, domain=lambda self: self._company_domain()
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        string="Month End",
        required=True,
        default=lambda self: previous_month_end(fields.Date.context_today(self)),
        help="The receivables are aged as they stood at the end of this day: items dated up to it, less what was "
        "reconciled with them up to it. The entry is dated on it and reversed on the next day.",
    )
    line_ids = fields.One2many(
        "credit.provision.line", "wizard_id", string="Lines", compute="_compute_line_ids", store=True, readonly=True
    )
    amount_total = fields.Monetary(string="Provision", compute="_compute_amounts")
    base_total = fields.Monetary(string="Open Receivables", compute="_compute_amounts")
    account_balance = fields.Monetary(
        string="Provision Account Balance",
        compute="_compute_amounts",
        help="What the provision account holds at the end of the month end day before this entry (credit "
        "positive). The previous provision was reversed on the 1st, so it is the manual provisions alone.",
    )
    difference = fields.Monetary(
        compute="_compute_amounts", help="The provision less what the provision account holds now."
    )
    existing_move_id = fields.Many2one(
        "account.move", string="Already Provided", compute="_compute_existing_move_id", compute_sudo=True
    )
    move_id = fields.Many2one("account.move", string="Provision Entry", readonly=True)
    config_warning = fields.Char(string="Settings Missing", compute="_compute_config_warning")

    @api.model
    def _company_domain(self):
        return [("id", "in", self.env.user.company_ids.ids)]

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------
    @api.depends("company_id", "date")
    def _compute_line_ids(self):
        for wizard in self:
            values = wizard._provision_line_values() if wizard.company_id and wizard.date else []
            wizard.line_ids = [Command.clear(), *(Command.create(vals) for vals in values)]

    @api.depends("line_ids.amount", "line_ids.base_amount", "company_id", "date")
    def _compute_amounts(self):
        for wizard in self:
            currency = wizard.company_id.currency_id or self.env.company.currency_id
            wizard.amount_total = currency.round(sum(wizard.line_ids.mapped("amount")))
            wizard.base_total = currency.round(sum(wizard.line_ids.mapped("base_amount")))
            wizard.account_balance = wizard._account_balance()
            wizard.difference = currency.round(wizard.amount_total - wizard.account_balance)

    @api.depends("company_id", "date")
    def _compute_existing_move_id(self):
        for wizard in self:
            wizard.existing_move_id = wizard._existing_move()

    @api.depends("company_id")
    def _compute_config_warning(self):
        for wizard in self:
            missing = wizard.company_id and wizard._missing_settings()
            wizard.config_warning = (
                self.env._(
                    "Set the provision's %(settings)s in Settings › Invoicing › Credit Control first.",
                    settings=", ".join(missing),
                )
                if missing
                else False
            )

    # ------------------------------------------------------------------
    # THE PROVISION
    # ------------------------------------------------------------------
    def _provision_line_values(self):
        """[vals of ``credit.provision.line``] of the company's provision at the month end: the aging as it stood
        at the end of that day (``report.credit_control.report_credit_cfo._open_items_as_of``, one aggregate
        query), each customer's credits set off against its oldest debts, the bucket's rate of the customer's
        segment (else the company's), a customer in an open insolvency case at the insolvency percentage."""
        self.ensure_one()
        company, day = self.company_id, self.date
        currency = company.currency_id
        open_items = self.env["report.credit_control.report_credit_cfo"]._open_items_as_of(company, day)
        debts, credits = {}, {}
        for partner, bucket, amount, _days, is_credit in open_items:
            if is_credit:
                credits[partner] = credits.get(partner, 0.0) + amount
            else:
                debts.setdefault(partner, {})[bucket] = debts.get(partner, {}).get(bucket, 0.0) + amount
        partners = self.env["res.partner"].union(*debts).sudo().with_company(company)
        segments = {partner.id: partner.credit_segment_id.id or None for partner in partners}
        insolvent = set(self.env["credit.insolvency"]._credit_active_cases(partners, company, day).partner_id.ids)
        rates = self.env["credit.provision.rate"]._rates(company)

        def rate_for(bucket, segment):
            if segment and (bucket, segment) in rates:
                return segment, rates[bucket, segment]
            return None, rates.get((bucket, None), 0.0)

        lines = provision_lines(
            [
                (segments.get(partner.id), partner.id in insolvent, partner_debts, credits.get(partner, 0.0))
                for partner, partner_debts in debts.items()
            ],
            rate_for,
            company.credit_provision_insolvency_percent,
        )
        return [
            {
                "sequence": sequence,
                "kind": "insolvency" if line["bucket"] is None else "bucket",
                "bucket": line["bucket"] or False,
                "segment_id": line["rate_key"] or False,
                "percent": float(line["percent"]),
                "base_amount": currency.round(float(line["base"])),
                "amount": currency.round(float(line["amount"])),
            }
            for sequence, line in enumerate(lines, start=1)
        ]

    def _account_balance(self):
        """What the provision account holds at the end of the month end day (posted items; credit positive)."""
        self.ensure_one()
        account = self.company_id.credit_provision_account_id
        if not account or not self.date:
            return 0.0
        [balance] = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("account_id", "=", account.id),
                    ("parent_state", "=", "posted"),
                    ("date", "<=", self.date),
                ],
                [],
                ["balance:sum"],
            )[0]
        )
        return self.company_id.currency_id.round(-(balance or 0.0))

    def _existing_move(self):
        """The company's provision entry of this month end that is not cancelled, if any."""
        self.ensure_one()
        if not self.company_id or not self.date:
            return self.env["account.move"]
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("credit_provision_date", "=", self.date),
                    ("state", "!=", "cancel"),
                ],
                limit=1,
            )
        )

    def _missing_settings(self):
        self.ensure_one()
        company = self.company_id.sudo()
        fields_by_name = company._fields
        return [
            fields_by_name[name].get_description(self.env)["string"]
            for name in (
                "credit_provision_expense_account_id",
                "credit_provision_account_id",
                "credit_provision_journal_id",
            )
            if not company[name]
        ]

    # ------------------------------------------------------------------
    # POST
    # ------------------------------------------------------------------
    def _check_can_post(self):
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only credit managers post the provision for doubtful debts."))
        if self.company_id not in self.env.user.company_ids and not self.env.su:
            raise AccessError(self.env._("You cannot post a provision for a company you do not work in."))
        if self.config_warning:
            raise UserError(self.config_warning)
        if self.date != month_end(self.date):
            raise UserError(
                self.env._(
                    "The provision is made at a month end: choose %(day)s.",
                    day=format_date(self.env, month_end(self.date)),
                )
            )
        if self.date >= fields.Date.context_today(self):
            raise UserError(self.env._("The provision is made for a month that has ended."))
        existing = self._existing_move()
        if existing:
            raise UserError(
                self.env._(
                    "The provision of %(day)s is posted already (%(entry)s). Cancel that entry and its reversal to "
                    "post it again.",
                    day=format_date(self.env, self.date),
                    entry=existing.display_name,
                )
            )

    def action_post(self):
        """Post the provision at the month end and its reversal on the 1st of the next month; open the entry."""
        self.ensure_one()
        self._check_can_post()
        company = self.company_id
        lang = company._credit_note_lang()
        wizard = self.with_company(company).with_context(lang=lang)
        values = wizard._provision_line_values()  # afresh: what is posted is the book of now, not of the preview
        Line = self.env["credit.provision.line"].with_context(lang=lang)
        month = format_date(wizard.env, self.date, date_format="MMMM yyyy")
        move_lines = []
        for vals in values:
            if not vals["amount"]:
                continue
            label = wizard.env._(
                "Provision for doubtful debts %(month)s: %(line)s", month=month, line=Line._line_label(vals)
            )
            move_lines += [
                Command.create(
                    {
                        "name": label,
                        "account_id": company.credit_provision_expense_account_id.id,
                        "debit": vals["amount"],
                    }
                ),
                Command.create(
                    {"name": label, "account_id": company.credit_provision_account_id.id, "credit": vals["amount"]}
                ),
            ]
        if not move_lines:
            raise UserError(
                self.env._(
                    "Nothing to provide at %(day)s: no open receivable is in a bucket with a rate.",
                    day=format_date(self.env, self.date),
                )
            )
        ref = wizard.env._("Provision for doubtful debts %(month)s", month=month)
        Move = self.env["account.move"].with_company(company)
        move = Move.create(
            {
                "move_type": "entry",
                "company_id": company.id,
                "journal_id": company.credit_provision_journal_id.id,
                "date": self.date,
                "ref": ref,
                "line_ids": move_lines,
            }
        )
        # the mark of the month (and its unique index) is the superuser's write: no user sets it by hand
        move.sudo().credit_provision_date = self.date
        move.action_post()
        first = self.date + timedelta(days=1)
        reversal = move._reverse_moves(
            [{"date": first, "ref": wizard.env._("Reversal of %(entry)s", entry=ref)}], cancel=False
        )
        # its day has come (the month has ended): posted at once, never a draft left to post itself
        reversal.action_post()
        self.move_id = move
        return move._get_records_action()

    @api.model
    def _cron_provision(self):
        """Monthly, on the 1st: the provision of the month that ended, for every company that posts it by itself
        (Settings) and has its accounts set; a month provided already is left alone. Committed per company when
        run as a scheduled action."""
        auto_commit = may_commit(self.env)
        day = previous_month_end(fields.Date.context_today(self))
        companies = self.env["res.company"].search([("credit_provision_auto_post", "=", True)])
        for done, company in enumerate(companies, start=1):
            wizard = self.with_company(company).create({"company_id": company.id, "date": day})
            if wizard.config_warning or wizard.existing_move_id or not any(wizard.line_ids.mapped("amount")):
                _logger.info("Provision of %s at %s: nothing to post", company.name, day)
            else:
                wizard.action_post()
            if auto_commit:
                # Safe: the company's provision and its reversal are posted together, and a rerun skips the month.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(companies) - done)
        return True
