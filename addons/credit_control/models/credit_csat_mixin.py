from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

# The records a customer rates (see ``credit.csat.mixin``): their ratings are the CSAT of the KPI snapshots.
CSAT_MODELS = ("credit.dispute", "credit.payment.plan", "credit.action")
# A rating that counts as *satisfied*: Odoo's own threshold (4 or more out of 5; the survey's smileys give 5, 3, 1).
CSAT_SATISFIED = RATING_LIMIT_SATISFIED


class CreditCsatMixin(models.AbstractModel):
    """A record the customer is asked to rate once it is over: a dispute resolved or rejected, a payment plan
    paid in full, a follow-up call made. Odoo's ``rating.mixin`` does the rating itself (the one-click smileys of
    the email, the ``/rate/<token>/<score>`` page, the rating in the chatter); this adds *when* to ask.

    The request is optional per segment (``credit.segment.csat_enabled``) and sent once per record, whatever
    happens to it afterwards (``csat_requested``). It is queued in the mail queue, in the customer's language.
    Each model names its template in ``_csat_template``.
    """

    _name = "credit.csat.mixin"
    _inherit = ["rating.mixin"]
    _description = "Customer Satisfaction Survey"
    _csat_template = None

    csat_requested = fields.Boolean(
        string="Rating Requested",
        readonly=True,
        copy=False,
        help="The customer was asked to rate how this was handled (once per record).",
        groups="credit_control.group_credit_control_user",
    )

    # ------------------------------------------------------------------
    # CRUD: only the request sets the flag, so that nobody makes a customer be asked twice
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any("csat_requested" in vals for vals in vals_list):
            self._csat_raise_flag_by_hand()
        return super().create(vals_list)

    def write(self, vals):
        if "csat_requested" in vals and not self.env.su:
            self._csat_raise_flag_by_hand()
        return super().write(vals)

    def _csat_raise_flag_by_hand(self):
        raise AccessError(
            self.env._("Whether the customer was asked for a rating is set when the request is sent, not by hand.")
        )

    # ------------------------------------------------------------------
    # Rating configuration (rating.mixin)
    # ------------------------------------------------------------------

    def _rating_get_partner(self):
        """Who rates: the customer's invoicing contact (who deals with us about its invoices), else the customer."""
        customer = self.partner_id.commercial_partner_id
        contact = self.env["res.partner"].browse(customer.address_get(["invoice"])["invoice"])
        return contact or customer

    def _rating_get_operator(self):
        """Who is rated: the collector who handled the record, else the customer's collector."""
        user = self.user_id or self.partner_id.commercial_partner_id.with_company(self.company_id).credit_collector_id
        return user.partner_id

    # ------------------------------------------------------------------
    # Request
    # ------------------------------------------------------------------

    def _csat_send_request(self):
        """Ask the customers of these records to rate them: once per record, only where the customer's segment
        (in the record's company) asks for it and the customer has an email address. Queued, not sent now.
        Returns the records asked."""
        template = self._csat_template and self.env.ref(self._csat_template)
        asked = self.browse()
        for record in self.filtered(lambda r: not r.sudo().csat_requested and r._csat_enabled()):
            partner = record._rating_get_partner()
            if not partner.email:
                continue
            record.with_company(record.company_id).rating_send_request(
                template, lang=partner.lang or record.company_id.partner_id.lang, force_send=False
            )
            asked |= record
        # sudo: the flag is no business decision, and a closed record's workflow sets it
        asked.sudo().write({"csat_requested": True})
        return asked

    def _csat_enabled(self):
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id).sudo()
        return customer.credit_segment_id.csat_enabled

    def action_open_ratings(self):
        """The customer's ratings of this record."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.rating_rating_action_credit")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id), ("consumed", "=", True)]
        return action
