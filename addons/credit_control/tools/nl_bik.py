"""Dutch extrajudicial collection costs (buitengerechtelijke incassokosten, BIK).

Sources: art. 6:96 lid 2 sub c, lid 4-6 BW; Besluit vergoeding voor buitengerechtelijke incassokosten
(Stb. 2012, 141), art. 2; HR 25 november 2016, ECLI:NL:HR:2016:2704 (start of the fourteen-day term).
The scale is mandatory when the debtor is a consumer (art. 6:96 lid 5 BW) and the default otherwise.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BIK_MINIMUM = Decimal("40.00")
BIK_MAXIMUM = Decimal("6775.00")
# (width of the bracket, percent); None is everything above the previous brackets
BIK_BRACKETS = (
    (Decimal(2500), Decimal(15)),
    (Decimal(2500), Decimal(10)),
    (Decimal(5000), Decimal(5)),
    (Decimal(190000), Decimal(1)),
    (None, Decimal("0.5")),
)
FOURTEEN_DAY_TERM = 14


def _money(amount):
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def bik_collection_costs(principal):
    """Return the collection costs for ``principal`` per art. 2 lid 1 of the Besluit.

    15% of the first 2,500, 10% of the next 2,500, 5% of the next 5,000, 1% of the next 190,000 and 0.5% of
    the rest, with a minimum of 40.00 and a maximum of 6,775.00, rounded half-up to the cent. VAT
    (art. 2 lid 2 of the Besluit, only when the creditor cannot deduct it) is not included.
    A principal of zero gives zero: there is nothing to collect.
    """
    principal = _money(principal)
    if principal < 0:
        raise ValueError("The principal cannot be negative.")
    if not principal:
        return Decimal("0.00")
    costs, rest = Decimal(0), principal
    for width, percent in BIK_BRACKETS:
        part = rest if width is None else min(rest, width)
        costs += part * percent / 100
        rest -= part
        if not rest:
            break
    return min(max(costs, BIK_MINIMUM), BIK_MAXIMUM).quantize(CENT, rounding=ROUND_HALF_UP)


def nl_fourteen_day_letter_deadline(delivery_date, holidays=()):
    """Return the first day on which collection costs may be charged after a fourteen-day letter.

    Art. 6:96 lid 6 BW: costs are due only when the debtor, after falling into default, was summoned in
    writing to pay within fourteen days. The Hoge Raad (25 November 2016, ECLI:NL:HR:2016:2704) held that
    these fourteen days start on the day *after* the letter is received. With ``delivery_date`` as day 0 the
    term runs from delivery_date + 1 up to and including delivery_date + 14; the debtor may still pay on that
    last day, so costs may be charged from delivery_date + 15.

    The fourteen-day term is set by law, so the Algemene termijnenwet (art. 1) extends it when its last day is
    a Saturday, Sunday or public holiday: it then ends on the next day that is none of these, and costs may be
    charged the day after. Saturdays and Sundays are always skipped; pass the Dutch public holidays
    (art. 3 Algemene termijnenwet) as ``holidays``. This can only make the date later, never earlier.
    """
    holidays = set(holidays)
    last_day = delivery_date + timedelta(days=FOURTEEN_DAY_TERM)
    while last_day.weekday() >= 5 or last_day in holidays:
        last_day += timedelta(days=1)
    return last_day + timedelta(days=1)
