from datetime import timedelta

import polib
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import file_path

from .common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsurance(CreditControlCommon):
    """Credit insurance: the insured part of the exposure, the covers' rules, the insurer's notification deadline
    in the daily run, *Insurer Notifications*, and who may see and change covers.

    The aging counts days from the database's date, so this book is built around the real today (as the aging's
    own tests); the daily run and the notifications use the frozen day where a test moves in time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.Insurance = cls.env["credit.insurance"]
        cls.insurer = cls.Partner.create({"name": "Atradius Kredietverzekering", "credit_insurer_notify_days": 60})
        cls.customer.credit_collector_id = cls.collector
        # De Vries: 834.56 due 55 days ago (the insurer's 60-day deadline in 5 days) + 400.00 due 10 days ago
        cls.near = cls._invoice(cls.customer, 834.56, due_in=-55)
        cls.recent = cls._invoice(cls.customer, 400.00, due_in=-10)
        cls.cover = cls._cover(cls.customer, insured_limit=1000.0, coverage_percent=87.5, policy_number="ATR-1")
        # Peeters is not insured; its item is long past any deadline
        cls._invoice(cls.other_customer, 500.00, due_in=-80)
        # Bakker is insured and within term: due 20 days ago, its deadline 40 days away
        cls.within = cls.Partner.create({"name": "Autoservice Bakker", "is_company": True, "customer_rank": 1})
        cls._invoice(cls.within, 300.00, due_in=-20)
        cls.within_cover = cls._cover(cls.within, insured_limit=5000.0, coverage_percent=90.0, policy_number="ATR-2")

    @classmethod
    def _cover(cls, partner, state="granted", **values):
        cover = cls.Insurance.create(
            {
                "partner_id": partner.id,
                "insurer_id": cls.insurer.id,
                "policy_number": "ATR",
                "valid_from": cls._days(-365),
                **values,
            }
        )
        if state in ("granted", "reduced"):
            cover.action_grant()
        if state == "reduced":
            cover.action_reduce()
        return cover

    def _activities(self, covers=None):
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_insurer_notification")
        domain = [("res_model", "=", "credit.insurance"), ("activity_type_id", "=", activity_type.id)]
        if covers is not None:
            domain.append(("res_id", "in", covers.ids))
        return self.env["mail.activity"].search(domain)

    def _flush_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def _daily_run(self, days=0):
        """The daily run's preparation of the company (the step the insurer notifications are part of)."""
        with freeze_time(self._days(days)):
            self.env["credit.followup.run"]._prepare_company(self.company)

    # ------------------------------------------------------------------
    # Insured versus uninsured exposure
    # ------------------------------------------------------------------

    def test_insured_is_the_covered_share_of_the_exposure_up_to_the_limit_to_the_cent(self):
        customers = (self.customer | self.other_customer | self.within).with_company(self.company)
        # De Vries: exposure 1,234.56 over the limit 1,000.00: insured 1,000.00 x 87.5 % = 875.00
        self.assertEqual(customers[0].credit_exposure, 1234.56)
        self.assertEqual(customers[0].credit_insurance_id, self.cover)
        self.assertEqual(customers[0].credit_insured_exposure, 875.00)
        self.assertEqual(customers[0].credit_uninsured_exposure, 359.56)
        # Peeters: not insured, all its exposure is the company's own risk
        self.assertFalse(customers[1].credit_insurance_id)
        self.assertEqual(customers[1].credit_insured_exposure, 0.0)
        self.assertEqual(customers[1].credit_uninsured_exposure, 500.00)
        # Bakker: exposure 300.00 under its limit: 90 % of it
        self.assertEqual(customers[2].credit_insured_exposure, 270.00)
        self.assertEqual(customers[2].credit_uninsured_exposure, 30.00)
        # a contact shows its company's figures
        self.assertEqual(self.customer_contact.with_company(self.company).credit_insured_exposure, 875.00)

    def test_insured_figures_are_set_based(self):
        customers = self.customer | self.other_customer | self.within
        customers._credit_insured_by_partner(self.company)  # warm the caches
        with self.assertQueryCount(3):  # the exposures (and the check that they are prepared), the covers
            figures = customers._credit_insured_by_partner(self.company)
        self.assertEqual(
            {pid: values[1] for pid, values in figures.items()},
            {self.customer.id: 875.00, self.other_customer.id: 0.0, self.within.id: 270.00},
        )

    def test_a_withdrawn_or_expired_cover_insures_nothing(self):
        self.cover.action_withdraw()
        self.within_cover.with_context(credit_insurance_workflow=True).write({"valid_to": self._days(-1)})
        customers = (self.customer | self.within).with_company(self.company)
        self.assertEqual(customers.mapped("credit_insured_exposure"), [0.0, 0.0])
        self.assertEqual(customers.mapped("credit_uninsured_exposure"), [1234.56, 300.00])

    def test_the_aging_shows_the_insured_part_per_item(self):
        Aging = self.env["credit.aging.report"]
        groups = dict(
            Aging._read_group([("partner_id", "in", self.customer.ids)], ["partner_id"], ["insured_amount:sum"])
        )
        self.assertAlmostEqual(groups[self.customer], 875.00, places=2)
        rows = Aging.search([("partner_id", "=", self.customer.id)], order="amount_residual desc")
        self.assertEqual(rows.insurer_id, self.insurer)
        # each item carries its share: 834.56 and 400.00 of 1,234.56 times 875.00
        self.assertAlmostEqual(rows[0].insured_amount, 591.50, places=2)
        self.assertAlmostEqual(rows[1].insured_amount, 283.50, places=2)
        uninsured = Aging.search([("partner_id", "=", self.other_customer.id)])
        self.assertFalse(uninsured.insurer_id)
        self.assertEqual(uninsured.insured_amount, 0.0)

    def test_the_cfo_report_shows_the_insured_receivables_in_its_language(self):
        report = self.env["report.credit_control.report_credit_cfo"]
        # 875.00 (De Vries) + 270.00 (Bakker)
        self.assertEqual(report._cfo_insured(self.company, self.today), 1145.00)
        month_end = self.today.replace(day=1) - timedelta(days=1)
        snapshot = (
            self.env["credit.kpi.snapshot"]
            ._compute_month(self.company, month_end)
            .filtered(lambda s: s.scope == "company")
        )
        # the line's Dutch from nl.po (set on the view here: Odoo loads a .po entry only once the .pot has it)
        self.env["res.lang"]._activate_lang("nl_NL")
        label = "of which insured by credit insurers"
        dutch = {entry.msgid: entry.msgstr for entry in polib.pofile(file_path("credit_control/i18n/nl.po"))}
        self.env.ref("credit_control.report_credit_cfo_document_insurance").update_field_translations(
            "arch_db", {"nl_NL": {label: dutch[label]}}
        )
        for lang, label in (("en_US", "of which insured by credit insurers"), ("nl_NL", "waarvan verzekerd")):
            html, _kind = self.env["ir.actions.report"]._render_qweb_html(
                "credit_control.action_report_credit_cfo",
                snapshot.ids,
                data={"date": fields.Date.to_string(self.today), "lang": lang},
            )
            self.assertIn(label, html.decode())
            self.assertIn("1,145.00" if lang == "en_US" else "1.145,00", html.decode())

    # ------------------------------------------------------------------
    # The covers' rules
    # ------------------------------------------------------------------

    def test_coverage_and_validity_are_checked(self):
        with self.assertRaises(ValidationError):
            self._cover(self.other_customer, state="requested", coverage_percent=100.5)
        with self.assertRaises(ValidationError):
            self._cover(self.other_customer, state="requested", coverage_percent=-1)
        with self.assertRaises(ValidationError):
            self._cover(self.other_customer, state="requested", valid_to=self._days(-366))
        self.assertEqual(self._cover(self.other_customer, state="requested", coverage_percent=100).state, "requested")

    def test_one_granted_cover_per_customer_and_period(self):
        overlapping = self._cover(self.customer, state="requested", valid_from=self._days(-30))
        with self.assertRaises(ValidationError):
            overlapping.action_grant()
        # a second request is fine, and so is a cover after the first one ends
        self.cover.with_context(credit_insurance_workflow=True).write({"valid_to": self._days(10)})
        later = self._cover(self.customer, state="requested", valid_from=self._days(11))
        later.action_grant()
        self.assertEqual(later.state, "granted")
        # a withdrawn cover leaves the period free
        overlapping.action_withdraw()
        self.assertEqual(overlapping.state, "withdrawn")

    def test_state_changes_only_through_the_buttons_and_are_kept(self):
        cover = self._cover(self.other_customer, state="requested").with_context(
            tracking_disable=False, mail_notrack=False
        )
        self._flush_tracking()  # a record is not tracked in the transaction that creates it
        self.assertEqual(
            self.Insurance.create(
                {
                    "partner_id": self.other_customer.id,
                    "insurer_id": self.insurer.id,
                    "policy_number": "X",
                    "state": "granted",
                }
            ).state,
            "requested",
        )
        with self.assertRaises(AccessError):
            cover.write({"state": "granted"})
        with self.assertRaises(AccessError):
            cover.write({"reported_line_ids": [Command.link(self.near.line_ids[0].id)]})
        # each button is its own transaction in the UI: its tracking is written before that commit
        for step in (cover.action_grant, lambda: cover.write({"insured_limit": 200.0}), cover.action_reduce):
            step()
            self._flush_tracking()
        cover.action_withdraw()
        self._flush_tracking()
        tracked = (
            self.env["mail.tracking.value"]
            .sudo()
            .search([("mail_message_id.res_id", "=", cover.id), ("mail_message_id.model", "=", "credit.insurance")])
        )
        states = tracked.filtered(lambda t: t.field_id.name == "state")
        self.assertEqual(
            sorted(states.mapped("new_value_char")),
            ["Granted", "Reduced", "Withdrawn"],
        )
        with self.assertRaises(UserError):
            cover.action_grant()
        with self.assertRaises(UserError):
            cover.write({"insured_limit": 900.0})
        with self.assertRaises(UserError):
            cover.unlink()
        copy = cover.copy()
        self.assertEqual(copy.state, "requested")
        self.assertIn("insured_limit", tracked.field_id.mapped("name"))

    def test_the_notification_deadline_comes_from_the_insurer(self):
        self.assertEqual(self.cover.notify_days, 60)
        other_insurer = self.Partner.create({"name": "Coface"})
        cover = self._cover(self.other_customer, state="requested", insurer_id=other_insurer.id)
        self.assertEqual(cover.notify_days, 90)  # none on the insurer: the common 90 days
        cover.notify_days = 75  # this policy says otherwise
        self.assertEqual(cover.notify_days, 75)

    # ------------------------------------------------------------------
    # The daily run and the insurer notifications
    # ------------------------------------------------------------------

    def test_the_daily_run_gives_the_collector_one_activity_once(self):
        self._daily_run()
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.res_id, self.cover.id)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, self._days(5))
        self.assertIn("Atradius", activity.summary)
        # not for the uninsured customer nor for the one within term; not again the same day or the next
        self._daily_run()
        self._daily_run(days=1)
        self.assertEqual(self._activities(), activity)

    def test_without_a_collector_the_credit_manager_gets_it(self):
        self.customer.credit_collector_id = False
        self._daily_run()
        user = self._activities().user_id
        self.assertTrue(user.has_group("credit_control.group_credit_control_manager"))
        self.assertNotEqual(user, self.collector)

    def test_an_item_past_the_deadline_and_not_reported_is_notified(self):
        self._daily_run(days=30)  # the 834.56 passed its deadline 25 days ago, Bakker's is in 10 days
        activities = self._activities()
        self.assertEqual(set(activities.mapped("res_id")), {self.cover.id})
        self._daily_run(days=35)  # Bakker's deadline now within the week
        self.assertEqual(set(self._activities().mapped("res_id")), {self.cover.id, self.within_cover.id})

    def test_report_overdue_records_the_items_and_closes_the_activity(self):
        self._daily_run()
        self.cover.with_user(self.collector).action_report_overdue()
        self.assertEqual(self.cover.reported_line_ids, self._receivable(self.near))
        self.assertEqual(self.cover.date_last_reported, self.today)
        self.assertFalse(self._activities())
        body = self._messages(self.cover).mapped("body")
        self.assertTrue(any(self.near.name in text and "834.56" in text for text in body))
        # reported: neither the next runs nor the list bring it back
        self._daily_run(days=1)
        self._daily_run(days=10)
        self.assertFalse(self._activities())
        self.assertFalse(self.env["credit.insurance.notification"].search([("insurance_id", "=", self.cover.id)]))
        with self.assertRaises(UserError):
            self.cover.with_user(self.collector).action_report_overdue()

    def test_marking_the_activity_done_reports_the_items(self):
        self._daily_run()
        self._activities().with_user(self.collector).action_feedback(feedback="Gemeld via het portaal")
        self.assertEqual(self.cover.reported_line_ids, self._receivable(self.near))
        self._daily_run(days=1)
        self.assertFalse(self._activities())

    def test_insurer_notifications_list_what_to_report_this_week(self):
        Notification = self.env["credit.insurance.notification"]
        rows = Notification.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), 1)
        self.assertRecordValues(
            rows,
            [
                {
                    "insurer_id": self.insurer.id,
                    "partner_id": self.customer.id,
                    "insurance_id": self.cover.id,
                    "policy_number": "ATR-1",
                    "move_id": self.near.id,
                    "date_maturity": self._days(-55),
                    "days_overdue": 55,
                    "amount_residual": 834.56,
                    "deadline": self._days(5),
                    "deadline_passed": False,
                }
            ],
        )
        # a month later: De Vries's item is past its deadline, Bakker's is within the week; grouped by insurer
        with freeze_time(self._days(35)):
            Notification.invalidate_model()  # a row is an item: its days and deadline are of the day asked
            later = Notification.search([("company_id", "=", self.company.id)])
            self.assertEqual(later.mapped("deadline_passed"), [True, False])
            groups = Notification._read_group(
                [("company_id", "=", self.company.id)], ["insurer_id"], ["amount_residual:sum", "__count"]
            )
            self.assertEqual(groups, [(self.insurer, 1134.56, 2)])

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_salespeople_have_no_access(self):
        with self.assertRaises(AccessError):
            self.Insurance.with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.cover.with_user(self.salesman).read(["insured_limit"])
        with self.assertRaises(AccessError):
            self.env["credit.insurance.notification"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).read(["credit_insured_exposure"])

    def test_collectors_read_but_do_not_change_covers(self):
        cover = self.cover.with_user(self.collector)
        self.assertEqual(cover.insured_limit, 1000.0)
        with self.assertRaises(AccessError):
            cover.write({"insured_limit": 5000.0})
        with self.assertRaises(AccessError):
            cover.action_withdraw()
        with self.assertRaises(AccessError):
            self.Insurance.with_user(self.collector).create(
                {"partner_id": self.other_customer.id, "insurer_id": self.insurer.id, "policy_number": "X"}
            )
        with self.assertRaises(AccessError):
            cover.copy()

    def test_another_companys_user_does_not_see_the_covers(self):
        other_company = self.setup_other_company()["company"]
        outsider = new_test_user(
            self.env,
            login="other_credit_manager",
            groups="credit_control.group_credit_control_manager",
            company_ids=[Command.set(other_company.ids)],
            company_id=other_company.id,
        )
        self.assertFalse(self.Insurance.with_user(outsider).search([("partner_id", "=", self.customer.id)]))
        with self.assertRaises(AccessError):
            self.cover.with_user(outsider).read(["insured_limit"])
        self.assertFalse(self.env["credit.insurance.notification"].with_user(outsider).search([]))
