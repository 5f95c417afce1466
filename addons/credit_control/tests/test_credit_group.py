from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_amount, mute_logger

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditGroup(CreditControlCommon):
    """A credit group shares one limit among its members: its exposure is the sum of theirs, and an order of a
    member is blocked when the member's limit or the group's would be exceeded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.holding = cls.Partner.create({"name": "Janssens Holding", "is_company": True, "customer_rank": 1})
        cls.antwerpen = cls.Partner.create(
            {"name": "Janssens Antwerpen", "is_company": True, "parent_id": cls.holding.id, "customer_rank": 1}
        )
        # a subsidiary of the subsidiary, and a person working at the first: only companies become members
        cls.gent = cls.Partner.create(
            {"name": "Janssens Gent", "is_company": True, "parent_id": cls.antwerpen.id, "customer_rank": 1}
        )
        cls.contact = cls.Partner.create({"name": "Piet Janssens", "parent_id": cls.antwerpen.id})
        action = cls.holding.with_user(cls.manager).action_credit_create_group()
        cls.group = cls.env["credit.group"].browse(action["res_id"])
        cls.group.credit_limit = 1000.0

    def _fmt(self, amount):
        return format_amount(self.env, amount, self.currency)

    def _book(self):
        """Open items, a draft invoice and a confirmed order over the three members: 716.71 in all."""
        late = self._invoice(self.holding, 500.0, due_in=-10)
        self._pay(late, amount=123.45)  # 376.55 open
        self._invoice(self.antwerpen, 300.10, due_in=10)
        self._invoice(self.contact, 50.05, due_in=5, move_type="out_refund")  # the contact's credit note: 250.05
        self._order(self.gent, 77.77).action_confirm()
        self._invoice(self.gent, 12.34, due_in=5, post=False)  # draft: 90.11

    # ------------------------------------------------------------------
    # The group and its figures
    # ------------------------------------------------------------------

    def test_group_from_a_parent_company_holds_it_and_its_subsidiaries(self):
        self.assertEqual(self.group.name, "Janssens Holding")
        self.assertEqual(self.group.company_id, self.company)
        self.assertEqual(self.group.member_ids, self.holding | self.antwerpen | self.gent)
        self.assertEqual(self.group.member_count, 3)
        self.assertFalse(self.contact.credit_group_id)
        self.assertEqual(self.contact.commercial_partner_id.credit_group_id, self.group)
        with self.assertRaisesRegex(UserError, "Already in a credit group"):
            self.antwerpen.with_user(self.manager).action_credit_create_group()

    def test_group_exposure_is_the_members_exposure_to_the_cent(self):
        self._book()
        members = self.group.member_ids
        self.assertAlmostEqual(self.group.exposure, 716.71, places=2)
        self.assertAlmostEqual(self.group.exposure, sum(members.mapped("credit_exposure")), places=2)
        self.assertAlmostEqual(self.group.available, 283.29, places=2)
        self.assertFalse(self.group.over_limit)
        # the customer form's figures: the group's, from any member or contact
        self.assertAlmostEqual(self.antwerpen.credit_group_exposure, 716.71, places=2)
        self.assertAlmostEqual(self.antwerpen.credit_group_limit, 1000.0, places=2)
        self.assertAlmostEqual(self.antwerpen.credit_group_available, 283.29, places=2)
        self.group.credit_limit = 700.0
        self.assertTrue(self.group.over_limit)
        self.assertEqual(self.env["credit.group"].search([("over_limit", "=", True)]), self.group)

    def test_a_member_is_always_a_commercial_partner(self):
        with self.assertRaises(ValidationError):
            self.contact.credit_group_id = self.group
        with self.assertRaises(ValidationError):
            self.holding.write({"parent_id": self.other_customer.id, "is_company": False})

    def test_a_group_limit_change_is_kept_in_the_limit_history(self):
        self.group.with_user(self.manager).with_context(credit_limit_reason="jaarcijfers 2025").credit_limit = 2500.0
        history = self.env["credit.limit.history"].search([("group_id", "=", self.group.id)], limit=1)
        self.assertEqual((history.old_limit, history.new_limit), (1000.0, 2500.0))
        self.assertEqual(history.reason, "jaarcijfers 2025")
        self.assertEqual(history.user_id, self.manager)
        self.assertFalse(history.partner_id)

    # ------------------------------------------------------------------
    # The order check
    # ------------------------------------------------------------------

    def test_a_member_within_its_own_limit_is_blocked_by_its_group(self):
        self._book()
        self.antwerpen.credit_limit = 10000.0
        order = self._order(self.antwerpen, 400.0, user=self.salesman)
        expected = (
            f"Group Janssens Holding: limit {self._fmt(1000.0)}, exposure {self._fmt(716.71)} "
            f"+ this order {self._fmt(400.0)}."
        )
        self.assertIn(expected, order.with_user(self.salesman).credit_block_reason)
        self.assertNotIn("Credit limit exceeded", order.credit_block_reason)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.salesman).action_confirm()
        self.assertIn(expected, str(caught.exception))
        self.assertEqual(order.state, "draft")
        # within the group's limit it goes
        small = self._order(self.antwerpen, 283.29, user=self.salesman)
        small.with_user(self.salesman).action_confirm()
        self.assertEqual(small.state, "sale")

    def test_a_member_over_its_own_limit_is_blocked_without_the_group(self):
        self._book()
        self.group.credit_limit = 100000.0
        self.gent.credit_limit = 100.0
        order = self._order(self.gent, 50.0)
        with self.assertRaises(UserError) as caught:
            order.action_confirm()
        self.assertIn("Credit limit exceeded", str(caught.exception))
        self.assertNotIn("Group Janssens Holding", str(caught.exception))

    def test_the_block_message_is_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        self._book()
        self.salesman.lang = "nl_NL"
        order = self._order(self.holding, 400.0, user=self.salesman)
        message = order.with_user(self.salesman).with_context(lang="nl_NL").credit_block_reason
        self.assertIn("Groep Janssens Holding: limiet", message)
        self.assertIn("blootstelling", message)
        self.assertIn("+ deze order", message)

    def test_an_override_for_the_order_amount_covers_the_group_block(self):
        self._book()
        order = self._order(self.holding, 400.0)
        wizard = (
            self.env["credit.override.approve"]
            .with_user(self.manager)
            .create({"order_id": order.id, "reason": "Holding staat borg voor deze order"})
        )
        self.assertIn("Group Janssens Holding", wizard.block_message)
        wizard.action_approve()
        self.assertEqual(order.state, "sale")
        self.assertIn("Group Janssens Holding", order.credit_override_ids.block_message)

    def test_the_increase_of_a_confirmed_order_counts_against_the_group(self):
        self._book()
        order = self._order(self.gent, 200.0)
        order.action_confirm()
        with self.assertRaises(UserError) as caught:
            order.order_line.price_unit = 400.0  # adds 200.00 on 916.71
        self.assertIn(f"+ the increase of this order {self._fmt(200.0)}", str(caught.exception))
        order.order_line.price_unit = 283.29
        self.assertEqual(order.amount_total, 283.29)

    def test_two_members_orders_add_up_in_their_group(self):
        self._book()
        first = self._order(self.holding, 200.0)
        second = self._order(self.gent, 200.0)
        with self.assertRaises(UserError) as caught:
            (first | second).action_confirm()
        self.assertIn("Group Janssens Holding", str(caught.exception))
        self.assertEqual((first | second).mapped("state"), ["draft", "draft"])

    def test_an_archived_group_limits_nothing(self):
        self._book()
        self.group.active = False
        order = self._order(self.holding, 400.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def _check_queries(self, order):
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        order._credit_check_confirmation()
        return self.env.cr.sql_log_count - start

    def test_the_check_for_a_member_does_not_grow_with_the_members(self):
        self._book()
        self.group.credit_limit = 1000000.0
        order = self._order(self.antwerpen, 10.0)
        order._credit_check_confirmation()  # warm up
        few = self._check_queries(order)
        more = self.Partner.create(
            [{"name": f"Janssens Filiaal {i}", "is_company": True, "credit_group_id": self.group.id} for i in range(20)]
        )
        for partner in more[:5]:
            self._invoice(partner, 10.0, due_in=5)
        self.assertEqual(self._check_queries(order), few)
        self.env.invalidate_all()
        with self.assertQueryCount(few):
            order._credit_check_confirmation()
        self.assertLessEqual(few, 25)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_only_credit_managers_change_groups_and_memberships(self):
        for user in (self.salesman, self.collector):
            with self.assertRaises(AccessError):
                self.other_customer.with_user(user).write({"credit_group_id": self.group.id})
            with self.assertRaises(AccessError):
                self.group.with_user(user).write({"credit_limit": 99999.0})
            with self.assertRaises(AccessError):
                self.group.with_user(user).write({"member_ids": [Command.link(self.other_customer.id)]})
            with self.assertRaises(AccessError):
                self.env["credit.group"].with_user(user).create({"name": "Eigen groep", "credit_limit": 1e6})
            with self.assertRaises(AccessError):
                self.Partner.with_user(user).create({"name": "Nieuwe klant", "credit_group_id": self.group.id})
            with self.assertRaises(AccessError):
                self.holding.with_user(user).action_credit_create_group()
        with self.assertRaises(AccessError):
            self.holding.with_user(self.salesman).read(["credit_group_id"])
        with self.assertRaises(AccessError):
            self.env["credit.group"].with_user(self.salesman).search([])
        self.assertEqual(self.group.credit_limit, 1000.0)
        self.assertFalse(self.other_customer.credit_group_id)
        # a collector reads the group, a credit manager changes it
        self.assertEqual(self.holding.with_user(self.collector).credit_group_id, self.group)
        self.other_customer.with_user(self.manager).credit_group_id = self.group
        self.assertIn(self.other_customer, self.group.member_ids)

    def test_a_user_of_another_company_never_sees_the_group(self):
        company_b = self.env["res.company"].create({"name": "Janssens BE"})
        user_b = new_test_user(
            self.env,
            login="manager_b",
            groups="credit_control.group_credit_control_manager",
            company_ids=[Command.set(company_b.ids)],
            company_id=company_b.id,
        )
        group_b = self.env["credit.group"].create({"name": "Groep B", "company_id": company_b.id})
        self.assertEqual(self.env["credit.group"].with_user(user_b).search([]), group_b)
        with self.assertRaises(AccessError):
            self.group.with_user(user_b).read(["name"])
        with self.assertRaises(AccessError):
            self.group.with_user(user_b).write({"credit_limit": 1.0})


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditGroupAllCompanies(CreditControlCommon):
    """The exposure in every company: on the customer form, and against the limit when the company says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")  # 2.00 EUR for 1.00 of the company's currency today
        cls.company_2 = cls.setup_other_company(name="Garage Services BE", currency_id=cls.eur.id)["company"]
        cls.env.user.company_ids |= cls.company_2
        cls.manager.company_ids |= cls.company_2
        cls.customer.credit_limit = 1000.0
        cls._invoice(cls.customer, 700.0, due_in=-10)
        cls._invoice(cls.customer, 400.0, due_in=-5, company=cls.company_2, currency=cls.eur)  # 200.00 here

    def test_the_limit_counts_the_other_companies_only_when_the_company_says_so(self):
        order = self._order(self.customer, 150.0)
        self.assertFalse(order._credit_confirmation_reasons())  # 700 + 150 within 1,000
        self.company.credit_limit_all_companies = True
        order.invalidate_recordset()
        reasons = order._credit_confirmation_reasons()
        self.assertEqual(len(reasons), 1)
        self.assertIn(f"exposure {format_amount(self.env, 900.0, self.currency)}", reasons[0])
        with self.assertRaises(UserError):
            order.action_confirm()
        self.company.credit_limit_all_companies = False
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_group_counts_its_members_in_all_companies(self):
        member = self.Partner.create({"name": "Peeters Logistiek", "is_company": True})
        group = self.env["credit.group"].create(
            {
                "name": "Peeters",
                "credit_limit": 1000.0,
                "member_ids": [Command.link(self.customer.id), Command.link(member.id)],
            }
        )
        self._invoice(member, 100.0, due_in=5, company=self.company_2, currency=self.eur)  # 50.00 here
        self.assertAlmostEqual(group.exposure, 700.0, places=2)
        self.company.credit_limit_all_companies = True
        group.invalidate_recordset()
        self.assertAlmostEqual(group.exposure, 950.0, places=2)
        order = self._order(member, 60.0)
        reasons = order._credit_confirmation_reasons()
        self.assertTrue(any("Group Peeters" in reason for reason in reasons))

    def test_the_customer_form_shows_the_exposure_in_every_company_of_the_user(self):
        html = str(self.customer.with_user(self.manager).credit_company_exposure_html)
        self.assertIn(self.company.name, html)
        self.assertIn("Garage Services BE", html)
        self.assertIn(format_amount(self.env, 700.0, self.currency), html)
        self.assertIn(format_amount(self.env, 400.0, self.eur), html)
        self.assertIn(format_amount(self.env, 1000.0, self.currency), html)
        # a user of one company sees no table
        self.assertFalse(self.customer.with_user(self.collector).credit_company_exposure_html)
