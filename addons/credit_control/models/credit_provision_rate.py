from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditProvisionRate(models.Model):
    """The percentage of a company's open receivables of one aging bucket that the provision for doubtful debts
    (voorziening dubieuze debiteuren) sets aside, for all customers or for the customers of one segment.

    A segment's rate applies to its customers instead of the company's general rate of the bucket; a bucket
    without a rate is provided at 0 %. Customers in an open insolvency case are provided at the company's
    insolvency percentage (Settings) instead, whatever the bucket."""

    _name = "credit.provision.rate"
    _description = "Provision Rate"
    _order = "company_id, segment_id desc, bucket"
    _rec_name = "bucket"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    # the aging's buckets (``credit.aging.report``); a method, as the report is loaded after the models
    bucket = fields.Selection(selection="_selection_bucket", string="Age", required=True)
    segment_id = fields.Many2one(
        "credit.segment",
        check_company=True,
        ondelete="cascade",
        help="Only for the customers of this segment; empty: for every customer whose segment has no rate of its "
        "own for this age.",
    )
    # a percentage is not an amount: a group of rates has no sum
    percent = fields.Float(string="Provision (%)", digits=(5, 2), required=True, aggregator=None)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("percent_range", "CHECK(percent >= 0 AND percent <= 100)", "A provision rate is between 0 and 100 %."),
    ]

    @api.model
    def _selection_bucket(self):
        return self.env["credit.aging.report"]._fields["bucket"]._description_selection(self.env)

    @api.constrains("company_id", "bucket", "segment_id", "active")
    def _check_unique(self):
        groups = self.with_context(active_test=True)._read_group(
            [
                ("company_id", "in", self.company_id.ids),
                ("bucket", "in", self.mapped("bucket")),
            ],
            ["company_id", "bucket", "segment_id"],
            ["__count"],
        )
        if any(count > 1 for _company, _bucket, _segment, count in groups):
            raise ValidationError(
                self.env._("There is already a provision rate for this age (and segment) in this company.")
            )

    @api.model
    def _rates(self, company):
        """{(bucket, segment id or None): percent} of the company's active rates; one query."""
        return {
            (rate.bucket, rate.segment_id.id or None): rate.percent
            for rate in self.sudo().search([("company_id", "=", company.id)])
        }
