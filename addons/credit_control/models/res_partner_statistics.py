import hashlib
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .res_partner import CREDIT_STAT_FIELDS

_logger = logging.getLogger(__name__)

# The credit check of a few customers runs its statement prepared (``_credit_execute_prepared``); a statement
# over more customers is planned for their number.
PREPARED_MAX_PARTNERS = 50
# The types of the prepared statements' parameters.
PREPARED_TYPES = {"company": "int", "partners": "int[]", "excluded": "int[]", "overdue_date": "date"}

# Behaviour is measured on the items that fell due in this many days before today.
BEHAVIOUR_WINDOW_DAYS = 365


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Set-based amounts (SQL; one query per figure for any number of partners)
    # ------------------------------------------------------------------

    def _credit_exposure_by_partner(self, company, exclude_orders=None):
        """Exposure per commercial partner of ``self`` in ``company``'s currency.

        Open posted receivables + draft customer invoices/credit notes (lines not coming from a
        sale order, those are counted on the order) + confirmed orders' amount not yet invoiced, less
        what was paid online for them and is not booked yet (``sale.order._credit_unbooked_transactions``:
        once booked, the payment is an open receivable).
        The confirmed orders ``exclude_orders`` are left out of the last parts: the credit check
        counts the orders it decides on itself (see ``sale.order._credit_check_increase``).
        """
        return self._credit_exposure_and_overdue(company, exclude_orders=exclude_orders)[0]

    def _credit_exposure_and_overdue(self, company, exclude_orders=None, days=None, today=None):
        """The credit check's two figures per commercial partner of ``self``, in ``company``'s currency, from
        one statement: ``({partner id: exposure}, {partner id: overdue})``.

        The exposure is ``_credit_exposure_by_partner``'s. The overdue balance, computed when ``days`` is
        given, is ``_credit_overdue_by_partner``'s: what fell due more than ``days`` days before ``today``,
        credits already due netted out, never more than the open balance nor less than zero. The open
        receivables are read once for both, from the index of the open items (``account.move.line.init``):
        a line without residual adds nothing to either sum.
        """
        if not self.ids:
            return {}, {}
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.env["sale.order"].flush_model()
        self.env["payment.transaction"].flush_model(["state", "amount", "payment_id", "sale_order_ids"])
        self.env["account.payment"].flush_model(["move_id"])
        overdue_date = None
        if days is not None:
            overdue_date = (today or fields.Date.context_today(self)) - timedelta(days=days)
        params = {
            "company": company.id,
            "partners": list(self.ids),
            "excluded": list(exclude_orders.ids) if exclude_orders else [],
            "overdue_date": overdue_date,
        }
        if len(self.ids) <= PREPARED_MAX_PARTNERS:
            rows = self._credit_execute_prepared("credit_control_exposure", self._credit_exposure_sql, params)
        else:
            rows = self.env.execute_query(self._credit_exposure_sql(**params))
        round_amount = company.currency_id.round
        exposures = {pid: round_amount(exposure or 0.0) for pid, exposure, _receivable, _overdue in rows}
        overdues = {}
        if days is not None:
            overdues = {
                pid: max(round_amount(min(overdue or 0.0, receivable or 0.0)), 0.0)
                for pid, _exposure, receivable, overdue in rows
            }
        return exposures, overdues

    @api.model
    def _credit_exposure_sql(self, company, partners, excluded, overdue_date):
        """The statement of ``_credit_exposure_and_overdue``; its parameters are values, or ``SQL`` terms (the
        placeholders of its prepared form, see ``_credit_execute_prepared``)."""
        return SQL(
            """
                SELECT partner_id, SUM(exposure), SUM(receivable), SUM(overdue)
                  FROM (
                        -- open receivables (residual, company currency; credit notes and payments net out)
                        SELECT p.commercial_partner_id AS partner_id,
                               SUM(aml.amount_residual) AS exposure,
                               SUM(aml.amount_residual) AS receivable,
                               SUM(aml.amount_residual) FILTER (WHERE aml.date_maturity < %(overdue_date)s::date)
                                   AS overdue
                          FROM res_partner p
                          JOIN account_move_line aml ON aml.partner_id = p.id
                         WHERE %(open_item)s
                           AND aml.company_id = %(company)s
                           -- the receivable accounts as a list, read once: the index entries of the customer's
                           -- other open lines (outstanding payments, payables) are left out without a join per line
                           AND aml.account_id = ANY(ARRAY(
                                   SELECT acc.id FROM account_account acc
                                    WHERE acc.account_type = 'asset_receivable'))
                           AND p.commercial_partner_id = ANY(%(partners)s)
                      GROUP BY p.commercial_partner_id
                     UNION ALL
                        -- draft invoices and credit notes, converted with the move's own rate
                        SELECT m.commercial_partner_id,
                               SUM(l.price_total * CASE WHEN m.amount_total = 0 THEN 0
                                                        ELSE m.amount_total_signed / m.amount_total END),
                               0, 0
                          FROM account_move_line l
                          JOIN account_move m ON m.id = l.move_id
                         WHERE m.company_id = %(company)s
                           AND m.state = 'draft'
                           AND m.move_type IN ('out_invoice', 'out_refund')
                           AND l.display_type = 'product'
                           AND m.commercial_partner_id = ANY(%(partners)s)
                           AND NOT EXISTS (SELECT 1 FROM sale_order_line_invoice_rel r WHERE r.invoice_line_id = l.id)
                      GROUP BY m.commercial_partner_id
                     UNION ALL
                        -- confirmed orders, not yet invoiced (taxes included), in company currency
                        SELECT p.commercial_partner_id,
                               SUM(sol.untaxed_amount_to_invoice
                                   * CASE WHEN sol.price_subtotal = 0 THEN 1
                                          ELSE sol.price_total / sol.price_subtotal END
                                   / COALESCE(NULLIF(so.currency_rate, 0), 1)),
                               0, 0
                          FROM sale_order_line sol
                          JOIN sale_order so ON so.id = sol.order_id
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE so.company_id = %(company)s
                           AND so.state = 'sale'
                           AND so.id <> ALL(%(excluded)s::int[])
                           AND sol.untaxed_amount_to_invoice <> 0
                           AND p.commercial_partner_id = ANY(%(partners)s)
                      GROUP BY p.commercial_partner_id
                     UNION ALL
                        -- paid online for one confirmed order and not booked yet (a posted payment is an
                        -- open receivable above), in company currency
                        SELECT p.commercial_partner_id,
                               -SUM(tx.amount / COALESCE(NULLIF(so.currency_rate, 0), 1)),
                               0, 0
                          FROM payment_transaction tx
                          JOIN sale_order_transaction_rel rel ON rel.transaction_id = tx.id
                          JOIN sale_order so ON so.id = rel.sale_order_id
                          JOIN res_partner p ON p.id = so.partner_id
                     LEFT JOIN account_payment pay ON pay.id = tx.payment_id
                     LEFT JOIN account_move pay_move ON pay_move.id = pay.move_id
                         WHERE so.company_id = %(company)s
                           AND so.state = 'sale'
                           AND so.id <> ALL(%(excluded)s::int[])
                           AND tx.state IN ('authorized', 'done')
                           AND pay_move.state IS DISTINCT FROM 'posted'
                           AND NOT EXISTS (SELECT 1 FROM sale_order_transaction_rel other
                                            WHERE other.transaction_id = tx.id AND other.sale_order_id <> so.id)
                           AND p.commercial_partner_id = ANY(%(partners)s)
                      GROUP BY p.commercial_partner_id
                       ) figures
              GROUP BY partner_id
                """,
            open_item=self._credit_open_item_condition("aml"),
            company=company,
            partners=partners,
            excluded=excluded,
            overdue_date=overdue_date,
        )

    @api.model
    def _credit_execute_prepared(self, name, build, params):
        """Run the statement ``build(**params)`` as a prepared statement of this database connection: planned
        once, not on every call. The sale-order credit check spent as long planning its statement (four
        joined parts over tables with many indexes) as running it (``make bench``, so_check).

        The statement is prepared with typed placeholders when the connection does not have it yet (a new
        connection, or another server connection behind a pooler such as pgbouncer: checked in
        ``pg_prepared_statements``, in this transaction), under a name that holds a digest of its text, so
        that a changed statement is never taken for the old one. ``params`` is {name: value}; the types are
        those of ``PREPARED_TYPES``."""
        names = list(params)
        placeholders = {key: SQL(f"${index}::{PREPARED_TYPES[key]}") for index, key in enumerate(names, start=1)}
        code = build(**placeholders).code
        statement = f"{name}_{hashlib.sha1(code.encode()).hexdigest()[:12]}"
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [statement])
        if not cr.fetchone():
            cr.execute(SQL("PREPARE %s AS %s", SQL.identifier(statement), SQL(code.replace("%", "%%"))))
        return self.env.execute_query(
            SQL(
                "EXECUTE %s(%s)",
                SQL.identifier(statement),
                SQL(", ").join(SQL("%s", params[key]) for key in names),
            )
        )

    @api.model
    def _credit_open_item_condition(self, alias):
        """The open items the credit check sums (posted, not reconciled, something left to pay), as the
        condition of their index (``account_move_line_credit_open_partner_idx``) on the lines ``alias``."""
        return SQL(
            "%(line)s.amount_residual <> 0 AND NOT %(line)s.reconciled AND %(line)s.parent_state = 'posted'",
            line=SQL.identifier(alias),
        )

    def _credit_overdue_by_partner(self, company, days=0, today=None):
        """Receivable balance due more than ``days`` days before ``today``, per commercial partner.

        Credits already due net out; the result is never more than the whole open balance (an
        unallocated payment or a credit note covers overdue invoices) nor less than zero.
        """
        if not self.ids:
            return {}
        today = today or fields.Date.context_today(self)
        self.env["account.move.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id,
                       LEAST(COALESCE(SUM(aml.amount_residual)
                                      FILTER (WHERE aml.date_maturity < %(limit_date)s::date - %(days)s), 0),
                             SUM(aml.amount_residual))
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE %(open_item)s
                   AND aml.company_id = %(company)s
                   AND acc.account_type = 'asset_receivable'
                   AND p.commercial_partner_id = ANY(%(partners)s)
              GROUP BY p.commercial_partner_id
                """,
                open_item=self._credit_open_item_condition("aml"),
                company=company.id,
                limit_date=today,
                days=days,
                partners=list(self.ids),
            )
        )
        return {pid: max(company.currency_id.round(amount or 0.0), 0.0) for pid, amount in rows}

    @api.model
    def _credit_partner_filters(self, partner_ids):
        """SQL conditions that restrict a per-customer statistics statement to the commercial partners
        ``partner_ids``: one on the items' partner (alias ``p``), one on the partners updated (alias ``rp``).
        Empty conditions when ``partner_ids`` is None (all customers)."""
        if partner_ids is None:
            return SQL(""), SQL("")
        return (
            SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)),
            SQL("AND rp.id = ANY(%s)", list(partner_ids)),
        )

    @api.model
    def _credit_compute_statistics(self, company, partner_ids=None, today=None):
        """Recompute the stored behaviour statistics of ``company`` in one SQL statement.

        ``partner_ids``: restrict to these commercial partners (e.g. after a payment); all
        partners with receivables otherwise. The number of queries does not depend on the number
        of partners. Returns the number of partners whose figures changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        key = str(company.id)
        partner_filter, target_filter = self._credit_partner_filters(partner_ids)
        query = SQL(
            """
            WITH items AS (
                SELECT p.commercial_partner_id AS partner_id,
                       aml.amount_residual,
                       aml.balance,
                       aml.reconciled,
                       aml.date_maturity,
                       CASE
                         WHEN aml.balance <= 0 OR aml.date_maturity >= %(today)s
                              OR aml.date_maturity < %(today)s::date - %(window)s THEN NULL
                         WHEN aml.reconciled THEN GREATEST(
                              (SELECT MAX(apr.max_date) FROM account_partial_reconcile apr
                                WHERE apr.debit_move_id = aml.id) - aml.date_maturity, 0)
                         ELSE %(today)s::date - aml.date_maturity
                       END AS days_late
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND (NOT aml.reconciled OR aml.date_maturity >= %(today)s::date - %(window)s)
                   %(partner_filter)s
            ),
            stats AS (
                SELECT partner_id,
                       ROUND(COALESCE(SUM(amount_residual) FILTER (WHERE NOT reconciled), 0)::numeric, 2)
                           AS open_amount,
                       -- overdue items, net of credits already due; never more than the customer owes
                       ROUND(GREATEST(LEAST(
                             COALESCE(SUM(amount_residual)
                                      FILTER (WHERE NOT reconciled AND date_maturity < %(today)s), 0),
                             COALESCE(SUM(amount_residual) FILTER (WHERE NOT reconciled), 0)), 0)::numeric, 2)
                           AS overdue,
                       ROUND(COALESCE(AVG(days_late), 0)::numeric, 1) AS avg_days_late,
                       ROUND(COALESCE(COUNT(*) FILTER (WHERE days_late > 0)::numeric
                             / NULLIF(COUNT(days_late), 0), 0), 4) AS late_ratio
                  FROM items
              GROUP BY partner_id
            ),
            target AS (
                SELECT rp.id,
                       COALESCE(s.open_amount, 0) AS open_amount,
                       COALESCE(s.overdue, 0) AS overdue,
                       COALESCE(s.avg_days_late, 0) AS avg_days_late,
                       COALESCE(s.late_ratio, 0) AS late_ratio
                  FROM res_partner rp
             LEFT JOIN stats s ON s.partner_id = rp.id
                 WHERE (s.partner_id IS NOT NULL OR rp.credit_open_amount ? %(key)s
                        OR rp.credit_overdue_amount ? %(key)s OR rp.credit_avg_days_late ? %(key)s)
                   %(target_filter)s
            )
            UPDATE res_partner p
               SET credit_open_amount = COALESCE(p.credit_open_amount, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.open_amount),
                   credit_overdue_amount = COALESCE(p.credit_overdue_amount, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.overdue),
                   credit_avg_days_late = COALESCE(p.credit_avg_days_late, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.avg_days_late),
                   credit_late_ratio = COALESCE(p.credit_late_ratio, '{}'::jsonb)
                                        || jsonb_build_object(%(key)s, t.late_ratio)
              FROM target t
             WHERE p.id = t.id
               AND ((p.credit_open_amount ->> %(key)s)::numeric IS DISTINCT FROM t.open_amount
                 OR (p.credit_overdue_amount ->> %(key)s)::numeric IS DISTINCT FROM t.overdue
                 OR (p.credit_avg_days_late ->> %(key)s)::numeric IS DISTINCT FROM t.avg_days_late
                 OR (p.credit_late_ratio ->> %(key)s)::numeric IS DISTINCT FROM t.late_ratio)
            """,
            today=today,
            window=BEHAVIOUR_WINDOW_DAYS,
            company=company.id,
            key=key,
            partner_filter=partner_filter,
            target_filter=target_filter,
        )
        self.env.cr.execute(query)
        changed = self.env.cr.rowcount
        self.invalidate_model(list(CREDIT_STAT_FIELDS))
        return changed

    @api.model
    def _credit_compute_expected_overdue(self, company, today=None, partner_ids=None):
        """Store each customer's expected overdue amount in ``company`` (see the field's help) in one SQL
        statement, from the open items and their invoices' stored predictions. ``partner_ids``: only these
        commercial partners. Returns the number of partners whose figure changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        key = str(company.id)
        partner_filter, target_filter = self._credit_partner_filters(partner_ids)
        self.env.cr.execute(
            SQL(
                """
                WITH stats AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           ROUND(GREATEST(LEAST(
                                 COALESCE(SUM(aml.amount_residual) FILTER (
                                     WHERE aml.date_maturity < %(today)s
                                        OR ROUND(COALESCE(m.credit_expected_days_late, 0)) > 0), 0),
                                 SUM(aml.amount_residual)), 0)::numeric, 2) AS expected_overdue
                      FROM account_move_line aml
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND NOT aml.reconciled
                       %(partner_filter)s
                  GROUP BY p.commercial_partner_id
                ),
                target AS (
                    SELECT rp.id, COALESCE(s.expected_overdue, 0) AS expected_overdue
                      FROM res_partner rp
                 LEFT JOIN stats s ON s.partner_id = rp.id
                     WHERE (s.partner_id IS NOT NULL OR rp.credit_expected_overdue ? %(key)s)
                       %(target_filter)s
                )
                UPDATE res_partner p
                   SET credit_expected_overdue = COALESCE(p.credit_expected_overdue, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, t.expected_overdue)
                  FROM target t
                 WHERE p.id = t.id
                   AND (p.credit_expected_overdue ->> %(key)s)::numeric IS DISTINCT FROM t.expected_overdue
                """,
                today=today,
                company=company.id,
                key=key,
                partner_filter=partner_filter,
                target_filter=target_filter,
            )
        )
        self.invalidate_model(["credit_expected_overdue"])
        return self.env.cr.rowcount
