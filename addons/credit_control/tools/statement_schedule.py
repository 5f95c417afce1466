"""When a scheduled statement of account is due: weekly on a weekday, or monthly on a day of the month.

A weekday is ISO's (``"1"`` Monday to ``"7"`` Sunday), a day of the month ``"1"`` to ``"28"`` or ``"last"`` (the
month's last day, whatever its length). Days 29 to 31 are not offered: they do not exist in every month, and a
statement asked for then would silently skip February. The daily run matches the same keys in SQL
(``schedule_keys``); ``next_statement_date`` tells the customer form when the next one goes out.
"""

import calendar
from datetime import timedelta

WEEKDAYS = ("1", "2", "3", "4", "5", "6", "7")
MONTHDAYS = tuple(str(day) for day in range(1, 29)) + ("last",)
FREQUENCIES = ("weekly", "monthly")


def is_last_day_of_month(day):
    return day.day == calendar.monthrange(day.year, day.month)[1]


def schedule_keys(day):
    """What ``day`` is to a schedule: its ISO weekday, its day of the month, and whether it is the month's last day."""
    return str(day.isoweekday()), str(day.day), is_last_day_of_month(day)


def is_due(frequency, weekday, monthday, day):
    """Whether a statement of ``frequency`` (``weekly`` on ``weekday``, ``monthly`` on ``monthday``) is due on ``day``.

    Any other frequency (none, empty) is never due. A missing weekday is Monday, a missing day of the month the 1st.
    """
    weekday_key, monthday_key, last_day = schedule_keys(day)
    if frequency == "weekly":
        return (weekday or "1") == weekday_key
    if frequency == "monthly":
        monthday = monthday or "1"
        return monthday == monthday_key or (monthday == "last" and last_day)
    return False


def next_statement_date(frequency, weekday, monthday, day):
    """The first day from ``day`` (included) on which the schedule is due; None for no schedule."""
    if frequency not in FREQUENCIES:
        return None
    # a weekly schedule is due within 7 days, a monthly one within 32 (at the latest the 28th or the last day of
    # the next month)
    for offset in range(7 if frequency == "weekly" else 32):
        candidate = day + timedelta(days=offset)
        if is_due(frequency, weekday, monthday, candidate):
            return candidate
    return None
