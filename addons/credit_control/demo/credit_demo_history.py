import random
from datetime import timedelta

from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------------
    # Demo data: a year of paid invoices, so that the prediction has a history to learn from
    # ------------------------------------------------------------------

    @api.model
    def _credit_demo_payment_history(self, product_id, customers, months=12):
        """Create, for demo only, ``months`` monthly invoices per customer, paid at the customer's pace.

        ``customers``: [(partner id, pattern)], the pattern one of ``on_time`` (on the due date, now and then
        two days early), ``early`` (three days early), ``late_20`` (structurally about 20 days late),
        ``late_50`` (45 to 64 days late), ``getting_later`` (2 more days late every month) or ``erratic``
        (anything from 5 days early to 45 days late, from a fixed seed). Invoices whose payment would fall
        after yesterday are not created: the demo's open invoices are the ones in the demo file. Batched:
        one create and one post for all invoices and for all payments, one reconciliation plan for all pairs.
        """
        today = fields.Date.context_today(self)
        company = self.env.company
        rng = random.Random(42)
        patterns = {
            "on_time": lambda k: -2 if k % 4 == 3 else 0,
            "early": lambda k: -3,
            "late_20": lambda k: 17 + (k * 5) % 7,
            "late_50": lambda k: 45 + (k * 13) % 20,
            "getting_later": lambda k: 2 * k,
            "erratic": lambda k: rng.randint(-5, 45),
        }
        invoice_vals, lateness = [], []
        for partner_id, pattern in customers:
            for k in range(months):
                invoice_date = today - timedelta(days=30 * (months - k) + 30)
                late = patterns[pattern](k)
                if invoice_date + timedelta(days=30 + late) >= today:  # 30 days net: would be paid after today
                    continue
                invoice_vals.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "invoice_date": invoice_date,
                        "date": invoice_date,
                        "ref": f"DEMO-{partner_id}-{k + 1:02d}",
                        "invoice_line_ids": [fields.Command.create({"product_id": product_id, "quantity": 4 + k % 5})],
                    }
                )
                lateness.append(late)
        invoices = self.create(invoice_vals)
        invoices.action_post()
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1
        )
        pairs, payment_vals = [], []
        for invoice, late in zip(invoices, lateness, strict=True):
            receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            paid_date = min(max(receivable.mapped("date_maturity")) + timedelta(days=late), today - timedelta(days=1))
            pairs.append(receivable)
            payment_vals.append(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": invoice.amount_total,
                    "date": paid_date,
                    "journal_id": journal.id,
                    "memo": invoice.name,
                }
            )
        payments = self.env["account.payment"].create(payment_vals)
        payments.action_post()
        receivable_of = {
            payment: payment.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            for payment in payments
        }
        # one reconciliation plan for all pairs (as Odoo's payment wizard does), each pair on its own
        self.env["account.move.line"]._reconcile_plan(
            [receivable | receivable_of[payment] for receivable, payment in zip(pairs, payments, strict=True)]
        )
        return True
