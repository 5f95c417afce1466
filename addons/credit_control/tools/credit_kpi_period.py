"""Months and working days for the monthly KPI snapshots.

Plain date arithmetic, no ORM: the last day of a month, the months of a range, the Monday-to-Friday days of a
period (no public holidays: the KPI "actions per day" is a workload indicator, not a payroll figure).
"""

from datetime import timedelta

WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


def month_start(day):
    """The first day of the month of ``day``."""
    return day.replace(day=1)


def month_end(day):
    """The last day of the month of ``day``. Example: 10 February 2028 gives 29 February 2028."""
    first_of_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_of_next - timedelta(days=1)


def previous_month_end(day):
    """The last day of the month before the month of ``day``. Example: 1 June gives 31 May."""
    return month_start(day) - timedelta(days=1)


def month_ends(date_from, date_to):
    """The last days of every month from the month of ``date_from`` to the month of ``date_to``, oldest first.
    Example: 15 March to 2 May gives 31 March, 30 April and 31 May. Empty when ``date_from`` is later.
    """
    ends = []
    current = month_end(date_from)
    while current <= month_end(date_to):
        ends.append(current)
        current = month_end(current + timedelta(days=1))
    return ends


def days_in_month(day):
    """The number of days of the month of ``day``."""
    return month_end(day).day


def working_days(date_from, date_to):
    """The Monday-to-Friday days from ``date_from`` to ``date_to``, both included. Example: May 2026 (starting on
    a Friday) has 21 working days. Zero when ``date_from`` is later than ``date_to``.
    """
    if date_from > date_to:
        return 0
    days = (date_to - date_from).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(rest):
        if (date_from + timedelta(days=full_weeks * 7 + offset)).weekday() not in WEEKEND:
            count += 1
    return count
