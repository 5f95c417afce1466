from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError


class CreditWriteOff(models.TransientModel):
    """Writes off bad debts: the open receivable items chosen (from an insolvency case, a customer or selected
    journal items) are closed by a posted entry in the write-off journal — the receivable against the bad-debt
    account, and the VAT share relieved through the taxes' refund repartition when the dated rule allows it today
    (``tools.bad_debt_vat``). The wizard shows every amount before posting. Credit managers only."""

    _name = "credit.write.off"
    _description = "Write Off Bad Debts"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today, help="The date of the write-off entries.")
    insolvency_id = fields.Many2one("credit.insolvency", string="Insolvency Case", readonly=True, check_company=True)
    line_ids = fields.One2many("credit.write.off.line", "wizard_id", string="Items")
    amount_total = fields.Monetary(string="Written off", compute="_compute_totals")
    vat_total = fields.Monetary(string="VAT Share", compute="_compute_totals")
    vat_relieved_total = fields.Monetary(string="VAT Relieved Now", compute="_compute_totals")
    expense_total = fields.Monetary(string="Bad-debt Expense", compute="_compute_totals")

    @api.depends("line_ids.amount", "line_ids.vat_amount", "line_ids.reclaimable")
    def _compute_totals(self):
        for wizard in self:
            wizard.amount_total = sum(wizard.line_ids.mapped("amount"))
            wizard.vat_total = sum(wizard.line_ids.mapped("vat_amount"))
            wizard.vat_relieved_total = sum(wizard.line_ids.filtered("reclaimable").mapped("vat_amount"))
            currency = wizard.currency_id or self.env.company.currency_id
            wizard.expense_total = currency.round(wizard.amount_total - wizard.vat_relieved_total)

    @api.model
    def default_get(self, fields_list):
        self._credit_check_manager()
        values = super().default_get(fields_list)
        context = self.env.context
        model, ids = context.get("active_model"), context.get("active_ids") or []
        Line = self.env["account.move.line"]
        if model == "credit.insolvency" and ids:
            case = self.env["credit.insolvency"].browse(ids[:1])
            values["insolvency_id"] = case.id
            values["company_id"] = case.company_id.id
            items = case._credit_claim_lines().filtered(lambda line: line.amount_residual > 0)
        elif model == "res.partner" and ids:
            partners = self.env["res.partner"].browse(ids).commercial_partner_id
            items = Line.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("move_id.commercial_partner_id", "in", partners.ids),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", ">", 0),
                ],
                order="date_maturity, id",
            )
        elif model == "account.move.line" and ids:
            items = Line.search([("id", "in", ids)])
            if len(items) != len(set(ids)):
                raise UserError(self._credit_company_message())
        elif model == "account.move" and ids:
            moves = self.env["account.move"].search([("id", "in", ids)])
            if len(moves) != len(set(ids)):
                raise UserError(self._credit_company_message())
            items = moves.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        else:
            items = Line
        if items and model != "credit.insolvency":
            values["company_id"] = items[:1].company_id.id
        self._credit_check_items(items, self.env["res.company"].browse(values.get("company_id")))
        values["line_ids"] = [Command.create({"item_id": item.id}) for item in items]
        return values

    # ------------------------------------------------------------------
    # CHECKS
    # ------------------------------------------------------------------
    @api.model
    def _credit_check_manager(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only credit managers write off receivables."))

    @api.model
    def _credit_company_message(self):
        return self.env._("Write off the items of one company at a time, in a company you work in.")

    @api.model
    def _credit_check_items(self, items, company):
        if not items:
            raise UserError(self.env._("There is no open receivable item to write off."))
        if any(item.company_id != company for item in items) or company not in self.env.companies:
            raise UserError(self._credit_company_message())
        wrong = items.filtered(
            lambda item: (
                item.account_type != "asset_receivable"
                or item.parent_state != "posted"
                or item.reconciled
                or item.company_currency_id.compare_amounts(item.amount_residual, 0) <= 0
            )
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Only open customer items with an amount due can be written off: %(items)s.",
                    items=", ".join(wrong.mapped("move_name")),
                )
            )
        cash_basis = items.move_id.filtered(
            lambda move: any(tax.tax_exigibility == "on_payment" for tax in move.line_ids.tax_ids)
        )
        if cash_basis:
            # under cash-basis VAT the unpaid part's VAT was never declared: there is nothing to relieve, and
            # matching the invoice would make Odoo declare it (its cash-basis entry)
            raise UserError(
                self.env._(
                    "These invoices have cash-basis taxes, whose VAT is due on payment only: write them off with "
                    "a credit note instead: %(invoices)s.",
                    invoices=", ".join(cash_basis.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # ACTION
    # ------------------------------------------------------------------
    def action_write_off(self):
        """Posts one write-off entry per item, reconciles it with the item (the invoice is paid) and records the
        write-off; returns the write-offs."""
        self.ensure_one()
        self._credit_check_manager()
        company = self.company_id
        items = self.line_ids.item_id
        self._credit_check_items(items, company)
        if not company.credit_bad_debt_account_id or not company.credit_write_off_journal_id:
            raise UserError(
                self.env._("Set the bad-debt account and the write-off journal in the Credit Control settings first.")
            )
        entries = self.env["credit.write.off.entry"]
        for line in self.line_ids:
            entries |= line._credit_write_off()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Write-offs"),
            "res_model": "credit.write.off.entry",
            "view_mode": "list,form",
            "domain": [("id", "in", entries.ids)],
        }
