"""How long a customer's reply pauses the follow-up: a number of working days (Monday to Friday).

Plain date arithmetic, no ORM. Public holidays are not counted out (the code has no holiday calendar; a reply
pause of a week is a courtesy to the collector, not a legal term).
"""

from datetime import timedelta

WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


def add_working_days(day, days):
    """The day ``days`` working days after ``day``. Example: a Friday plus 5 working days is the next Friday; a
    Saturday plus 1 is the Monday after it. Zero (or less) working days leaves ``day`` as it is."""
    result = day
    remaining = days
    while remaining > 0:
        result += timedelta(days=1)
        if result.weekday() not in WEEKEND:
            remaining -= 1
    return result
