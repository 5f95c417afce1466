from odoo import api, fields, models


class CreditRatingImportLine(models.TransientModel):
    _name = "credit.rating.import.line"
    _description = "Credit Rating Import Line"
    _order = "status_order, line_number"

    import_id = fields.Many2one("credit.rating.import", required=True, ondelete="cascade")
    line_number = fields.Integer(string="Line")
    identifier = fields.Char(string="VAT / Registry No.")
    partner_id = fields.Many2one("res.partner", string="Customer")
    rating = fields.Char()
    previous_rating = fields.Char(related="partner_id.credit_rating", string="Current Rating")
    advised_limit = fields.Float(digits="Account")
    rating_date = fields.Date()
    status = fields.Selection(
        [
            ("matched", "Matched"),
            ("unmatched", "No Match"),
            ("ambiguous", "Several Matches"),
            ("invalid", "Unreadable"),
        ],
        required=True,
    )
    status_order = fields.Integer(compute="_compute_status_order", store=True)
    message = fields.Char()

    @api.depends("status")
    def _compute_status_order(self):
        order = {"unmatched": 0, "ambiguous": 1, "invalid": 2, "matched": 3}
        for line in self:
            line.status_order = order.get(line.status, 9)
