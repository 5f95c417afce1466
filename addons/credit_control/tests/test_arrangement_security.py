from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY
from .common_arrangements import CreditArrangementCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestArrangementSecurity(CreditArrangementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="portal_devries", groups="base.group_portal", partner_id=cls.customer_contact.id
        )
        reason = cls.env.ref("credit_control.credit_dispute_reason_price")
        cls.records = {}
        for partner in (cls.customer, cls.other_customer):
            # one invoice each: a promise waits for a dispute to be settled
            disputed, promised, planned = (
                [Command.set(cls._invoice(partner, 600.0, due_in=-10).ids)] for _i in range(3)
            )
            cls.records[partner] = (
                cls.env["credit.dispute"].create(
                    {"partner_id": partner.id, "move_ids": disputed, "reason_id": reason.id}
                ),
                cls.env["credit.promise"].create({"partner_id": partner.id, "move_ids": promised, "amount": 100.0}),
                cls.env["credit.payment.plan"].create({"partner_id": partner.id, "move_ids": planned}),
            )
        for plan in (cls.records[cls.customer][2], cls.records[cls.other_customer][2]):
            plan.action_compute_schedule()

    def test_portal_user_reads_the_customers_own_records_only(self):
        own = self.records[self.customer]
        others = self.records[self.other_customer]
        for record, other in zip(own, others, strict=True):
            as_portal = record.with_user(self.portal_user)
            self.assertTrue(as_portal.read(["partner_id", "state"]))
            self.assertEqual(as_portal.search([]), record, record._name)
            with self.assertRaises(AccessError, msg=other._name):
                other.with_user(self.portal_user).read(["state"])
            with self.assertRaises(AccessError, msg=record._name):
                as_portal.write({"partner_id": self.customer.id})
        installments = self.env["credit.payment.plan.installment"].with_user(self.portal_user).search([])
        self.assertEqual(installments, own[2].installment_ids)
        self.assertEqual(own[0].with_user(self.portal_user).reason_id.name, "Wrong price or discount")

    def test_collector_works_the_records_but_never_deletes_them(self):
        dispute, promise, plan = self.records[self.customer]
        for record in (dispute, promise, plan):
            record.with_user(self.collector).write({"user_id": self.collector.id})
            with self.assertRaises(AccessError, msg=record._name):
                record.with_user(self.collector).unlink()

    def test_salesman_reads_but_does_not_change(self):
        for record in self.records[self.customer]:
            self.assertTrue(record.with_user(self.salesman).read(["state"]))
            with self.assertRaises(AccessError, msg=record._name):
                record.with_user(self.salesman).write({"user_id": self.salesman.id})
        with self.assertRaises(AccessError):
            self.env["credit.dispute"].with_user(self.salesman).create(
                {
                    "partner_id": self.customer.id,
                    "reason_id": self.env.ref("credit_control.credit_dispute_reason_other").id,
                }
            )

    def test_records_are_company_bound(self):
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        self.env.user.company_ids |= company_2
        self.collector.company_ids |= company_2
        invoice = self._invoice(self.customer, 300.0, due_in=-10, company=company_2)
        dispute = (
            self.env["credit.dispute"]
            .with_company(company_2)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company_2.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "reason_id": self.env.ref("credit_control.credit_dispute_reason_other").id,
                }
            )
        )
        Dispute = self.env["credit.dispute"].with_user(self.collector)
        self.assertNotIn(dispute, Dispute.with_context(allowed_company_ids=self.company.ids).search([]))
        self.assertIn(dispute, Dispute.with_context(allowed_company_ids=company_2.ids).search([]))
