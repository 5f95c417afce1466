from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command

from .common import CreditControlCommon

MAY_END = date(2026, 5, 31)


class CreditKpiCommon(CreditControlCommon):
    """A book over four months that every KPI of May 2026 can be checked against by hand.

    Garage De Vries (segment Garages, collector "Collector") and Autobedrijf Peeters (no segment, collector
    "Credit Manager"); amounts without taxes, in company currency:

    ====  =========  ======  ==========  ==========  =====================================
    item  customer   amount  date        due         settled
    ====  =========  ======  ==========  ==========  =====================================
    A1    De Vries     1600  2026-03-10  2026-04-09  paid in full on 2026-04-20
    A2    De Vries     2000  2026-04-05  2026-05-05  600 paid on 2026-05-20 (1400 open)
    A3    De Vries     3000  2026-05-10  2026-06-09  paid in full on 2026-06-05 (after May)
    B1    Peeters      1500  2026-02-15  2026-03-17  open
    B2    Peeters      2500  2026-05-20  2026-06-19  open
    BC    Peeters      -500  2026-05-25  2026-05-25  credit note, not applied
    ====  =========  ======  ==========  ==========  =====================================

    Sales: March 1600, April 2000, May 3000 + 2500 - 500 = 5000. Receivables on 30 April: A2 2000 + B1 1500
    = 3500. On 31 May: A2 1400 + A3 3000 + B1 1500 + B2 2500 - 500 = 7900, of which not yet due A3 + B2 = 5500.
    Promises: one of De Vries due 15 May kept, one of Peeters due 10 May broken, one due in April (kept, not
    May's). Disputes: De Vries's opened 4 May and rejected 16 May (12 days), Peeters's opened 20 May, open.
    Follow-up actions done in May (21 working days): 5 for De Vries, 2 for Peeters; one done in April, one
    proposed and one skipped in May do not count.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Snapshot = cls.env["credit.kpi.snapshot"]
        cls.segment = cls.env["credit.segment"].create({"name": "Garages", "partner_domain": "[('id', '=', 0)]"})
        cls.customer.write({"credit_segment_id": cls.segment.id, "credit_collector_id": cls.collector.id})
        cls.other_customer.write({"credit_collector_id": cls.manager.id})
        A, B = cls.customer, cls.other_customer
        cls.a1 = cls._sale(A, 1600.0, date(2026, 3, 10), date(2026, 4, 9))
        cls.a2 = cls._sale(A, 2000.0, date(2026, 4, 5), date(2026, 5, 5))
        cls.a3 = cls._sale(A, 3000.0, date(2026, 5, 10), date(2026, 6, 9))
        cls.b1 = cls._sale(B, 1500.0, date(2026, 2, 15), date(2026, 3, 17))
        cls.b2 = cls._sale(B, 2500.0, date(2026, 5, 20), date(2026, 6, 19))
        cls.bc = cls._sale(B, 500.0, date(2026, 5, 25), date(2026, 5, 25), move_type="out_refund")
        Promise, Dispute = cls.env["credit.promise"], cls.env["credit.dispute"]
        with freeze_time("2026-04-01"):
            cls.promise_april = Promise.create(cls._promise_vals(A, cls.a1, 1600.0, date(2026, 4, 25)))
        with freeze_time("2026-05-02"):
            cls.promise_kept = Promise.create(cls._promise_vals(A, cls.a2, 600.0, date(2026, 5, 15)))
            cls.promise_broken = Promise.create(cls._promise_vals(B, cls.b1, 1500.0, date(2026, 5, 10)))
        with freeze_time("2026-05-04"):
            cls.dispute_closed = Dispute.create(cls._dispute_vals(A, cls.a2, "credit_dispute_reason_price"))
        with freeze_time("2026-05-16"):
            cls.dispute_closed._reject("The prices are those of the signed quotation.")
        with freeze_time("2026-05-20"):
            cls.dispute_open = Dispute.create(cls._dispute_vals(B, cls.b2, "credit_dispute_reason_delivery"))
        cls._pay_on(cls.a1, date(2026, 4, 20))
        cls._pay_on(cls.a2, date(2026, 5, 20), amount=600.0)
        cls._pay_on(cls.a3, date(2026, 6, 5))
        with freeze_time("2026-05-25"):
            Promise._check_promises(cls.company)
        cls.level = (
            cls.env["credit.policy"]
            .create(
                {
                    "name": "KPI policy",
                    "level_ids": [Command.create({"name": "Call", "days": 10, "action_type": "phone"})],
                }
            )
            .level_ids
        )
        cls.env["credit.action"].create(
            [cls._action_vals(A, "email", date(2026, 5, day)) for day in (4, 11, 18)]
            + [cls._action_vals(A, "phone", date(2026, 5, day)) for day in (6, 27)]
            + [cls._action_vals(B, "letter", date(2026, 5, day)) for day in (12, 29)]
            + [
                cls._action_vals(A, "email", date(2026, 4, 28)),  # April's
                cls._action_vals(A, "phone", date(2026, 5, 28), state="proposed"),
                cls._action_vals(B, "email", date(2026, 5, 13), state="skipped"),
            ]
        )

    @classmethod
    def _sale(cls, partner, amount, invoice_date, due_date, move_type="out_invoice"):
        return cls._invoice(
            partner,
            amount,
            due_in=(due_date - cls.today).days,
            invoice_days=(invoice_date - cls.today).days,
            move_type=move_type,
        )

    @classmethod
    def _pay_on(cls, invoice, day, amount=None):
        return cls._pay(invoice, amount=amount, days=(day - cls.today).days)

    @classmethod
    def _promise_vals(cls, partner, invoice, amount, day):
        return {"partner_id": partner.id, "move_ids": [Command.set(invoice.ids)], "amount": amount, "date": day}

    @classmethod
    def _dispute_vals(cls, partner, invoice, reason):
        return {
            "partner_id": partner.id,
            "move_ids": [Command.set(invoice.ids)],
            "reason_id": cls.env.ref(f"credit_control.{reason}").id,
        }

    @classmethod
    def _action_vals(cls, partner, channel, day, state="done"):
        collector = partner.credit_collector_id
        return {
            "partner_id": partner.id,
            "company_id": cls.company.id,
            "level_id": cls.level.id,
            "channel": channel,
            "date": day,
            "state": state,
            "user_id": collector.id,
            "amount": 100.0,
            "executed_by_id": collector.id if state != "proposed" else False,
            "executed_on": datetime(day.year, day.month, day.day, 10, 0) if state != "proposed" else False,
        }

    def _snapshot(self, snapshots, scope, segment=None, collector=None):
        found = snapshots.filtered(
            lambda s: (
                s.scope == scope
                and s.segment_id == (segment or self.env["credit.segment"])
                and s.collector_id == (collector or self.env["res.users"])
            )
        )
        self.assertEqual(len(found), 1, f"one {scope} snapshot")
        return found
