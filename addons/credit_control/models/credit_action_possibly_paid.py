"""No reminder for what is already paid: a reminder waits as *possibly paid* while money has arrived unmatched.

Before a reminder (or a call) is sent or proposed, the run looks for money that has arrived but is not yet matched
with the customer's invoices, in one query for all the actions of a batch (``_credit_possibly_paid_sql``):

* an unreconciled bank or cash statement line of the customer (the customer itself or one of its contacts);
* an unreconciled statement line, of any partner or none, whose label names one of the action's invoices (its
  number or its payment reference, case, spaces, dashes, slashes and dots ignored);
* an unreconciled statement line without partner whose amount is an open item's open amount, in the item's
  currency, dated on or after the item;
* a posted receipt of the customer still open on the receivable account: a customer payment, or a statement line
  booked on the receivable, not yet reconciled with an invoice.

Such an action is flagged (``possibly_paid``), with the evidence, and is not executed: it stays proposed on the
worklist until the collector reconciles (Odoo's own reconciliation; the run then withdraws the paid items' step) or
sends it anyway (*Send Anyway*, logged in the action's chatter). The check is made again when an action is executed
(``_execute``), for the actions being executed, so that an approval does not send past new evidence; a reminder
sent anyway is not held again.
"""

from collections import defaultdict

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from .credit_policy_level import CONTACT_CHANNELS

# a label's part that names an invoice: at least this many letters and digits (no match on "1" or "2026")
MIN_KEY_LENGTH = 4


