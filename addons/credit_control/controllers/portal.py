from collections import defaultdict
from datetime import timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..tools.amount_input import AmountError, parse_amount

# What a customer may attach to a dispute: a few documents or photos, not a file store.
DISPUTE_ATTACHMENT_MAX_COUNT = 3
DISPUTE_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
DISPUTE_ATTACHMENT_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
# A promised date further away than this is no date but a typing error.
PROMISE_MAX_YEARS = 100


class CreditPortal(CustomerPortal):
    """The customer's credit pages: what is owed (/my/credit), disputes and payment plans.

    Every write goes through the models' ``_portal_*`` methods, called with sudo only after the
    invoices were checked to belong to the portal user's commercial partner.
    """

    # ------------------------------------------------------------------
    # Home
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "credit_open_count" in counters:
            values["credit_open_count"] = len(self._credit_open_invoices())
        if "credit_dispute_count" in counters:
            Dispute = request.env["credit.dispute"]
            values["credit_dispute_count"] = Dispute.search_count([]) if Dispute.has_access("read") else 0
        if "credit_plan_count" in counters:
            Plan = request.env["credit.payment.plan"]
            values["credit_plan_count"] = Plan.search_count([]) if Plan.has_access("read") else 0
        return values

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _credit_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _credit_open_invoices(self):
        """The open posted invoices of the user's commercial partner, oldest due first: those that Odoo's own
        invoice portal shows the user (its record rules and current companies), then read with sudo for the
        credit figures that portal users cannot read themselves."""
        return (
            request.env["account.move"]
            .search(
                [
                    *request.env["account.move"]._credit_open_invoice_domain(),
                    ("commercial_partner_id", "=", self._credit_partner().id),
                    ("company_id", "in", request.env.companies.ids),
                ],
                order="invoice_date_due, id",
            )
            .sudo()
        )

    def _credit_invoices_from_form(self, invoice_ids):
        """The open invoices the form names, refusing any id that is not one of the user's open invoices."""
        if not isinstance(invoice_ids, list):
            invoice_ids = [invoice_ids]
        try:
            ids = {int(invoice_id) for invoice_id in invoice_ids if invoice_id}
        except ValueError:
            ids = {0}
        if not ids:
            raise UserError(request.env._("Choose at least one open invoice."))
        invoices = self._credit_open_invoices().filtered(lambda move: move.id in ids)
        if len(invoices) != len(ids):
            raise UserError(request.env._("Choose only your own open invoices."))
        return invoices

    def _credit_page_values(self, **kwargs):
        invoices = self._credit_open_invoices()
        today = fields.Date.context_today(request.env.user)
        partner = self._credit_partner()
        lines = invoices.line_ids.filtered(lambda line: line.account_type == "asset_receivable" and not line.reconciled)
        totals, overdue = defaultdict(float), defaultdict(float)
        for invoice in invoices:
            totals[invoice.currency_id] += invoice.amount_residual
            if invoice.invoice_date_due and invoice.invoice_date_due < today:
                overdue[invoice.currency_id] += invoice.amount_residual
        company = invoices.company_id[:1] or request.env.company
        segment = partner.with_company(company).sudo().credit_segment_id
        return {
            "page_name": "credit",
            "partner": partner,
            "invoices": invoices,
            "today": today,
            "totals": dict(totals),
            "overdue": dict(overdue),
            "aging": request.env["res.partner"].sudo()._credit_aging(lines, today),
            "aging_currency": company.currency_id,
            "reasons": request.env["credit.dispute.reason"].sudo().search([]),
            "promises": request.env["credit.promise"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "in", request.env.companies.ids),
                    ("state", "in", ("proposed", "open")),
                ]
            ),
            "plan_max_installments": segment.credit_plan_max_installments,
            "paused": self._credit_paused_invoices(invoices),
            **kwargs,
        }

    def _credit_paused_invoices(self, invoices):
        """{invoice id: why its follow-up pauses} for the badges next to the invoices."""
        labels = {
            "credit.dispute": request.env._("Disputed"),
            "credit.payment.plan": request.env._("Payment plan"),
            "credit.promise": request.env._("Promised"),
        }
        # what pauses follow-up has one definition, on the invoice
        pauses = invoices._credit_pause_records()
        # an insolvency case pauses follow-up too, but is no badge of the customer's portal
        return {
            invoice.id: labels[shown[0]._name]
            for invoice, records in pauses.items()
            if (shown := [record for record in records if record._name in labels])
        }

    def _credit_render_error(self, error):
        return request.render("credit_control.portal_my_credit", self._credit_page_values(error=str(error)))

    # ------------------------------------------------------------------
    # What is owed
    # ------------------------------------------------------------------

    @http.route("/my/credit", type="http", auth="user", website=True)
    def portal_my_credit(self, **kwargs):
        message = {
            "promise": request.env._("Thank you: your promise is recorded. We pause our reminders until then."),
            "proposal": request.env._(
                "Thank you: we have received your proposal and will confirm it shortly. "
                "Until then our usual reminders go on."
            ),
        }.get(kwargs.get("done"))
        return request.render("credit_control.portal_my_credit", self._credit_page_values(message=message))

    @http.route("/my/credit/statement", type="http", auth="user", website=True)
    def portal_my_credit_statement(self, **kwargs):
        partner = self._credit_partner()
        pdf, _kind = (
            request.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("credit_control.action_report_credit_statement", partner.ids)
        )
        filename = request.env._("Statement %(customer)s.pdf", customer=partner.name)
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", http.content_disposition(filename)),
            ],
        )

    @http.route("/my/credit/dispute", type="http", auth="user", methods=["POST"], website=True)
    def portal_credit_dispute(self, invoice_id=None, reason_id=None, comment=None, **kwargs):
        try:
            invoices = self._credit_invoices_from_form(invoice_id)
            reason = self._credit_parse_reason(reason_id)
            files = self._credit_read_attachments(request.httprequest.files.getlist("attachment"))
            attachments = request.env["ir.attachment"]
            for name, raw in files:
                attachments |= (
                    request.env["ir.attachment"]
                    .sudo()
                    .create({"name": name, "raw": raw, "res_model": "mail.compose.message", "res_id": 0})
                )
            dispute = (
                request.env["credit.dispute"]
                .sudo()
                ._portal_create(request.env.user.partner_id, invoices, reason, comment, attachment_ids=attachments.ids)
            )
        except UserError as error:
            request.env.cr.rollback()
            return self._credit_render_error(error)
        return request.redirect(dispute.get_portal_url())

    @http.route("/my/credit/promise", type="http", auth="user", methods=["POST"], website=True)
    def portal_credit_promise(self, date=None, amount=None, **kwargs):
        try:
            invoices = self._credit_invoices_from_form(request.httprequest.form.getlist("invoice_ids"))
            promise_date = self._credit_parse_date(date)
            promise_amount = self._credit_parse_amount(amount, invoices.company_id.currency_id)
            promise = (
                request.env["credit.promise"]
                .sudo()
                ._portal_create(request.env.user.partner_id, invoices, promise_date, amount=promise_amount)
            )
        except UserError as error:
            request.env.cr.rollback()
            return self._credit_render_error(error)
        return request.redirect("/my/credit?done=%s" % ("proposal" if promise.state == "proposed" else "promise"))

    @http.route("/my/credit/payment_plan", type="http", auth="user", methods=["POST"], website=True)
    def portal_credit_payment_plan(self, installment_count=None, **kwargs):
        try:
            invoices = self._credit_invoices_from_form(request.httprequest.form.getlist("invoice_ids"))
            try:
                count = int(str(installment_count or "0").strip())
            except ValueError:
                count = 0
            plan = (
                request.env["credit.payment.plan"].sudo()._portal_request(request.env.user.partner_id, invoices, count)
            )
        except UserError as error:
            request.env.cr.rollback()
            return self._credit_render_error(error)
        return request.redirect(plan.get_portal_url())

    # ------------------------------------------------------------------
    # Reading the forms: every bad input is a UserError (the page's own error), never a crash
    # ------------------------------------------------------------------

    def _credit_parse_date(self, value):
        value = (value or "").strip() if isinstance(value, str) else ""
        if not value:
            raise UserError(request.env._("Choose the date you will pay."))
        try:
            date = fields.Date.to_date(value)
        except ValueError:
            date = None
        today = fields.Date.context_today(request.env.user)
        if not date or date > today + timedelta(days=365 * PROMISE_MAX_YEARS):
            raise UserError(request.env._("Enter the date as YYYY-MM-DD, e.g. %(date)s.", date=today))
        return date

    def _credit_parse_amount(self, value, currency):
        """The amount typed, read with the separators of the customer's language (``None``: nothing typed,
        which means everything open on the invoices chosen)."""
        if not isinstance(value, str) or not value.strip():
            return None
        lang = request.env["res.lang"]._get_data(code=request.env.lang or "en_US")
        decimal_point = lang.decimal_point or "."
        thousands_sep = lang.thousands_sep if lang.decimal_point else ","
        try:
            amount = parse_amount(value, decimal_point, thousands_sep, currency.decimal_places)
        except AmountError as error:
            example = f"1{thousands_sep}250{decimal_point}{'0' * currency.decimal_places}"
            if error.reason == "negative":
                raise UserError(request.env._("The promised amount must be more than zero.")) from None
            if error.reason == "ambiguous":
                raise UserError(
                    request.env._(
                        "We cannot tell which amount %(value)s means. Write it as %(example)s.",
                        value=value.strip(),
                        example=example,
                    )
                ) from None
            raise UserError(request.env._("Enter the amount as a number, e.g. %(example)s.", example=example)) from None
        return float(amount)

    def _credit_parse_reason(self, value):
        """An active dispute reason, from its id in the form."""
        try:
            reason_id = int(str(value or "0").strip())
        except ValueError:
            reason_id = 0
        reason = request.env["credit.dispute.reason"].browse(reason_id).exists() if 0 < reason_id < 2**31 else None
        if not reason or not reason.active:
            raise UserError(request.env._("Choose the reason of your dispute."))
        return reason

    def _credit_read_attachments(self, files):
        """[(name, content)] of the files sent with a dispute, within the count, size and type limits."""
        files = [file for file in files if file and file.filename]
        if len(files) > DISPUTE_ATTACHMENT_MAX_COUNT:
            raise UserError(request.env._("Attach at most %(count)s files.", count=DISPUTE_ATTACHMENT_MAX_COUNT))
        result = []
        for file in files:
            raw = file.read(DISPUTE_ATTACHMENT_MAX_BYTES + 1)
            if len(raw) > DISPUTE_ATTACHMENT_MAX_BYTES:
                raise UserError(
                    request.env._(
                        "%(file)s is larger than %(size)s MB: attach a smaller file.",
                        file=file.filename,
                        size=DISPUTE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
                    )
                )
            if guess_mimetype(raw) not in DISPUTE_ATTACHMENT_TYPES:
                raise UserError(
                    request.env._(
                        "%(file)s cannot be attached: attach a %(types)s file.",
                        file=file.filename,
                        types=", ".join(DISPUTE_ATTACHMENT_TYPES.values()),
                    )
                )
            result.append((file.filename, raw))
        return result

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------

    @http.route(["/my/disputes", "/my/disputes/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_disputes(self, page=1, **kwargs):
        Dispute = request.env["credit.dispute"]
        count = Dispute.search_count([])
        pager = portal_pager(url="/my/disputes", total=count, page=page, step=self._items_per_page)
        disputes = Dispute.search(
            [], order="date_opened desc, id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        return request.render(
            "credit_control.portal_my_disputes", {"page_name": "credit_dispute", "disputes": disputes, "pager": pager}
        )

    @http.route("/my/disputes/<int:dispute_id>", type="http", auth="public", website=True)
    def portal_my_dispute(self, dispute_id, access_token=None, **kwargs):
        try:
            dispute = self._document_check_access("credit.dispute", dispute_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            dispute, access_token, {"page_name": "credit_dispute", "dispute": dispute}, "my_disputes_history", False
        )
        return request.render("credit_control.portal_my_dispute", values)

    # ------------------------------------------------------------------
    # Payment plans
    # ------------------------------------------------------------------

    @http.route(["/my/payment_plans", "/my/payment_plans/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_payment_plans(self, page=1, **kwargs):
        Plan = request.env["credit.payment.plan"]
        count = Plan.search_count([])
        pager = portal_pager(url="/my/payment_plans", total=count, page=page, step=self._items_per_page)
        plans = Plan.search([], order="id desc", limit=self._items_per_page, offset=pager["offset"])
        return request.render(
            "credit_control.portal_my_payment_plans", {"page_name": "credit_plan", "plans": plans, "pager": pager}
        )

    @http.route("/my/payment_plans/<int:plan_id>", type="http", auth="public", website=True)
    def portal_my_payment_plan(self, plan_id, access_token=None, report_type=None, download=False, **kwargs):
        try:
            plan = self._document_check_access("credit.payment.plan", plan_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=plan,
                report_type=report_type,
                report_ref="credit_control.action_report_credit_payment_plan",
                download=download,
            )
        values = self._get_page_view_values(
            plan, access_token, {"page_name": "credit_plan", "plan": plan}, "my_payment_plans_history", False
        )
        return request.render("credit_control.portal_my_payment_plan", values)
