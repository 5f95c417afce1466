"""Split an amount into installments, to the smallest unit of the currency.

Each installment is the amount divided by their number, rounded down to the currency's precision;
the last one takes the remainder, so the installments always add up to exactly the amount.
"""

from decimal import ROUND_DOWN, Decimal


def _money(amount):
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def split_amount(total, count, decimal_places=2):
    """Return ``count`` Decimal amounts that add up to ``total`` exactly.

    ``decimal_places``: the currency's precision (2 for EUR, 0 for JPY). 100.00 in three gives
    33.33, 33.33 and 33.34; 10000 JPY in three gives 3333, 3333 and 3334.
    """
    if count < 1:
        raise ValueError("A payment plan needs at least one installment.")
    total = _money(total)
    if total <= 0:
        raise ValueError("Only a positive amount can be split into installments.")
    unit = Decimal(1).scaleb(-decimal_places)
    total = total.quantize(unit)
    share = (total / count).quantize(unit, rounding=ROUND_DOWN)
    if not share:
        raise ValueError("The amount is too small for this number of installments.")
    return [share] * (count - 1) + [total - share * (count - 1)]