class CreditAction(models.Model):
    _inherit = "credit.action"

    possibly_paid = fields.Boolean(
        readonly=True,
        index=True,
        copy=False,
        help="Money has arrived that is not yet matched with the customer's invoices (a bank statement line or a "
        "payment): the reminder waits until the collector reconciles it or sends the reminder anyway.",
    )
    possibly_paid_evidence = fields.Html(
        readonly=True,
        copy=False,
        sanitize=False,
        groups="credit_control.group_credit_control_user",
        help="The bank statement lines and payments found, with their date, amount and label.",
    )
    possibly_paid_statement_line_ids = fields.Many2many(
        "account.bank.statement.line",
        "credit_action_possibly_paid_st_line_rel",
        "action_id",
        "statement_line_id",
        string="Unmatched Bank Lines",
        readonly=True,
        copy=False,
        groups="credit_control.group_credit_control_user",
    )
    possibly_paid_payment_ids = fields.Many2many(
        "account.payment",
        "credit_action_possibly_paid_payment_rel",
        "action_id",
        "payment_id",
        string="Unallocated Payments",
        readonly=True,
        copy=False,
        groups="credit_control.group_credit_control_user",
        help="The customer's posted payments not yet reconciled with an invoice.",
    )
    possibly_paid_acknowledged = fields.Boolean(
        string="Sent Anyway",
        readonly=True,
        copy=False,
        help="The collector saw the evidence and sent the reminder anyway.",
    )

    # ------------------------------------------------------------------
    # The evidence, set-based
    # ------------------------------------------------------------------

    def _credit_possibly_paid_sql(self):
        """The evidence for these actions (reminders and calls, not arrangement checks), one row per action and
        piece of evidence: action_id, kind ('partner', 'label', 'amount', 'receipt'), statement_line_id, line_id
        (the receivable item of a receipt), payment_id, move_id (the journal entry to open), date, amount,
        currency_id, label, item (the invoice named or whose amount is matched)."""
        key = SQL("regexp_replace(lower(%s), '[\\s./-]+', '', 'g')", SQL("inv.name"))
        ref_key = SQL("regexp_replace(lower(COALESCE(inv.payment_reference, '')), '[\\s./-]+', '', 'g')")
        return SQL(
            """
            WITH act AS (
                SELECT a.id, a.partner_id, a.company_id
                  FROM credit_action a
                 WHERE a.id = ANY(%(ids)s)
                   AND a.channel IN %(channels)s
                   AND a.arrangement_check IS NULL
            ),
            item AS (
                SELECT act.id AS action_id, act.company_id, aml.currency_id, aml.amount_residual_currency AS residual,
                       aml.date, inv.name AS item,
                       %(key)s AS name_key, %(ref_key)s AS ref_key
                  FROM act
                  JOIN credit_action_account_move_line_rel rel ON rel.action_id = act.id
                  JOIN account_move_line aml ON aml.id = rel.line_id
                  JOIN account_move inv ON inv.id = aml.move_id
                 WHERE NOT aml.reconciled
            ),
            st AS (
                SELECT st.id, st.company_id, st.move_id, mv.date, st.partner_id, p.commercial_partner_id,
                       COALESCE(st.foreign_currency_id, st.currency_id) AS currency_id,
                       CASE WHEN st.foreign_currency_id IS NOT NULL THEN st.amount_currency ELSE st.amount END
                           AS amount,
                       st.payment_ref AS label,
                       regexp_replace(lower(COALESCE(st.payment_ref, '')), '[\\s./-]+', '', 'g') AS label_key
                  FROM account_bank_statement_line st
                  JOIN account_move mv ON mv.id = st.move_id AND mv.state = 'posted'
                  JOIN account_journal jr ON jr.id = st.journal_id AND jr.type IN ('bank', 'cash')
             LEFT JOIN res_partner p ON p.id = st.partner_id
                 WHERE st.company_id IN (SELECT company_id FROM act)
                   AND NOT COALESCE(st.is_reconciled, FALSE)
                   AND st.amount > 0
            )
            -- (a) the customer's own unmatched bank lines
            SELECT act.id AS action_id, 'partner' AS kind, st.id AS statement_line_id, NULL::int AS line_id,
                   NULL::int AS payment_id, st.move_id, st.date, st.amount, st.currency_id, st.label,
                   NULL::varchar AS item
              FROM act JOIN st ON st.company_id = act.company_id AND st.commercial_partner_id = act.partner_id
            UNION ALL
            -- (b) a bank line, of any partner or none, whose label names one of the action's invoices
            SELECT DISTINCT ON (item.action_id, st.id)
                   item.action_id, 'label', st.id, NULL, NULL, st.move_id, st.date, st.amount, st.currency_id,
                   st.label, item.item
              FROM item JOIN act ON act.id = item.action_id
              JOIN st ON st.company_id = item.company_id
                     AND st.commercial_partner_id IS DISTINCT FROM act.partner_id
                     AND ((length(item.name_key) >= %(min_key)s
                           AND st.label_key ~ ('(^|[^0-9])' || item.name_key || '($|[^0-9])'))
                       OR (length(item.ref_key) >= %(min_key)s
                           AND st.label_key ~ ('(^|[^0-9])' || item.ref_key || '($|[^0-9])')))
             -- decided once, before the actions' items are read: without an unmatched bank line, (b) and (c)
             -- have nothing to match them with (most of a batch's query time otherwise)
             WHERE EXISTS (SELECT 1 FROM st)
            UNION ALL
            -- (c) a bank line without partner for an open item's exact open amount, in the item's currency
            SELECT DISTINCT ON (item.action_id, st.id)
                   item.action_id, 'amount', st.id, NULL, NULL, st.move_id, st.date, st.amount, st.currency_id,
                   st.label, item.item
              FROM item
              JOIN st ON st.company_id = item.company_id
                     AND st.partner_id IS NULL
                     AND st.currency_id = item.currency_id
                     AND st.amount = item.residual
                     AND st.date >= item.date
                     AND NOT (length(item.name_key) >= %(min_key)s
                              AND st.label_key ~ ('(^|[^0-9])' || item.name_key || '($|[^0-9])'))
                     AND NOT (length(item.ref_key) >= %(min_key)s
                              AND st.label_key ~ ('(^|[^0-9])' || item.ref_key || '($|[^0-9])'))
             WHERE EXISTS (SELECT 1 FROM st WHERE st.partner_id IS NULL)
            UNION ALL
            -- (d) the customer's receipts still open on the receivable: payments, bank lines booked there
            SELECT act.id, 'receipt', rec.statement_line_id, rec.id, rec.payment_id, rec.move_id, rec.date,
                   -rec.amount_residual_currency, rec.currency_id,
                   COALESCE(NULLIF(rec.name, ''), NULLIF(rec_move.ref, ''), rec_move.name), NULL
              FROM act
              JOIN res_partner p ON p.commercial_partner_id = act.partner_id
              JOIN account_move_line rec ON rec.partner_id = p.id AND rec.company_id = act.company_id
              JOIN account_account acc ON acc.id = rec.account_id
              JOIN account_move rec_move ON rec_move.id = rec.move_id
             WHERE (rec.payment_id IS NOT NULL OR rec.statement_line_id IS NOT NULL)
               AND rec.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT rec.reconciled
               AND rec.amount_residual < 0
            UNION ALL
            -- (e) the customer's payments without journal entry (no outstanding account), for no invoice or for
            -- one of the action's
            SELECT act.id, 'receipt', NULL, NULL, pay.id, NULL, pay.date, pay.amount, pay.currency_id, pay.memo, NULL
              FROM act
              JOIN res_partner p ON p.commercial_partner_id = act.partner_id
              JOIN account_payment pay ON pay.partner_id = p.id AND pay.company_id = act.company_id
             WHERE pay.move_id IS NULL
               AND pay.state IN ('in_process', 'paid')
               AND pay.payment_type = 'inbound'
               AND pay.partner_type = 'customer'
               AND (NOT EXISTS (SELECT 1 FROM account_move__account_payment link WHERE link.payment_id = pay.id)
                    OR EXISTS (
                        SELECT 1
                          FROM account_move__account_payment link
                          JOIN account_move_line aml ON aml.move_id = link.invoice_id
                          JOIN credit_action_account_move_line_rel rel ON rel.line_id = aml.id
                         WHERE link.payment_id = pay.id AND rel.action_id = act.id))
          ORDER BY 1, 7, 3, 4
            """,
            ids=self.ids,
            channels=CONTACT_CHANNELS,
            key=key,
            ref_key=ref_key,
            min_key=MIN_KEY_LENGTH,
        )

    def _credit_possibly_paid_evidence(self):
        """{action id: [evidence row dicts]} for these actions, in one query."""
        if not self:
            return {}
        self.env.flush_all()
        evidence = defaultdict(list)
        for row in self.env.execute_query_dict(self._credit_possibly_paid_sql()):
            evidence[row["action_id"]].append(row)
        return evidence

    def _credit_possibly_paid_html(self, rows):
        """The evidence as the worklist shows it: one line per bank line or receipt, with a link to its entry."""
        self.ensure_one()
        currencies = self.env["res.currency"].browse({row["currency_id"] for row in rows if row["currency_id"]})
        currency = {c.id: c for c in currencies}
        items = []
        for row in rows:
            amount = format_amount(self.env, row["amount"] or 0.0, currency.get(row["currency_id"], self.currency_id))
            if row["kind"] == "partner":
                why = self.env._("bank line of the customer, not yet reconciled")
            elif row["kind"] == "label":
                why = self.env._("bank line whose label names %(invoice)s", invoice=row["item"])
            elif row["kind"] == "amount":
                why = self.env._("bank line without customer for the open amount of %(invoice)s", invoice=row["item"])
            else:
                why = self.env._("receipt of the customer not yet allocated to an invoice")
            link = (
                f"/odoo/account.payment/{row['payment_id']}"
                if row["payment_id"]
                else f"/odoo/account.move/{row['move_id']}"
            )
            items.append(
                Markup('<li><a href="%s">%s</a> %s, %s: %s</li>')
                % (link, format_date(self.env, row["date"]), amount, row["label"] or "", why)
            )
        return Markup("<ul>%s</ul>") % Markup("").join(items)

    def _credit_flag_possibly_paid(self):
        """Flag those of these actions for which money arrived unmatched, with the evidence; clear the flag of the
        others. A fixed number of queries whatever the number of actions. Returns the actions flagged."""
        actions = self.filtered(lambda a: a.channel in CONTACT_CHANNELS and not a.arrangement_check)
        if not actions:
            return self.browse()
        evidence = actions._credit_possibly_paid_evidence()
        flagged = actions.filtered(lambda a: a.id in evidence)
        cleared = (actions - flagged).filtered("possibly_paid")
        html = {}
        for action in flagged:
            html[action.id] = action._credit_in_note_lang()._credit_possibly_paid_html(evidence[action.id])
        if flagged:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE credit_action act
                       SET possibly_paid = TRUE, possibly_paid_evidence = new.evidence, write_uid = %s, write_date = %s
                      FROM unnest(%s::int[], %s::text[]) AS new(id, evidence)
                     WHERE act.id = new.id
                    """,
                    self.env.uid,
                    self.env.cr.now(),
                    list(html),
                    [str(value) for value in html.values()],
                )
            )
        if cleared:
            self.env.cr.execute(
                SQL(
                    "UPDATE credit_action SET possibly_paid = FALSE, possibly_paid_evidence = NULL WHERE id = ANY(%s)",
                    cleared.ids,
                )
            )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM credit_action_possibly_paid_st_line_rel WHERE action_id = ANY(%(ids)s);
                DELETE FROM credit_action_possibly_paid_payment_rel WHERE action_id = ANY(%(ids)s);
                INSERT INTO credit_action_possibly_paid_st_line_rel (action_id, statement_line_id)
                     SELECT DISTINCT a, s FROM unnest(%(st_actions)s::int[], %(st_lines)s::int[]) AS pair(a, s);
                INSERT INTO credit_action_possibly_paid_payment_rel (action_id, payment_id)
                     SELECT DISTINCT a, s FROM unnest(%(pay_actions)s::int[], %(payments)s::int[]) AS pair(a, s);
                """,
                ids=actions.ids,
                **self._credit_possibly_paid_pairs(evidence),
            )
        )
        actions.invalidate_recordset(
            [
                "possibly_paid",
                "possibly_paid_evidence",
                "possibly_paid_statement_line_ids",
                "possibly_paid_payment_ids",
                "write_uid",
                "write_date",
            ]
        )
        return flagged

    def _credit_possibly_paid_pairs(self, evidence):
        """The (action, statement line) and (action, payment) pairs of the evidence, as the relation tables'
        columns."""
        st_pairs = set()
        payment_pairs = set()
        for action_id, rows in evidence.items():
            for row in rows:
                if row["payment_id"]:
                    payment_pairs.add((action_id, row["payment_id"]))
                elif row["statement_line_id"]:
                    st_pairs.add((action_id, row["statement_line_id"]))
        return {
            "st_actions": [a for a, _s in st_pairs],
            "st_lines": [s for _a, s in st_pairs],
            "pay_actions": [a for a, _p in payment_pairs],
            "payments": [p for _a, p in payment_pairs],
        }

    def _credit_hold_possibly_paid(self):
        """At execution: hold back (flag, leave as they are) those of these actions for which money arrived
        unmatched, unless the collector sent them anyway. Returns the actions held back. No context key skips it:
        an RPC caller could pass one."""
        return self.filtered(lambda a: not a.possibly_paid_acknowledged)._credit_flag_possibly_paid()

    def _credit_refresh_possibly_paid(self, company):
        """The daily run's part: look again at ``company``'s proposals flagged *possibly paid*, and clear the flag
        of those whose evidence is gone (the bank line or payment was matched with something else)."""
        flagged = self.search(
            [("company_id", "=", company.id), ("state", "in", ("proposed", "failed")), ("possibly_paid", "=", True)]
        )
        flagged._credit_flag_possibly_paid()

    # ------------------------------------------------------------------
    # The collector's buttons
    # ------------------------------------------------------------------

    def action_send_anyway(self):
        """*Send Anyway*: the collector saw the evidence and takes the step all the same; logged in the chatter."""
        self._check_collector()
        if self.filtered(lambda a: not a.possibly_paid):
            raise UserError(self.env._("Only actions flagged possibly paid are sent anyway; approve the others."))
        for action in self:
            action.sudo().write({"possibly_paid_acknowledged": True})
            action = action._credit_in_note_lang()
            action.sudo().message_post(
                body=Markup("<p>%s</p>%s")
                % (
                    action.env._("Sent anyway by %(user)s although possibly paid:", user=self.env.user.name),
                    action.sudo().possibly_paid_evidence or "",
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._execute()
        message = self.env._("%(count)s action(s) sent anyway.", count=len(self.filtered(lambda a: a.state == "done")))
        return self._notify_done(message, warning=bool(self.filtered(lambda a: a.state == "cancelled")))

    def action_possibly_paid_reconcile(self):
        """*Reconcile*: Odoo's own reconciliation in Community, on the action's open invoices: the invoice's
        *Outstanding credits* offer the customer's unallocated payments (and bank lines booked on the receivable)
        with an *Add* button; a bank line still on the suspense account is opened from the evidence (its journal
        entry, where its counterpart is set to the customer's receivable)."""
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only credit control staff can work the follow-up worklist."))
        invoices = self.invoice_ids.filtered(lambda m: m.is_invoice(include_receipts=True) and m.amount_residual)
        if not invoices:
            raise UserError(self.env._("This action has no open invoice left to reconcile."))
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconcile"),
            "res_model": "account.move",
            "context": {"create": False},
        }
        if len(invoices) == 1:
            return {**action, "res_id": invoices.id, "view_mode": "form", "views": [(False, "form")]}
        return {
            **action,
            "domain": [("id", "in", invoices.ids)],
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
        }
