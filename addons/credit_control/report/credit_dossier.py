from odoo import api, fields, models
from odoo.tools import SQL

from ..models.credit_action import CALL_OUTCOMES

# one row per event; the id is the event's record id times 10 plus its kind's digit, unique over the union
DOSSIER_KINDS = [
    ("email", "Email"),
    ("call", "Call"),
    ("action", "Follow-up"),
    ("dispute", "Dispute"),
    ("promise", "Promise to Pay"),
    ("plan", "Payment Plan"),
    ("payment", "Payment"),
    ("note", "Note"),
]


class CreditDossier(models.Model):
    """A customer's credit history in one chronological list: follow-up actions (emails, calls with their
    outcome, letters…), disputes, promises, payment plans, payments received and notes. What a collector reads
    before picking up the phone. A SQL query over those tables (read only)."""

    _name = "credit.dossier"
    _description = "Customer Credit Dossier"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "description"

    date = fields.Date(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    kind = fields.Selection(DOSSIER_KINDS, readonly=True)
    description = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True)
    action_state = fields.Selection(
        lambda self: self.env["credit.action"]._fields["state"].selection, string="Follow-up Status", readonly=True
    )
    call_outcome = fields.Selection(CALL_OUTCOMES, readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Integer(string="Document", readonly=True)

    @property
    def _table_query(self):
        lang = self.env.lang or "en_US"
        return SQL(
            """
            SELECT act.id * 10 + CASE act.channel WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END AS id,
                   COALESCE(act.executed_on::date, act.date) AS date,
                   act.partner_id, act.company_id, comp.currency_id,
                   CASE act.channel WHEN 'email' THEN 'email' WHEN 'phone' THEN 'call' ELSE 'action' END AS kind,
                   CONCAT_WS(' – ', COALESCE(lvl.name ->> %(lang)s, lvl.name ->> 'en_US', act.summary), act.call_note,
                             act.skip_reason) AS description,
                   act.amount, act.state AS action_state, act.call_outcome,
                   COALESCE(act.executed_by_id, act.user_id) AS user_id,
                   'credit.action' AS res_model, act.id AS res_id
              FROM credit_action act
         LEFT JOIN credit_policy_level lvl ON lvl.id = act.level_id
              JOIN res_company comp ON comp.id = act.company_id
            UNION ALL
            SELECT dsp.id * 10 + 4, dsp.date_opened, dsp.partner_id, dsp.company_id, comp.currency_id, 'dispute',
                   CONCAT_WS(' – ', dsp.name, COALESCE(rsn.name ->> %(lang)s, rsn.name ->> 'en_US'), dsp.state,
                             dsp.description),
                   dsp.amount, NULL, NULL, dsp.user_id, 'credit.dispute', dsp.id
              FROM credit_dispute dsp
              JOIN credit_dispute_reason rsn ON rsn.id = dsp.reason_id
              JOIN res_company comp ON comp.id = dsp.company_id
            UNION ALL
            SELECT prm.id * 10 + 5, prm.create_date::date, prm.partner_id, prm.company_id, comp.currency_id,
                   'promise', CONCAT_WS(' – ', prm.date::text, prm.state, prm.note), prm.amount, NULL, NULL,
                   prm.create_uid, 'credit.promise', prm.id
              FROM credit_promise prm
              JOIN res_company comp ON comp.id = prm.company_id
            UNION ALL
            SELECT pln.id * 10 + 6, pln.create_date::date, pln.partner_id, pln.company_id, comp.currency_id, 'plan',
                   CONCAT_WS(' – ', pln.name, pln.state), pln.amount_total, NULL, NULL, pln.create_uid,
                   'credit.payment.plan', pln.id
              FROM credit_payment_plan pln
              JOIN res_company comp ON comp.id = pln.company_id
            UNION ALL
            SELECT pay.id * 10 + 7, pay.date, partner.commercial_partner_id, pay.company_id, pay.currency_id,
                   'payment', CONCAT_WS(' – ', pay.name, pay.memo), pay.amount, NULL, NULL, pay.create_uid,
                   'account.payment', pay.id
              FROM account_payment pay
              JOIN res_partner partner ON partner.id = pay.partner_id
             WHERE pay.payment_type = 'inbound' AND pay.partner_type = 'customer'
               AND pay.state NOT IN ('draft', 'canceled', 'rejected')
            UNION ALL
            SELECT msg.id * 10 + 8, msg.date::date, partner.commercial_partner_id, NULL, NULL, 'note',
                   LEFT(REGEXP_REPLACE(msg.body, '<[^>]+>', ' ', 'g'), 300), NULL, NULL, NULL, author.id,
                   'res.partner', partner.id
              FROM mail_message msg
              JOIN res_partner partner ON partner.id = msg.res_id
              JOIN mail_message_subtype subtype ON subtype.id = msg.subtype_id AND subtype.internal
              LEFT JOIN res_users author ON author.partner_id = msg.author_id
             WHERE msg.model = 'res.partner' AND msg.message_type = 'comment'
               AND NOT EXISTS (SELECT 1 FROM credit_action act WHERE act.mail_message_id = msg.id)
            """,
            lang=lang,
        )

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    @api.model
    def _action_for_partner(self, partner):
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dossier_action")
        partner = partner.commercial_partner_id
        action["domain"] = [("partner_id", "=", partner.id)]
        action["display_name"] = self.env._("Dossier of %(customer)s", customer=partner.name)
        return action
