from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.tools.amount_input import AmountError, parse_amount

DUTCH = {"decimal_point": ",", "thousands_sep": "."}
ENGLISH = {"decimal_point": ".", "thousands_sep": ","}
FRENCH = {"decimal_point": ",", "thousands_sep": "\u202f"}


@tagged("post_install", "-at_install")
class TestAmountInput(BaseCase):
    def test_amounts_are_read_with_the_languages_separators(self):
        cases = [
            ("1.250", DUTCH, "1250"),
            ("1.250,00", DUTCH, "1250.00"),
            ("1 250,5", DUTCH, "1250.5"),
            ("250", DUTCH, "250"),
            ("1,250", ENGLISH, "1250"),
            ("1,250.75", ENGLISH, "1250.75"),
            (".5", ENGLISH, "0.5"),
            ("1250.50", FRENCH, "1250.50"),
            ("1\u202f250,50", FRENCH, "1250.50"),
        ]
        for text, lang, expected in cases:
            with self.subTest(text=text, lang=lang):
                self.assertEqual(parse_amount(text, **lang), Decimal(expected))

    def test_what_could_be_read_two_ways_is_refused(self):
        cases = [
            ("1,250", DUTCH),
            ("250.00", DUTCH),
            ("1.25", DUTCH),
            ("1.2.3", DUTCH),
            ("1.250", ENGLISH),
            ("1,25", ENGLISH),
            ("1.", ENGLISH),
            ("12.500", FRENCH),
            ("1,250.00", DUTCH),
        ]
        for text, lang in cases:
            with self.subTest(text=text, lang=lang), self.assertRaises(AmountError) as caught:
                parse_amount(text, **lang)
            self.assertEqual(caught.exception.reason, "ambiguous")

    def test_only_plain_positive_numbers_pass(self):
        cases = [("", "empty"), ("   ", "empty"), ("-5", "negative"), ("nan", "not_a_number"), ("inf", "not_a_number")]
        cases += [("1e3", "not_a_number"), ("€ 5", "not_a_number"), ("٥", "not_a_number"), (",", "ambiguous")]
        for text, reason in cases:
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text, **ENGLISH)
            self.assertEqual(caught.exception.reason, reason)
