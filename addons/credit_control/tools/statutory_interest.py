"""Statutory late-payment interest with rates that change per half-year.

Sources: art. 6:119 BW (wettelijke rente), art. 6:119a BW (wettelijke handelsrente), art. 6:120 BW;
Belgian Act of 2 August 2002 on combating late payment in commercial transactions, art. 5.

The rate tables themselves are data (``credit.interest.rate``, shipped in data/credit_interest_rate_data.xml),
so that a credit manager adds each new half-year's rate without a code change.

Day count: actual days / 365, also in leap years, as in Dutch practice. Each day of a leap year therefore
earns 1/365 of the annual rate and a full leap year 366/365 of it.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

CENT = Decimal("0.01")
DAYS_IN_YEAR = Decimal(365)


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


# The Dutch rates and the Belgian late-payment rate are set per half-year (1 January and 1 July); the Belgian legal
# rate once a year (1 January).
YEARLY_RATE_TYPES = {"be_legal"}


def rate_period_start(rate_type, day):
    """The first day of the period (half-year, or year for a yearly rate) that ``day`` falls in."""
    if rate_type in YEARLY_RATE_TYPES or day.month < 7:
        return date(day.year, 1, 1)
    return date(day.year, 7, 1)


def missing_period_rate(rates, rate_type, day):
    """The start of ``day``'s period when the table ``rates`` ([(date_from, percent)], oldest first) has no rate in
    force from that start or later, so that interest after it runs at an older rate; None when the table is current."""
    start = rate_period_start(rate_type, day)
    if rates and rates[-1][0] >= start:
        return None
    return start
