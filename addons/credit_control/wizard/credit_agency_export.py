import csv
import io

from odoo import fields, models
from odoo.exceptions import UserError


class CreditAgencyExport(models.TransientModel):
    """The CSV file a collection agency needs: the debtor, the claim and its documents, per item."""

    _name = "credit.agency.export"
    _description = "Export Items Handed Over to a Collection Agency"

    agency_id = fields.Many2one("res.partner", required=True, string="Collection Agency")
    date_from = fields.Date(string="Handed Over Since", help="Leave empty for every item still with the agency.")
    open_only = fields.Boolean(string="Still Open Only", default=True)

    HEADER = [
        "customer_ref",
        "customer",
        "vat",
        "street",
        "zip",
        "city",
        "country",
        "email",
        "phone",
        "invoice",
        "invoice_date",
        "due_date",
        "days_overdue",
        "original_amount",
        "open_amount",
        "currency",
        "handed_over_on",
    ]

    def _lines(self):
        domain = [
            ("credit_agency_id", "=", self.agency_id.id),
            ("company_id", "=", self.env.company.id),
        ]
        if self.date_from:
            domain.append(("credit_agency_date", ">=", self.date_from))
        if self.open_only:
            domain.append(("reconciled", "=", False))
        return self.env["account.move.line"].search(domain, order="partner_id, date_maturity, id")

    def _csv(self):
        today = fields.Date.context_today(self)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(self.HEADER)
        for line in self._lines():
            partner = line.partner_id.commercial_partner_id
            writer.writerow(
                [
                    partner.ref or partner.id,
                    partner.name,
                    partner.vat or "",
                    partner.street or "",
                    partner.zip or "",
                    partner.city or "",
                    partner.country_id.code or "",
                    partner.email or "",
                    partner.phone or partner.mobile or "",
                    line.move_id.name,
                    line.move_id.invoice_date or line.date,
                    line.date_maturity or "",
                    max((today - line.date_maturity).days, 0) if line.date_maturity else 0,
                    f"{line.balance:.2f}",
                    f"{line.amount_residual:.2f}",
                    line.company_currency_id.name,
                    line.credit_agency_date or "",
                ]
            )
        return buffer.getvalue()

    def action_export(self):
        self.ensure_one()
        if not self._lines():
            raise UserError(
                self.env._("Nothing was handed over to %(agency)s for this selection.", agency=self.agency_id.name)
            )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.agency_id.name} {fields.Date.context_today(self)}.csv",
                "raw": self._csv().encode("utf-8"),
                "mimetype": "text/csv",
                "res_model": "res.partner",
                "res_id": self.agency_id.id,
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}
