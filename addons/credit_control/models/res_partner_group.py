from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_amount

from .res_partner import CREDIT_AMOUNT_GROUPS, CREDIT_STAFF_GROUPS


def _table_row(tag, cells):
    """One row of the exposure table: the first cell a name, the others amounts (right-aligned), escaped."""
    first, *amounts = cells
    row = Markup(f"<{tag}>%s</{tag}>") % first
    for cell in amounts:
        row += Markup(f"<{tag} class='text-end'>%s</{tag}>") % cell
    return Markup("<tr>%s</tr>") % row


class ResPartner(models.Model):
    """The customer's credit group and its exposure in every company (issue 15, group exposure)."""

    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------------
    credit_group_id = fields.Many2one(
        "credit.group",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        groups=CREDIT_STAFF_GROUPS,
        help="The group whose limit this customer shares with the other members (set by a credit manager).",
    )
    credit_group_currency_id = fields.Many2one(
        related="credit_group_id.currency_id", string="Group Currency", groups=CREDIT_STAFF_GROUPS
    )
    credit_group_limit = fields.Monetary(
        string="Group Limit",
        related="credit_group_id.credit_limit",
        currency_field="credit_group_currency_id",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_group_exposure = fields.Monetary(
        string="Group Exposure",
        related="credit_group_id.exposure",
        currency_field="credit_group_currency_id",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_group_available = fields.Monetary(
        string="Group Available Credit",
        related="credit_group_id.available",
        currency_field="credit_group_currency_id",
        groups=CREDIT_STAFF_GROUPS,
    )
    credit_company_exposure_html = fields.Html(
        string="Exposure per Company",
        compute="_compute_credit_company_exposure_html",
        sanitize=False,
        help="Exposure, overdue amount and credit limit in every company you may see, each in its own currency.",
        groups=CREDIT_AMOUNT_GROUPS,
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_credit_company_exposure_html(self):
        companies = self.env.user.company_ids.sorted(lambda c: (c.sequence, c.name))
        self.credit_company_exposure_html = False
        commercial = self.commercial_partner_id._origin
        if len(companies) < 2 or not commercial:
            return
        figures = {
            company: commercial.sudo()._credit_exposure_and_overdue(company, days=0)
            + ({p.id: p.credit_limit for p in commercial.sudo().with_company(company)},)
            for company in companies
        }
        head = _table_row(
            "th", [self.env._("Company"), self.env._("Exposure"), self.env._("Overdue"), self.env._("Credit Limit")]
        )
        for partner in self:
            cp = partner.commercial_partner_id._origin
            if not cp:
                continue
            rows = []
            for company, (exposures, overdues, limits) in figures.items():
                currency = company.currency_id
                limit = limits.get(cp.id, 0.0)
                cells = [
                    company.name,
                    format_amount(self.env, exposures.get(cp.id, 0.0), currency),
                    format_amount(self.env, overdues.get(cp.id, 0.0), currency),
                    format_amount(self.env, limit, currency) if limit > 0 else "—",
                ]
                rows.append(_table_row("td", cells))
            partner.credit_company_exposure_html = Markup(
                "<table class='table table-sm o_credit_company_exposure'><thead>%s</thead><tbody>%s</tbody></table>"
            ) % (head, Markup("").join(rows))

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------
    @api.constrains("credit_group_id", "parent_id", "is_company", "company_id")
    def _check_credit_group_id(self):
        for partner in self.sudo().filtered("credit_group_id"):
            if partner.commercial_partner_id != partner:
                raise ValidationError(
                    self.env._(
                        "%(partner)s is a contact of %(company)s: put the company itself in the credit group.",
                        partner=partner.display_name,
                        company=partner.commercial_partner_id.display_name,
                    )
                )
            if partner.company_id and partner.company_id != partner.credit_group_id.company_id:
                raise ValidationError(
                    self.env._(
                        "%(partner)s belongs to %(company)s, the credit group %(group)s to another company.",
                        partner=partner.display_name,
                        company=partner.company_id.name,
                        group=partner.credit_group_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # ACTION
    # ------------------------------------------------------------------
    def action_credit_create_group(self):
        """A credit group of this company and its subsidiaries (the child companies, at any depth), with this
        company's name, in the current company; opens it so that the credit manager sets its limit."""
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a credit manager can create credit groups. Ask a credit manager."))
        parent = self.commercial_partner_id
        members = self.search([("id", "child_of", parent.id), ("is_company", "=", True)]) | parent
        members = members.filtered(lambda p: p.commercial_partner_id == p)
        grouped = members.filtered("credit_group_id")
        if grouped:
            raise UserError(
                self.env._(
                    "Already in a credit group: %(partners)s. Take them out of their group first.",
                    partners=", ".join(f"{p.display_name} ({p.credit_group_id.name})" for p in grouped),
                )
            )
        group = self.env["credit.group"].create({"name": parent.name, "company_id": self.env.company.id})
        members.write({"credit_group_id": group.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Group"),
            "res_model": "credit.group",
            "res_id": group.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_credit_view_group(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "credit.group",
            "res_id": self.commercial_partner_id.credit_group_id.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------
    def _credit_exposure_other_companies(self, company, exclude_orders=None, today=None):
        """``{partner id: exposure}`` of the commercial partners ``self`` in every company of the database but
        ``company`` (sudo: the limit counts them all, whoever asks), converted to ``company``'s currency at
        today's rate: one statement per other company, whatever the number of partners."""
        today = today or fields.Date.context_today(self)
        totals = defaultdict(float)
        for other in self.env["res.company"].sudo().search([("id", "!=", company.id)]):
            for partner_id, amount in self._credit_exposure_by_partner(other, exclude_orders=exclude_orders).items():
                totals[partner_id] += other.currency_id._convert(amount, company.currency_id, company, today)
        return {partner_id: company.currency_id.round(amount) for partner_id, amount in totals.items()}
