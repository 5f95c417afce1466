import random
from datetime import timedelta

from odoo import api, fields, models

from ..models.credit_arrangement_mixin import workflow
from ..models.credit_dispute import DISPUTE_DEADLINE_DAYS


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

    # ------------------------------------------------------------------
    # Demo data: a year of disputes, promises to pay and payment plans
    # ------------------------------------------------------------------

    @api.model
    def _credit_demo_arrangement_history(self, product_id, partner_ids, months=12):
        """Create, for demo only, ``months`` months of disputes, promises and payment plans of ``partner_ids``
        in the current company, so that the dispute analysis, the promise KPIs and the KPI dashboard have a
        history. Returns ``{"disputes": ..., "promises": ..., "plans": ...}``.

        Every month one dispute and one promise, every other month a second promise and a payment plan, each
        on an invoice of its own (30 days net) of a customer picked from a fixed seed. Every record goes
        through its workflow as a collector would use it (dispute: start, credit note or rejection; promise:
        the daily check decides kept or broken after the payments; plan: schedule, approval, payments, the
        daily check). The workflow dates them today; once decided, their dates are moved back to when the
        story happened. Recent records stay open: open disputes, open promises and active plans. Run it on a
        company without open promises or plans of its own (a new database): the daily checks it runs
        decide every open one.
        """
        today = fields.Date.context_today(self)
        yesterday = today - timedelta(days=1)
        company = self.env.company
        rng = random.Random(14)
        reasons = self.env["credit.dispute.reason"].search([], order="id")
        events = []  # (kind, day the story starts, partner id)
        for k in range(months):
            day = today - timedelta(days=30 * (months - k)) + timedelta(days=rng.randint(0, 20))
            kinds = ["dispute", "promise"] + (["promise", "plan"] if k % 2 else [])
            events += [(kind, day, rng.choice(partner_ids)) for kind in kinds]
        invoice_vals = []
        for index, (kind, day, partner_id) in enumerate(events):
            invoice_date = day - timedelta(days=30 + rng.randint(0, 10))
            quantity = rng.randint(6, 12) * (4 if kind == "plan" else 1)
            invoice_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "invoice_payment_term_id": False,
                    "invoice_date_due": invoice_date + timedelta(days=30),
                    "ref": f"DEMO-ARR-{index + 1:02d}",
                    "invoice_line_ids": [fields.Command.create({"product_id": product_id, "quantity": quantity})],
                }
            )
        invoices = self.create(invoice_vals)
        invoices.action_post()
        stories = list(zip(events, invoices, strict=True))

        def pay(invoice, date, amount=None):
            vals = {"payment_date": min(date, yesterday)}
            if amount is not None:
                vals.update(amount=amount, payment_difference_handling="open")
            ctx = {"active_model": "account.move", "active_ids": invoice.ids}
            self.env["account.payment.register"].with_context(**ctx).create(vals)._create_payments()

        disputes = self._credit_demo_disputes(
            [(day, invoice) for (kind, day, _p), invoice in stories if kind == "dispute"], reasons, rng, pay
        )
        promise_stories = [(day, invoice) for (kind, day, _p), invoice in stories if kind == "promise"]
        promises = self._credit_demo_promises(promise_stories, rng, pay)
        plans = self._credit_demo_plans(
            [(day, invoice) for (kind, day, _p), invoice in stories if kind == "plan"], rng, pay
        )
        return {"disputes": disputes, "promises": promises, "plans": plans}

    @api.model
    def _credit_demo_disputes(self, stories, reasons, rng, pay):
        """Disputes opened on the day of their story: those of the last 60 days stay open, the others are
        resolved by a credit note or rejected (and the invoice then paid) 4 to 35 days later."""
        today = fields.Date.context_today(self)
        Dispute = self.env["credit.dispute"]
        disputes = Dispute
        for day, invoice in stories:
            reason = reasons[rng.randrange(len(reasons))]
            dispute = Dispute.create(
                {
                    "partner_id": invoice.partner_id.id,
                    "move_ids": [fields.Command.set(invoice.ids)],
                    "reason_id": reason.id,
                    **self._credit_demo_owner(invoice),
                    "description": self.env._("The customer called about this invoice."),
                }
            )
            closed, outcome = day + timedelta(days=rng.randint(4, 35)), rng.random()
            if (today - day).days < 60:
                if outcome < 0.5:
                    dispute.action_start()
                closed = False
            elif outcome < 0.55:
                dispute.action_start()
                invoice.with_context(credit_dispute_id=dispute.id)._reverse_moves(
                    [{"invoice_date": closed, "date": closed, "ref": dispute.name}], cancel=True
                )
            else:
                dispute._reject(self.env._("We checked the delivery and the invoice: the invoice is correct."))
                pay(invoice, closed + timedelta(days=rng.randint(3, 15)))
            dates = {"date_opened": day, "date_deadline": day + timedelta(days=DISPUTE_DEADLINE_DAYS)}
            workflow(dispute).write({**dates, "date_closed": closed} if closed else dates)
            disputes |= dispute
        return disputes

    @api.model
    def _credit_demo_promises(self, stories, rng, pay):
        """Promises made on the day of their story, for a date 5 to 14 days later. The last two stay open;
        of the others about seven in ten are kept (paid by the promised date), the rest broken (paid a
        month later, if at all by now)."""
        today = fields.Date.context_today(self)
        company = self.env.company
        Promise = self.env["credit.promise"]
        decided, broken_later = [], []
        for day, invoice in stories[:-2]:
            promised = day + timedelta(days=rng.randint(5, 14))
            kept = rng.random() < 0.7
            decided.append((Promise.create(self._credit_demo_promise_vals(invoice, today)), promised, kept))
            if kept:
                pay(invoice, promised - timedelta(days=rng.randint(0, 3)))
            else:
                broken_later.append((invoice, promised + timedelta(days=rng.randint(20, 45))))
        Promise._check_promises(company)  # the kept ones: their invoices are paid
        Promise._check_promises(company, today=today + timedelta(days=company.credit_promise_grace_days + 1))
        for promise, promised, _kept in decided:
            workflow(promise).write({"date": promised})
        broken = Promise.union(*(promise for promise, _promised, kept in decided if not kept))
        broken.activity_ids.action_feedback(feedback=self.env._("Followed up in the next reminder."))
        for invoice, paid in broken_later:
            if paid < today:
                pay(invoice, paid)
        open_promises = Promise.create(
            [
                self._credit_demo_promise_vals(invoice, today + timedelta(days=rng.randint(3, 12)))
                for _day, invoice in stories[-2:]
            ]
        )
        return Promise.union(*(promise for promise, _promised, _kept in decided)) | open_promises

    @api.model
    def _credit_demo_promise_vals(self, invoice, date):
        return {
            "partner_id": invoice.partner_id.id,
            "move_ids": [fields.Command.set(invoice.ids)],
            "amount": invoice.amount_residual,
            "date": date,
            **self._credit_demo_owner(invoice),
        }

    @api.model
    def _credit_demo_owner(self, invoice):
        """The customer's collector handles its records (else the default: the current user)."""
        collector = invoice.partner_id.sudo().credit_collector_id
        return {"user_id": collector.id} if collector else {}

    @api.model
    def _credit_demo_plans(self, stories, rng, pay):
        """Three monthly installments from two weeks after the story's day. Plans whose last installment is
        not yet past due are active (the installments due so far paid); of the others about two in three
        are done (every installment paid on its date), the rest broken after the first installment (and the
        rest paid 3 to 7 weeks after the break, when that is in the past)."""
        today = fields.Date.context_today(self)
        company = self.env.company
        Plan = self.env["credit.payment.plan"]
        plans, backdate = Plan, []
        for day, invoice in stories:
            plan = Plan.create(
                {
                    "partner_id": invoice.partner_id.id,
                    "move_ids": [fields.Command.set(invoice.ids)],
                    "installment_count": 3,
                    **self._credit_demo_owner(invoice),
                    "date_first": day + timedelta(days=14),
                }
            )
            plan.action_compute_schedule()
            plan._activate()
            installments = plan.installment_ids.sorted(lambda i: (i.date, i.sequence))
            last = installments[-1].date
            if last + timedelta(days=company.credit_plan_grace_days) >= today:
                paid = installments.filtered(lambda i: i.date < today)
            else:
                paid = installments if rng.random() < 0.65 else installments[:1]
            for installment in paid:
                pay(invoice, installment.date, installment.amount)
            backdate.append((plan, day, last if paid == installments else installments[1].date))
            plans |= plan
        Plan._check_plans(company)
        grace = timedelta(days=company.credit_plan_grace_days + 1)
        for plan, day, closed in backdate:
            dates = {"date_approved": day}
            if plan.state == "done":
                dates["date_closed"] = closed
            elif plan.state == "broken":
                dates["date_closed"] = closed + grace
            workflow(plan).write(dates)
        broken = plans.filtered(lambda p: p.state == "broken")
        broken.activity_ids.action_feedback(feedback=self.env._("Followed up in the next reminder."))
        # after the broken plan the reminders resumed, and the customer paid the rest 3 to 7 weeks later
        for plan in broken:
            paid = plan.date_closed + timedelta(days=rng.randint(20, 50))
            if paid < today:
                pay(plan.move_ids, paid)
        return plans
