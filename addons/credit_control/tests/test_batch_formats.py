import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import tools
from odoo.tests import tagged

from odoo.addons.credit_control.models.mail_render_mixin import BatchFormats
from odoo.addons.mail.models.mail_render_mixin import format_date

from .common import TODAY, CreditControlCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBatchFormats(CreditControlCommon):
    """While a batch of reminders renders, the templates' ``format_amount`` and ``format_date`` look each language
    up once: the texts stay exactly Odoo's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_languages("nl_NL", "fr_BE")
        cls.usd = cls.env.ref("base.USD")
        cls.jpy = cls.env.ref("base.JPY")
        cls.eur = cls.env.ref("base.EUR")
        cls.policy = cls._policy("Formats policy", {"name": "Reminder", "days": 7, "auto_execute": False})

    def test_the_batch_helpers_give_odoos_texts(self):
        amounts = [0.0, -0.0, 0.004, 0.005, 12, -1234.5, 1234567.891, -98765432.1]
        dates = [
            datetime.date(2026, 6, 15),
            datetime.date(1999, 12, 31),
            datetime.datetime(2026, 6, 15, 23, 30),
            "2026-06-15",
            "2026-06-15 23:30:00",
            "",
            False,
        ]
        compared = 0
        for context_lang in ("en_US", "nl_NL", "fr_BE"):
            env = self.env(context=dict(self.env.context, lang=context_lang))
            formats = BatchFormats(env)
            for lang_code in (False, "nl_NL", "fr_BE", "en_US", "de_DE"):
                for currency in (self.eur, self.usd, self.jpy):
                    for amount in amounts:
                        self.assertEqual(
                            formats.format_amount(amount, currency, lang_code),
                            tools.format_amount(env, amount, currency, lang_code),
                            f"{amount} {currency.name} in {lang_code or context_lang}",
                        )
                        compared += 1
                for value in dates:
                    for pattern in (False, "dd MMMM yyyy"):
                        self.assertEqual(
                            formats.format_date(value, pattern, lang_code),
                            format_date(env, value, pattern, lang_code),
                            f"{value!r} {pattern} in {lang_code or context_lang}",
                        )
                        compared += 1
        self.assertEqual(compared, 3 * 5 * (3 * len(amounts) + 2 * len(dates)))
        # the Dutch texts a reminder shows: thousands grouped, decimal comma, the euro after the amount
        formats = BatchFormats(self.env(context=dict(self.env.context, lang="nl_NL")))
        self.assertEqual(formats.format_amount(12345.678, self.eur), "12.345,68\N{NO-BREAK SPACE}€")
        self.assertEqual(formats.format_date(datetime.date(2026, 6, 15)), "15-06-2026")

    def test_reminders_render_the_same_in_a_batch_as_outside_one(self):
        dutch = self.Partner.create(
            {"name": "Bakkerij Jansen", "is_company": True, "lang": "nl_NL", "email": "jansen@example.nl"}
        )
        belgian = self.Partner.create(
            {"name": "Brasserie Dupont", "is_company": True, "lang": "fr_BE", "email": "dupont@example.be"}
        )
        english = self.Partner.create({"name": "Smith Ltd", "is_company": True, "email": "smith@example.com"})
        customers = dutch | belgian | english
        for customer in customers:
            self._invoice(customer, 12345.67, due_in=-10)
            self._invoice(customer, 250.0, due_in=-8, invoice_days=-20)
        actions = self._run().filtered(lambda a: a.partner_id in customers)
        self.assertEqual(len(actions), 3)
        template = self.env.ref("credit_control.mail_template_credit_reminder")
        self.assertEqual(actions.level_id.mail_template_id, template)

        calls = []
        batch_format_amount = BatchFormats.format_amount

        def counted(formats, *args, **kwargs):
            calls.append(args)
            return batch_format_amount(formats, *args, **kwargs)

        with patch.object(BatchFormats, "format_amount", counted):
            in_batch = actions._render_emails()
        self.assertTrue(calls, "the batch rendered with its own helpers")
        calls.clear()
        with patch.object(BatchFormats, "format_amount", counted):
            outside = template._generate_template(actions.ids, ("subject", "body_html"))
        self.assertFalse(calls, "outside a batch, Odoo's helpers")
        for action in actions:
            self.assertEqual(in_batch[action.id]["subject"], outside[action.id]["subject"])
            self.assertEqual(in_batch[action.id]["body_html"], outside[action.id]["body_html"])
        body = str(in_batch[actions.filtered(lambda a: a.partner_id == dutch).id]["body_html"])
        self.assertIn("12.595,67", body, "the Dutch total: thousands grouped, decimal comma")
