"""Statutory late-payment interest with rates that change per half-year.

Sources: art. 6:119 BW (wettelijke rente), art. 6:119a BW (wettelijke handelsrente), art. 6:120 BW;
Belgian Act of 2 August 2002 on combating late payment in commercial transactions, art. 5.

The tables below end with the rate of 1 January 2026: the rates from 1 July 2026 were not yet published
when they were written, so add them before computing interest for later days (the last rate in a table
otherwise applies indefinitely).

Day count: actual days / 365, also in leap years, as in Dutch practice. Each day of a leap year therefore
earns 1/365 of the annual rate and a full leap year 366/365 of it.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

CENT = Decimal("0.01")
DAYS_IN_YEAR = Decimal(365)

# Wettelijke rente, art. 6:119 BW (non-commercial, incl. consumers): Besluit vaststelling wettelijke rente
# (KB 18 januari 1971, Stb. 27, as amended). 2% has applied since 1 January 2015.
NL_CONSUMER_RATES = (
    (date(2020, 1, 1), Decimal("2.00")),
    (date(2023, 1, 1), Decimal("4.00")),
    (date(2023, 7, 1), Decimal("6.00")),
    (date(2024, 1, 1), Decimal("7.00")),
    (date(2025, 1, 1), Decimal("6.00")),
    (date(2025, 7, 1), Decimal("4.00")),
    (date(2026, 1, 1), Decimal("4.00")),
)

# Wettelijke handelsrente, art. 6:119a BW: ECB main refinancing rate + 8 points, per half-year
# (De Nederlandsche Bank / Rijksoverheid publications).
NL_COMMERCIAL_RATES = (
    (date(2020, 1, 1), Decimal("8.00")),
    (date(2020, 7, 1), Decimal("8.00")),
    (date(2021, 1, 1), Decimal("8.00")),
    (date(2021, 7, 1), Decimal("8.00")),
    (date(2022, 1, 1), Decimal("8.00")),
    (date(2022, 7, 1), Decimal("8.00")),
    (date(2023, 1, 1), Decimal("10.50")),
    (date(2023, 7, 1), Decimal("12.00")),
    (date(2024, 1, 1), Decimal("12.50")),
    (date(2024, 7, 1), Decimal("12.25")),
    (date(2025, 1, 1), Decimal("11.15")),
    (date(2025, 7, 1), Decimal("10.15")),
    (date(2026, 1, 1), Decimal("10.15")),
)

# Belgian interest for late payment in commercial transactions, Act of 2 August 2002, art. 5: ECB rate + 8
# points rounded up to the next half point, per half-year (FOD Financiën / SPF Finances notice in the
# Belgisch Staatsblad / Moniteur belge). Book XIX CEL also caps late interest on consumer debts at this rate.
BE_LATE_PAYMENT_RATES = (
    (date(2020, 1, 1), Decimal("8.00")),
    (date(2020, 7, 1), Decimal("8.00")),
    (date(2021, 1, 1), Decimal("8.00")),
    (date(2021, 7, 1), Decimal("8.00")),
    (date(2022, 1, 1), Decimal("8.00")),
    (date(2022, 7, 1), Decimal("8.00")),
    (date(2023, 1, 1), Decimal("10.50")),
    (date(2023, 7, 1), Decimal("12.00")),
    (date(2024, 1, 1), Decimal("12.50")),
    (date(2024, 7, 1), Decimal("12.50")),
    (date(2025, 1, 1), Decimal("11.50")),
    (date(2025, 7, 1), Decimal("10.50")),
    (date(2026, 1, 1), Decimal("10.50")),
)


def _money(amount):
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def _simple_interest(principal, date_from, date_to, rates):
    """Interest on ``principal`` for date_from..date_to inclusive, each day at the rate in force that day."""
    interest = Decimal(0)
    for index, (start, percent) in enumerate(rates):
        end = rates[index + 1][0] - timedelta(days=1) if index + 1 < len(rates) else date_to
        first, last = max(start, date_from), min(end, date_to)
        if first <= last:
            interest += principal * _money(percent) / 100 * ((last - first).days + 1) / DAYS_IN_YEAR
    return interest


def statutory_interest(principal, date_from, date_to, rates, compound_yearly=False):
    """Return the interest on ``principal`` from ``date_from`` up to and including ``date_to``.

    ``date_from`` is the first day of delay, i.e. the day after the due date. ``rates`` is a list of
    (start_date, annual_percent) sorted by date; each rate applies from its start date until the next one,
    the last one indefinitely. The result is rounded half-up to the cent; a period that ends before it
    starts gives zero.

    ``compound_yearly`` applies art. 6:119 lid 2 BW (and art. 6:119a lid 3 BW): at the end of each year of
    delay, counted from ``date_from``, the interest of that year is added to the amount on which interest is
    computed. The interest of each completed year is rounded to the cent when it is added. Belgian law has no
    such automatic compounding, so leave it off for Belgian claims.
    """
    principal = _money(principal)
    if principal < 0:
        raise ValueError("The principal cannot be negative.")
    rates = list(rates)
    if not rates:
        raise ValueError("At least one rate is needed.")
    if any(later[0] <= earlier[0] for earlier, later in pairwise(rates)):
        raise ValueError("Rates must be sorted by strictly increasing start date.")
    if date_to < date_from:
        return Decimal("0.00")
    if date_from < rates[0][0]:
        raise ValueError(f"No rate known for {date_from}; the first rate starts on {rates[0][0]}.")
    if not compound_yearly:
        return _simple_interest(principal, date_from, date_to, rates).quantize(CENT, rounding=ROUND_HALF_UP)
    total, base, year, start = Decimal(0), principal, 0, date_from
    while start <= date_to:
        year += 1
        year_end = _add_years(date_from, year) - timedelta(days=1)
        interest = _simple_interest(base, start, min(year_end, date_to), rates)
        interest = interest.quantize(CENT, rounding=ROUND_HALF_UP)
        total += interest
        base += interest
        start = year_end + timedelta(days=1)
    return total
