"""Belgian rules for late payment of consumer debts (Book XIX "Consumer debts" of the Code of Economic Law).

Source: Book XIX CEL / WER / CDE, Title 1, inserted by the Act of 4 May 2023, in force since 1 September 2023
(since 1 December 2023 also for contracts concluded before that date). It applies to undertakings claiming a
sum of money from a consumer; it does not apply between undertakings (B2B).

- The first reminder is free; damages or late interest may be charged only when the consumer has not paid
  within fourteen calendar days of that reminder (art. XIX.2 CEL).
- Further reminders may cost at most 7.50 plus the postage in force when they are sent, if the contract
  provides for it.
- Fixed damages are capped by brackets of the outstanding balance (see ``be_damages_cap``).
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BE_WAITING_DAYS = 14
BE_MAX_REMINDER_FEE = Decimal("7.50")
BE_MAX_DAMAGES = Decimal("2000.00")
POSTAL_START_WORKING_DAYS = 3


def _money(amount):
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def _cents(amount):
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def be_reminder_fee(reminder_number, postage=0):
    """Return the most that may be charged for reminder number ``reminder_number`` (1 is the first).

    Book XIX CEL: the first reminder is free of charge; every further reminder may cost at most 7.50 plus
    the postage in force when it is sent, and only when the contract provides for such a fee.
    """
    if reminder_number < 1:
        raise ValueError("Reminders are numbered from 1.")
    postage = _money(postage)
    if postage < 0:
        raise ValueError("Postage cannot be negative.")
    if reminder_number == 1:
        return Decimal("0.00")
    return _cents(BE_MAX_REMINDER_FEE + postage)


def be_damages_cap(principal):
    """Return the most that may be claimed as fixed damages on an outstanding balance of ``principal``.

    Book XIX CEL: up to 150.00, at most 20.00; from 150.01 to 500.00, 30.00 plus 10% of the part of the
    balance above 150.00; above 500.00, 65.00 plus 5% of the part above 500.00, at most 2,000.00 in total.
    Rounded half-up to the cent. A balance of zero gives zero.
    """
    principal = _money(principal)
    if principal < 0:
        raise ValueError("The principal cannot be negative.")
    if not principal:
        return Decimal("0.00")
    if principal <= 150:
        cap = Decimal(20)
    elif principal <= 500:
        cap = 30 + (principal - 150) * Decimal("0.10")
    else:
        cap = 65 + (principal - 500) * Decimal("0.05")
    return _cents(min(cap, BE_MAX_DAMAGES))


def _next_working_day(day, holidays):
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def be_first_chargeable_date(reminder_sent_date, by_email, holidays=()):
    """Return the first day on which damages or interest may be charged after the free first reminder.

    Art. XIX.2 CEL: the consumer gets fourteen calendar days to pay. For a paper reminder they start on the
    third working day after sending; for an electronic reminder on the day after sending. The fourteen days
    are the start day up to and including start + 13, so charging is allowed from start + 14.

    Reading of the e-mail rule: commentaries differ on whether the term starts on the day after sending or on
    the next working day, so the later of the two (the next working day) is used; this never gives a date
    earlier than the rule allows. Working days are Monday to Friday except the dates in ``holidays`` (pass
    the Belgian public holidays).
    """
    holidays = set(holidays)
    start = _next_working_day(reminder_sent_date, holidays)
    if not by_email:
        for _i in range(POSTAL_START_WORKING_DAYS - 1):
            start = _next_working_day(start, holidays)
    return start + timedelta(days=BE_WAITING_DAYS)
