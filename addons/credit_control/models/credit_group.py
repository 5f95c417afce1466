from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditGroup(models.Model):
    """Customers that share one credit limit: a parent company with its subsidiaries, or customers grouped by
    hand. The group's exposure is the sum of its members' exposure (in the group's company; in every company
    when the company counts all of them, see ``res.company.credit_limit_all_companies``). An order of a member
    is blocked when either the member's own limit or the group's limit would be exceeded."""

    _name = "credit.group"
    _description = "Credit Group"
    _inherit = ["mail.thread"]
    _order = "name, id"

    # ------------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------------
    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    credit_limit = fields.Monetary(
        string="Group Limit",
        tracking=True,
        help="What all members together may owe in the company's currency; no group limit when zero.",
    )
    member_ids = fields.One2many(
        "res.partner", "credit_group_id", string="Members", help="Commercial partners (companies or individuals)."
    )
    member_count = fields.Integer(string="Number of Members", compute="_compute_member_count")
    exposure = fields.Monetary(
        compute="_compute_exposure",
        help="The members' exposure added up: open receivables + draft invoices + confirmed orders not yet "
        "invoiced, in the company's currency.",
    )
    available = fields.Monetary(
        string="Available Credit",
        compute="_compute_exposure",
        help="Group limit minus the group's exposure; empty when the group has no limit.",
    )
    over_limit = fields.Boolean(string="Over Group Limit", compute="_compute_exposure", search="_search_over_limit")
    note = fields.Html()

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------
    @api.depends("member_ids")
    def _compute_member_count(self):
        counts = {
            group.id: count
            for group, count in self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            ._read_group([("credit_group_id", "in", self.ids)], ["credit_group_id"], ["__count"])
        }
        for group in self:
            group.member_count = counts.get(group._origin.id, 0)

    @api.depends("member_ids", "credit_limit", "company_id")
    def _compute_exposure(self):
        exposures = self._origin._credit_exposure()
        for group in self:
            group.exposure = exposures.get(group._origin.id, 0.0)
            limit = group.credit_limit
            group.available = limit - group.exposure if limit > 0 else 0.0
            group.over_limit = limit > 0 and group.currency_id.compare_amounts(group.exposure, limit) > 0

    def _search_over_limit(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search credit groups as over their limit or not."))
        groups = self.search([("credit_limit", ">", 0)])
        over = groups.filtered("over_limit")
        return [("id", "in" if (operator == "=") == value else "not in", over.ids)]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def write(self, vals):
        before = {group.id: group.credit_limit for group in self} if "credit_limit" in vals else {}
        result = super().write(vals)
        if before:
            self._credit_record_limits(before)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        groups = super().create(vals_list)
        groups.filtered("credit_limit")._credit_record_limits({group.id: 0.0 for group in groups})
        return groups

    def _credit_record_limits(self, before):
        """Keep each change of a group limit in ``credit.limit.history`` (the chatter tracks it too), with the
        reason from the context key ``credit_limit_reason``."""
        reason = self.env.context.get("credit_limit_reason") or self.env._("changed on the credit group")
        rows = [
            {
                "group_id": group.id,
                "company_id": group.company_id.id,
                "old_limit": before[group.id],
                "new_limit": group.credit_limit,
                "reason": reason,
                "user_id": self.env.uid,
            }
            for group in self
            if group.id in before and group.currency_id.compare_amounts(before[group.id], group.credit_limit)
        ]
        if rows:
            self.env["credit.limit.history"].sudo().create(rows)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------
    def _credit_members(self):
        """All members of the groups ``self``, archived ones included (what they owe still counts); sudo: the
        credit check runs for salespeople, who may not read the groups."""
        return (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch([("credit_group_id", "in", self.ids)], ["credit_group_id"])
        )

    def _credit_exposure(self, exclude_orders=None):
        """``{group id: exposure}`` of the groups ``self``, in each group's company currency: the members'
        exposure from one statement per company for the members of all groups (plus one per other company
        when the company counts the exposure of all companies), however many members."""
        result = defaultdict(float)
        groups = self.sudo().filtered("id")
        if not groups:
            return result
        members = groups._credit_members()
        for company in groups.company_id:
            company_members = members.filtered(lambda p, company=company: p.credit_group_id.company_id == company)
            if not company_members:
                continue
            exposures = company_members._credit_exposure_by_partner(company, exclude_orders=exclude_orders)
            others = (
                company_members._credit_exposure_other_companies(company, exclude_orders=exclude_orders)
                if company.credit_limit_all_companies
                else {}
            )
            for member in company_members:
                result[member.credit_group_id.id] += exposures.get(member.id, 0.0) + others.get(member.id, 0.0)
        for group in groups:
            result[group.id] = group.currency_id.round(result[group.id])
        return result

    def action_credit_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.res_partner_credit_action")
        action.update(
            name=self.env._("Members of %(group)s", group=self.name),
            domain=[("credit_group_id", "=", self.id)],
            context={"res_partner_search_mode": "customer"},
        )
        return action
