from odoo import api, fields, models
from odoo.tools import formatLang

from ..report.credit_aging_report import BUCKETS


class CreditProvisionLine(models.TransientModel):
    """A line of the provision's preview: the open receivables of one aging bucket (of one segment, when the
    segment has its own rate), or of the customers in an open insolvency case, and their provision."""

    _name = "credit.provision.line"
    _description = "Provision for Doubtful Debts Line"
    _order = "sequence, id"

    wizard_id = fields.Many2one("credit.provision", string="Preview", required=True, ondelete="cascade")
    sequence = fields.Integer()
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    kind = fields.Selection([("bucket", "Age"), ("insolvency", "Insolvency Cases")], required=True)
    bucket = fields.Selection(BUCKETS, string="Age")
    segment_id = fields.Many2one("credit.segment", help="The segment whose own rate applies; empty: the general rate.")
    name = fields.Char(string="Label", compute="_compute_name")
    base_amount = fields.Monetary(
        string="Open Amount", help="What the customers owe at the month end, net of their credits."
    )
    # a percentage is not an amount: a group of lines has no sum
    percent = fields.Float(string="Rate (%)", digits=(5, 2), aggregator=None)
    amount = fields.Monetary(string="Provision")

    @api.depends("kind", "bucket", "segment_id", "percent")
    def _compute_name(self):
        for line in self:
            line.name = self._line_label(
                {"kind": line.kind, "bucket": line.bucket, "segment_id": line.segment_id.id, "percent": line.percent}
            )

    @api.model
    def _line_label(self, vals):
        """The line's label in the context's language, e.g. '31-60 Days, segment Retail, 10.00 %'."""
        if vals["kind"] == "insolvency":
            what = self.env._("customers in an insolvency case")
        else:
            what = dict(self._fields["bucket"]._description_selection(self.env)).get(vals["bucket"], "")
        if vals.get("segment_id"):
            segment = self.env["credit.segment"].sudo().browse(vals["segment_id"])
            what = self.env._("%(age)s, segment %(segment)s", age=what, segment=segment.display_name)
        return self.env._("%(what)s at %(percent)s %%", what=what, percent=formatLang(self.env, vals["percent"]))
