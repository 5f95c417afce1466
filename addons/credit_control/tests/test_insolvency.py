from datetime import date
from decimal import Decimal

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..tools import insolvency_claim
from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestInsolvency(CreditControlCommon):
    """An insolvency case stops the follow-up of its customer in its company, holds the customer, reminds the
    collector of the claim deadline, and makes the claim to the trustee (principal, interest to the judgment,
    costs)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_fee_product_id = cls._create_product(
            name="Incassokosten", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        cls.company.credit_interest_product_id = cls._create_product(
            name="Wettelijke rente", type="service", lst_price=0.0, taxes_id=[Command.clear()]
        )
        cls.trustee = cls.Partner.create({"name": "Mr. A. Curator", "email": "curator@example.com", "lang": "en_US"})
        cls.Case = cls.env["credit.insolvency"]

    def _register(self, partner=None, judgment_days=0, user=None, **vals):
        return self.Case.with_user(user or self.collector).create(
            {
                "partner_id": (partner or self.customer).id,
                "kind": "nl_bankruptcy",
                "judgment_date": self._days(judgment_days),
                "court": "Rechtbank Midden-Nederland",
                "case_number": "C/16/26/123 F",
                "trustee_id": self.trustee.id,
                "claim_deadline": self._days(30),
                **vals,
            }
        )

    def _fee_policy(self):
        """One proposed level 10 days after the due date that charges a fixed fee and the statutory interest."""
        return self._policy(
            "Fees",
            {
                "name": "Aanmaning",
                "days": 10,
                "auto_execute": False,
                "fee_type": "fixed",
                "fee_amount": 15.0,
                "interest_type": "nl_commercial",
                "invoice_interest": True,
            },
        )

    def _customer_invoices(self, partner):
        return self.env["account.move"].search([("partner_id", "=", partner.id), ("move_type", "=", "out_invoice")])

    # ------------------------------------------------------------------
    # The pause, through the daily run
    # ------------------------------------------------------------------

    def test_no_action_fee_or_interest_after_the_judgment_and_other_customers_untouched(self):
        self._fee_policy()
        self.other_customer.email = "boekhouding@peeters.example.com"
        invoice = self._invoice(self.customer, 1000.0, due_in=-20)
        self._invoice(self.other_customer, 1000.0, due_in=-20)
        proposals = self._run()
        ours = proposals.filtered(lambda a: a.partner_id == self.customer)
        theirs = proposals - ours
        self.assertEqual(len(ours), 1)
        self.assertEqual(len(theirs), 1)
        # the judgment is in five days: nothing pauses yet
        case = self._register(judgment_days=5)
        self.assertEqual(ours.state, "proposed")
        # the run of the judgment day withdraws the customer's open proposal, not the other's
        self._run(days=5)
        self.assertEqual(ours.state, "cancelled")
        self.assertIn(case.name, ours.result)
        self.assertEqual(theirs.state, "proposed")
        # a collector who approves the withdrawn customer's old proposal cannot (it is cancelled); the other's
        # proposal charges its fee and interest
        theirs.with_context(credit_followup_date=self._days(5)).action_approve()
        self.assertEqual(theirs.state, "done", theirs.result)
        self.assertTrue(theirs.fee_move_id)
        # a month later: nothing for the customer, no fee invoice, no interest charged on its item
        later = self._run(days=40)
        self.assertFalse(later.filtered(lambda a: a.partner_id == self.customer))
        self.assertEqual(self._customer_invoices(self.customer), invoice)
        receivable = invoice.line_ids.filtered("date_maturity")
        self.assertFalse(receivable.credit_interest_to)
        self.assertEqual(receivable.move_id._credit_pause_records(self._days(40))[invoice], [case])
        # closing the case lifts the pause (not the hold): the next run proposes again
        case.with_user(self.collector).action_close()
        self.assertEqual(case.state, "closed")
        again = self._run(days=41)
        self.assertEqual(again.filtered(lambda a: a.partner_id == self.customer).line_ids, receivable)
        self.assertTrue(self.customer.credit_hold)

    def test_registering_withdraws_open_proposals_at_once_and_holds_the_customer(self):
        self._fee_policy()
        self._invoice(self.customer, 1000.0, due_in=-20)
        proposal = self._run()
        case = self._register(judgment_days=-3)
        self.assertEqual(proposal.state, "cancelled", "withdrawn on registration, before any run")
        self.assertTrue(self.customer.credit_hold)
        self.assertIn(case.name, self.customer.credit_hold_reason)
        self.assertIn("Credit hold set", self._messages(self.customer)[0].body)
        activity = case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, self._days(30))
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(case.name[:4], "INS/")

    def test_a_case_of_one_company_does_not_touch_another_companys_items(self):
        company_2 = self.setup_other_company(name="Van Dijk België")["company"]
        ours = self._invoice(self.customer, 1000.0, due_in=-20)
        theirs = self._invoice(self.customer, 1000.0, due_in=-20, company=company_2)
        self._register(judgment_days=-1)
        Line = self.env["account.move.line"]
        lines = (ours | theirs).line_ids.filtered("date_maturity")
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT aml.id FROM account_move_line aml WHERE aml.id = ANY(%s) AND %s",
                lines.ids,
                Line._credit_exclusion_sql("aml", self.today),
            )
        )
        self.assertEqual([row[0] for row in rows], theirs.line_ids.filtered("date_maturity").ids)
        self.assertEqual(theirs._credit_pause_records()[theirs], [])
        self.assertFalse(self.customer.with_company(company_2).credit_hold)
        self.assertTrue(self.customer.with_company(self.company).credit_hold)

    # ------------------------------------------------------------------
    # The claim
    # ------------------------------------------------------------------

    def test_claim_totals_to_the_cent(self):
        # judgment on 15 June 2026, interest up to 14 June (art. 128 Fw), Dutch commercial rate 10.15 %
        first = self._invoice(self.customer, 1000.0, due_in=-30)  # due 16 May: 17 May - 14 June, 29 days
        second = self._invoice(self.customer, 2500.0, due_in=-60)  # due 16 April: 17 April - 14 June, 59 days
        case = self._register()
        self.assertEqual((case.interest_type, case.cost_type), ("nl_commercial", "nl_bik"))
        claim = case._credit_claim()
        interest = {item["move"]: item["interest"] for item in claim["lines"]}
        self.assertAlmostEqual(interest[first], 8.06, places=2)  # 1,000 x 10.15 % x 29 / 365 = 8.0644
        self.assertAlmostEqual(interest[second], 41.02, places=2)  # 2,500 x 10.15 % x 59 / 365 = 41.0171
        self.assertAlmostEqual(claim["principal"], 3500.00, places=2)
        self.assertAlmostEqual(claim["interest"], 49.08, places=2)
        self.assertAlmostEqual(claim["costs"], 475.00, places=2)  # BIK: 15 % of 2,500 + 10 % of 1,000
        self.assertAlmostEqual(claim["total"], 4024.08, places=2)
        self.assertAlmostEqual(case.claim_total, 4024.08, places=2)

    def test_claim_rules_are_small_pure_functions(self):
        self.assertEqual(insolvency_claim.last_interest_day(date(2026, 6, 15)), date(2026, 6, 14))
        self.assertEqual(insolvency_claim.claim_costs("nl_bik", Decimal("3500")), Decimal("475.00"))
        self.assertEqual(insolvency_claim.claim_costs("be_consumer", Decimal("100")), Decimal("20.00"))
        self.assertEqual(insolvency_claim.claim_costs("none", Decimal("3500")), Decimal("0.00"))
        self.assertEqual(
            set(insolvency_claim.CLAIM_RULES), {key for key, _label in self.Case._fields["kind"].selection}
        )

    def test_the_claim_renders_in_english_and_dutch(self):
        self._invoice(self.customer, 1000.0, due_in=-30)
        case = self._register()
        html = self.env["ir.actions.report"]._render_qweb_html("credit_control.action_report_credit_claim", case.ids)[0]
        html = html.decode()
        self.assertIn("Statement of claim", html)
        self.assertIn("art. 128 Fw", html)
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        self.trustee.lang = "nl_NL"
        html = self.env["ir.actions.report"]._render_qweb_html("credit_control.action_report_credit_claim", case.ids)[0]
        html = html.decode()
        self.assertIn("Vorderingsopgave", html)
        self.assertIn("Wettelijke rente", html)
        # the PDF path (HTML while testing: wkhtmltopdf is not run by the test server)
        content, _kind = self.env["ir.actions.report"]._render_qweb_pdf(
            "credit_control.action_report_credit_claim", case.ids
        )
        self.assertIn("Vorderingsopgave", content.decode())

    def test_send_claim_files_it_and_keeps_the_pdf_in_the_chatter(self):
        self._invoice(self.customer, 1000.0, due_in=-30)
        case = self._register()
        action = case.with_user(self.collector).action_send_claim()
        composer = (
            self.env["mail.compose.message"].with_user(self.collector).with_context(**action["context"]).create({})
        )
        composer._action_send_mail()
        self.assertEqual(case.state, "claim_filed")
        self.assertEqual(case.claim_filed_date, self.today)
        message = self._messages(case).filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn(self.trustee, message.partner_ids)
        # the claim report, attached by the template (rendered as HTML, not PDF, while testing)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertTrue(message.attachment_ids.name.startswith(f"Claim - {case.name.replace('/', '-')}."))
        # a dividend opens Odoo's own payment registration and moves the state
        case.with_user(self.collector).action_acknowledge_claim()
        register = case.with_user(self.collector).action_register_dividend()
        self.assertEqual(register["res_model"], "account.payment.register")
        self.assertEqual(case.state, "dividend_received")

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_salesperson_and_other_company_see_no_case(self):
        case = self._register()
        with self.assertRaises(AccessError):
            case.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError):
            self.Case.with_user(self.salesman).create(
                {"partner_id": self.other_customer.id, "kind": "nl_bankruptcy", "judgment_date": self.today}
            )
        company_2 = self.setup_other_company(name="Other BV")["company"]
        stranger = new_test_user(
            self.env,
            login="manager_2",
            groups="credit_control.group_credit_control_manager",
            company_ids=[Command.set(company_2.ids)],
            company_id=company_2.id,
        )
        with self.assertRaises(AccessError):
            case.with_user(stranger).read(["name"])

    def test_collector_cannot_rewrite_a_case_and_nobody_deletes_one(self):
        case = self._register()
        with self.assertRaises(AccessError):
            case.with_user(self.collector).write({"judgment_date": self._days(10)})
        with self.assertRaises(UserError):
            case.with_user(self.manager).write({"state": "closed"})
        with self.assertRaises(UserError):  # the buttons' context key is not enough over RPC
            case.with_user(self.manager).with_context(credit_insolvency_workflow=True).write({"state": "closed"})
        with self.assertRaises(UserError):
            case.with_user(self.manager).write({"partner_id": self.other_customer.id})
        with self.assertRaises(UserError):
            case.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            case.with_user(self.salesman).action_cancel()
        case.with_user(self.collector).action_cancel()
        self.assertEqual(case.state, "cancelled")
        self.assertTrue(case.exists())
