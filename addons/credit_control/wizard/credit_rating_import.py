import base64
import csv
import io
import re
from datetime import datetime

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Column names bureaus use (Graydon, Creditsafe, Companyweb portfolio files), lower case, in English, Dutch and French.
COLUMNS = {
    "vat": ("vat", "vat number", "vat_number", "btw", "btw-nummer", "btw nummer", "tva", "numéro tva", "vat no"),
    "registry": (
        "registry",
        "company registry",
        "company_registry",
        "kvk",
        "kvk-nummer",
        "kvk nummer",
        "coc",
        "kbo",
        "kbo-nummer",
        "ondernemingsnummer",
        "numéro d'entreprise",
        "bce",
        "registration number",
    ),
    "rating": ("rating", "grade", "score", "rating grade", "credit score", "credit rating", "klasse", "cote"),
    "limit": (
        "advised limit",
        "advised_limit",
        "credit limit",
        "credit_limit",
        "limit",
        "kredietlimiet",
        "kredietadvies",
        "limite",
        "limite de crédit",
    ),
    "date": ("date", "rating date", "rating_date", "datum", "peildatum"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d")


def normalize_identifier(value):
    """Upper case, letters and digits only: 'NL 8530.92.116.B01' and 'nl853092116b01' are the same VAT."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def parse_amount(value):
    """'25.000,00', '25,000.00', '25000' and '€ 25 000' read as 25000.0; '' as None."""
    text = re.sub(r"[^0-9,.\-]", "", value or "")
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif "," in text:
        whole, _sep, decimals = text.rpartition(",")
        text = f"{whole.replace(',', '')}.{decimals}" if len(decimals) != 3 else text.replace(",", "")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.rpartition(".")[2]) == 3):
        text = text.replace(".", "")
    return float(text)


def parse_date(value):
    value = (value or "").strip()
    if not value:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


class CreditRatingImport(models.TransientModel):
    """Import a bureau's portfolio file (CSV: VAT or company registry number, grade or score, advised limit,
    date). *Preview* matches each line to exactly one customer by its VAT or registry number; lines that match
    none or several are listed and never applied. *Import* writes the matched ratings: each change lands in the
    rating history, and a drop raises the early warning."""

    _name = "credit.rating.import"
    _description = "Import Credit Ratings"

    file = fields.Binary(string="Bureau File", required=True)
    filename = fields.Char()
    source = fields.Char(
        required=True, default="Graydon", help="The bureau, written on every rating: Graydon, Creditsafe, Companyweb."
    )
    state = fields.Selection([("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload")
    line_ids = fields.One2many("credit.rating.import.line", "import_id", string="Lines")
    matched_count = fields.Integer(compute="_compute_counts")
    unmatched_count = fields.Integer(compute="_compute_counts")
    imported_count = fields.Integer(readonly=True)

    @api.depends("line_ids.status")
    def _compute_counts(self):
        for wizard in self:
            wizard.matched_count = len(wizard.line_ids.filtered(lambda line: line.status == "matched"))
            wizard.unmatched_count = len(wizard.line_ids) - wizard.matched_count

    def _check_rights(self):
        if not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise UserError(self.env._("Only credit staff can import credit ratings."))

    def _read_rows(self):
        raw = base64.b64decode(self.file or b"")
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
        except csv.Error:
            dialect = csv.excel
            dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(io.StringIO(text), dialect)
        header = next(reader, None)
        if not header:
            raise UserError(self.env._("The file is empty."))
        names = [cell.strip().lower() for cell in header]
        index = {}
        for key, aliases in COLUMNS.items():
            for position, name in enumerate(names):
                if name in aliases:
                    index.setdefault(key, position)
        if "vat" not in index and "registry" not in index:
            raise UserError(
                self.env._(
                    "The file needs a column with the VAT number or the company registry number (KvK, KBO); "
                    "found: %(columns)s.",
                    columns=", ".join(header),
                )
            )
        if "rating" not in index:
            raise UserError(
                self.env._(
                    "The file needs a column with the grade or score; found: %(columns)s.", columns=", ".join(header)
                )
            )
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            yield number, {key: (row[pos].strip() if pos < len(row) else "") for key, pos in index.items()}

    def _match(self, vats, registries):
        """``{identifier: [partner ids]}``: the commercial partners whose normalised VAT or registry number is
        one of those given (one query), among those the user may read."""
        if not vats and not registries:
            return {}, {}
        self.env["res.partner"].flush_model(["vat", "company_registry", "commercial_partner_id", "active"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id,
                       regexp_replace(upper(coalesce(vat, '')), '[^0-9A-Z]', '', 'g'),
                       regexp_replace(upper(coalesce(company_registry, '')), '[^0-9A-Z]', '', 'g')
                  FROM res_partner
                 WHERE active AND id = commercial_partner_id
                   AND (regexp_replace(upper(coalesce(vat, '')), '[^0-9A-Z]', '', 'g') = ANY(%(vats)s)
                        OR regexp_replace(upper(coalesce(company_registry, '')), '[^0-9A-Z]', '', 'g')
                           = ANY(%(registries)s))
                """,
                vats=list(vats),
                registries=list(registries),
            )
        )
        readable = set(self.env["res.partner"].browse([row[0] for row in rows])._filtered_access("read").ids)
        by_vat, by_registry = {}, {}
        for partner_id, vat, registry in rows:
            if partner_id not in readable:
                continue
            if vat in vats:
                by_vat.setdefault(vat, []).append(partner_id)
            if registry in registries:
                by_registry.setdefault(registry, []).append(partner_id)
        return by_vat, by_registry

    def action_preview(self):
        self.ensure_one()
        self._check_rights()
        rows = list(self._read_rows())
        vats = {normalize_identifier(row.get("vat")) for _n, row in rows} - {""}
        registries = {normalize_identifier(row.get("registry")) for _n, row in rows} - {""}
        by_vat, by_registry = self._match(vats, registries)
        lines = []
        for number, row in rows:
            vat, registry = normalize_identifier(row.get("vat")), normalize_identifier(row.get("registry"))
            values = {
                "line_number": number,
                "identifier": row.get("vat") or row.get("registry") or "",
                "rating": row.get("rating") or False,
            }
            try:
                values["advised_limit"] = parse_amount(row.get("limit")) or 0.0
                values["rating_date"] = parse_date(row.get("date"))
            except ValueError as error:
                lines.append(
                    dict(values, status="invalid", message=self.env._("Cannot read %(value)s.", value=str(error)))
                )
                continue
            candidates = set(by_vat.get(vat, [])) | set(by_registry.get(registry, []))
            if not values["rating"]:
                lines.append(dict(values, status="invalid", message=self.env._("No grade or score.")))
            elif not candidates:
                lines.append(
                    dict(values, status="unmatched", message=self.env._("No customer has this VAT or registry number."))
                )
            elif len(candidates) > 1:
                lines.append(
                    dict(
                        values,
                        status="ambiguous",
                        message=self.env._("%(count)s customers have this number: not applied.", count=len(candidates)),
                    )
                )
            else:
                lines.append(dict(values, status="matched", partner_id=candidates.pop()))
        self.write({"line_ids": [Command.clear()] + [Command.create(values) for values in lines], "state": "preview"})
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        self._check_rights()
        matched = self.line_ids.filtered(lambda line: line.status == "matched")
        if not matched:
            raise UserError(self.env._("No line matches a customer: nothing to import."))
        # one write per distinct set of values (the history and the drop warning follow every write)
        groups = {}
        for line in matched:
            key = (line.rating, line.rating_date or fields.Date.context_today(self), line.advised_limit)
            groups.setdefault(key, self.env["res.partner"])
            groups[key] |= line.partner_id
        Partner = self.env["res.partner"].with_context(credit_rating_import=self.filename or self.source)
        for (rating, rating_date, limit), partners in groups.items():
            Partner.browse(partners.ids).write(
                {
                    "credit_rating": rating,
                    "credit_rating_date": rating_date,
                    "credit_rating_source": self.source,
                    "credit_rating_advised_limit": limit,
                }
            )
        self.write({"state": "done", "imported_count": len(matched)})
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import Credit Ratings"),
        }
