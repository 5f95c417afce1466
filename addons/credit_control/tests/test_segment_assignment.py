from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSegmentAssignment(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Segment = cls.env["credit.segment"]
        cls.late = Segment.create(
            {"name": "Structurally late", "sequence": 10, "partner_domain": "[('credit_late_ratio', '>', 0.5)]"}
        )
        cls.good = Segment.create({"name": "Good payers", "sequence": 20, "partner_domain": "[('id', '!=', 0)]"})
        cls.cron = cls.env.ref("credit_control.ir_cron_credit_followup")

    def _segment_notes(self, partner):
        """Segment messages about this test's company (customers are shared with the demo company)."""
        return self._messages(partner).filtered(lambda m: self.company.name in (m.body or ""))

    def _make_late(self, partner):
        self._invoice(partner, 100.0, due_in=-30)
        self._invoice(partner, 100.0, due_in=-20)

    def test_auto_partners_move_by_first_matching_rule_and_the_move_is_logged(self):
        self._make_late(self.customer)
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.late)
        self.assertEqual(self.other_customer.credit_segment_id, self.good)
        body = self._segment_notes(self.customer)[0].body
        self.assertIn("Structurally late", body)
        self.assertIn("automatic assignment", body)

        # when the rule no longer matches, the next run moves the customer on
        self.late.partner_domain = "[('credit_overdue_amount', '>', 1000)]"
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertIn("Good payers", self._segment_notes(self.customer)[0].body)

    def test_manual_partners_stay(self):
        self._make_late(self.customer)
        self.customer.credit_segment_id = self.good  # chosen by hand: locks the segment
        self.assertEqual(self.customer.credit_segment_mode, "manual")
        self.assertIn("set by hand", self._segment_notes(self.customer)[0].body)
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertFalse(self.customer.credit_proposed_segment_id)

    def test_proposed_partners_get_a_proposal_to_confirm(self):
        self._make_late(self.customer)
        self.customer.write({"credit_segment_mode": "proposed", "credit_segment_id": self.good.id})
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertEqual(self.customer.credit_proposed_segment_id, self.late)
        proposals = self.Partner.search([("credit_proposed_segment_id", "!=", False)])
        self.assertEqual(proposals, self.customer)

        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).action_credit_confirm_segment()
        self.customer.with_user(self.manager).action_credit_confirm_segment()
        self.assertEqual(self.customer.credit_segment_id, self.late)
        self.assertFalse(self.customer.credit_proposed_segment_id)
        self.assertIn("proposal confirmed by Credit Manager", self._segment_notes(self.customer)[0].body)

    def test_rejected_proposal_is_not_proposed_again(self):
        self._make_late(self.customer)
        self.customer.write({"credit_segment_mode": "proposed", "credit_segment_id": self.good.id})
        self.cron.method_direct_trigger()
        self.customer.with_user(self.manager).action_credit_reject_segment()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertIn("rejected", self._segment_notes(self.customer)[0].body)
        self.cron.method_direct_trigger()
        self.assertFalse(self.customer.credit_proposed_segment_id)

    def test_second_run_changes_nothing(self):
        self._make_late(self.customer)
        self.cron.method_direct_trigger()
        messages = self._messages(self.customer)
        self.assertTrue(messages)
        self.cron.method_direct_trigger()
        self.assertEqual(self._messages(self.customer), messages)

    def test_contacts_are_not_segmented(self):
        self.customer_contact.customer_rank = 1
        self.cron.method_direct_trigger()
        self.assertEqual(self.customer.credit_segment_id, self.good)
        self.assertFalse(self.customer_contact.credit_segment_id)

    def test_invalid_rule_is_refused(self):
        with self.assertRaises(ValidationError):
            self.env["credit.segment"].create({"name": "Broken", "partner_domain": "[('no_such_field', '=', 1)]"})

    def test_segment_counts_its_customers(self):
        self.cron.method_direct_trigger()
        self.assertEqual(self.good.partner_count, self.Partner.search_count([("credit_segment_id", "=", self.good.id)]))
        self.assertGreaterEqual(self.good.partner_count, 2)
