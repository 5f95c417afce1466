from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = "2026-06-15"


class CreditControlCommon(AccountTestInvoicingCommon):
    """A company with a chart of accounts, customers and the four kinds of users.

    Amounts are kept free of taxes so that every figure can be checked to the cent by hand.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        # the accountant running the tests is also the credit manager
        cls.env.user.groups_id |= cls.env.ref("credit_control.group_credit_control_manager")
        cls.env.user.email = "accountant@example.com"
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.today = fields.Date.from_string(TODAY)
        cls.Partner = cls.env["res.partner"]
        cls.customer = cls.Partner.create(
            {"name": "Garage De Vries B.V.", "is_company": True, "customer_rank": 1, "email": "info@garagedevries.nl"}
        )
        cls.customer_contact = cls.Partner.create({"name": "Jan de Vries", "parent_id": cls.customer.id})
        cls.other_customer = cls.Partner.create({"name": "Autobedrijf Peeters", "is_company": True, "customer_rank": 1})
        cls.product = cls._create_product(name="Remschijf", lst_price=100.0, taxes_id=[Command.clear()])
        company_ids = [Command.set(cls.company.ids)]
        cls.manager = new_test_user(
            cls.env,
            login="credit_manager",
            name="Credit Manager",
            email="credit.manager@example.com",
            groups="credit_control.group_credit_control_manager,sales_team.group_sale_salesman_all_leads",
            company_ids=company_ids,
            company_id=cls.company.id,
        )
        cls.collector = new_test_user(
            cls.env,
            login="collector",
            name="Collector",
            groups="credit_control.group_credit_control_user",
            company_ids=company_ids,
            company_id=cls.company.id,
        )
        cls.salesman = new_test_user(
            cls.env,
            login="salesman",
            name="Salesman",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            company_ids=company_ids,
            company_id=cls.company.id,
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @classmethod
    def _load_languages(cls, *langs):
        """Activate these languages and load the addon's translations for them."""
        for lang in langs:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], list(langs), overwrite=True)

    @classmethod
    def _days(cls, days):
        """The date ``days`` days from the frozen today (negative: in the past)."""
        return cls.today + timedelta(days=days)

    @classmethod
    def _invoice(
        cls,
        partner,
        amount,
        due_in=0,
        invoice_days=None,
        move_type="out_invoice",
        currency=None,
        company=None,
        post=True,
        payment_term=None,
    ):
        """A customer invoice of ``amount`` (no taxes), due ``due_in`` days from today."""
        company = company or cls.company
        invoice_date = cls._days(invoice_days if invoice_days is not None else min(due_in, 0) - 30)
        vals = {
            "move_type": move_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "invoice_date": invoice_date,
            "date": invoice_date,
            "invoice_line_ids": [
                Command.create(
                    {"product_id": cls.product.id, "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]}
                )
            ],
        }
        if payment_term:
            vals["invoice_payment_term_id"] = payment_term.id
        else:
            vals["invoice_date_due"] = cls._days(due_in)
        if currency:
            vals["currency_id"] = currency.id
        move = cls.env["account.move"].with_company(company).create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoices, amount=None, days=0, currency=None):
        """Register a payment of ``amount`` (default: the full residual) ``days`` from today."""
        ctx = {"active_model": "account.move", "active_ids": invoices.ids}
        vals = {"payment_date": cls._days(days)}
        if amount is not None:
            vals["amount"] = amount
            vals["payment_difference_handling"] = "open"
        if currency:
            vals["currency_id"] = currency.id
        wizard = cls.env["account.payment.register"].with_context(**ctx).create(vals)
        return wizard._create_payments()

    @classmethod
    def _order(cls, partner, amount, user=None, company=None):
        company = company or cls.company
        order = (
            cls.env["sale.order"]
            .with_user(user or cls.env.user)
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        return order.with_user(cls.env.user)

    def _messages(self, record):
        """The record's chatter, newest first (read from the database, not the cache)."""
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id)], order="id desc"
        )

    @classmethod
    def _policy(cls, name, *levels):
        """A follow-up policy with one level per dict of ``levels``, made the company's default policy.

        A level is an email (auto-executed, with the reminder template) unless its dict says otherwise."""
        template = cls.env.ref("credit_control.mail_template_credit_reminder")
        email = {"action_type": "email", "auto_execute": True, "mail_template_id": template.id}
        policy = cls.env["credit.policy"].create(
            {
                "name": name,
                "level_ids": [
                    Command.create({**(email if level.get("action_type", "email") == "email" else {}), **level})
                    for level in levels
                ],
            }
        )
        cls.company.credit_default_policy_id = policy
        return policy

    def _run(self, days=0):
        """The follow-up run of the company, ``days`` from today; returns the actions it created."""
        with freeze_time(self._days(days)):
            return self.env["credit.followup.run"]._run_followup(self.company)

    def _mail(self, action):
        """The email (mail.mail) that a follow-up action queued."""
        return self.env["mail.mail"].search([("mail_message_id", "=", action.mail_message_id.id)])

    @classmethod
    def _refresh(cls, company=None):
        company = company or cls.company
        cls.env["res.partner"].with_company(company)._credit_compute_statistics(company)
