from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.tools.installments import split_amount

D = Decimal


@tagged("post_install", "-at_install")
class TestInstallmentSplit(BaseCase):
    def test_the_last_installment_takes_the_remainder(self):
        self.assertEqual(split_amount(D("100.00"), 3), [D("33.33"), D("33.33"), D("33.34")])
        self.assertEqual(split_amount(200, 3), [D("66.66"), D("66.66"), D("66.68")])

    def test_installments_always_add_up_to_the_total(self):
        for total in ("0.07", "1.00", "99.99", "1234.56", "1000000.01"):
            for count in range(1, 13):
                if D(total) < D("0.01") * count:
                    continue
                parts = split_amount(D(total), count)
                self.assertEqual(sum(parts), D(total), (total, count))
                self.assertEqual(len(parts), count)
                self.assertTrue(all(part > 0 for part in parts))

    def test_currency_without_decimals(self):
        self.assertEqual(split_amount(10000, 3, decimal_places=0), [D(3333), D(3333), D(3334)])
        self.assertEqual(sum(split_amount(D("12345"), 7, decimal_places=0)), D(12345))

    def test_floats_are_taken_at_their_printed_value(self):
        self.assertEqual(split_amount(0.3, 2), [D("0.15"), D("0.15")])
        self.assertEqual(split_amount(1500.0, 1), [D("1500.00")])

    def test_bad_input_is_refused(self):
        with self.assertRaises(ValueError):
            split_amount(100, 0)
        with self.assertRaises(ValueError):
            split_amount(-5, 2)
        with self.assertRaises(ValueError):
            split_amount(D("0.02"), 3)
