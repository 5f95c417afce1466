"""Belgian rules for late payment of consumer debts (Book XIX "Consumer debts" of the Code of Economic Law).

Source: Book XIX CEL / WER / CDE, Title 1, inserted by the Act of 4 May 2023 (Belgisch Staatsblad 23 May 2023), in
force since 1 September 2023 (since 1 December 2023 also for contracts concluded before that date). It applies to
undertakings claiming a sum of money from a consumer; it does not apply between undertakings (B2B).

What the law says, and where it is applied here:

- Art. XIX.2 CEL, the first reminder: before any damages or interest, the undertaking sends a first reminder, free
  of charge. The consumer then has at least fourteen calendar days to pay, starting on the third working day after
  a paper reminder is sent, or on the calendar day after an electronic reminder is sent
  (``be_first_chargeable_date``).
- Art. XIX.2 CEL, the cost of reminders (``be_reminder_fee``):
  * the first reminder of a debt is free;
  * for a contract for the regular supply of goods or services, the reminders about three due dates in one
    calendar year are free (the fourth and later due dates of that year may be charged);
  * every further reminder may cost at most 7.50 euros plus the postage in force when it is sent. The cap applies
    per reminder; "postage" is the postal rate of that reminder's own dispatch, so an e-mail reminder has none.
    The law sets no number of charged reminders per year beyond the free ones.
  A fee is due only if the contract provides for it (set it on the policy level only then).
- Art. XIX.4 CEL, damages and interest: only an amount agreed in the contract, capped: fixed damages by brackets of
  the outstanding balance (``be_damages_cap``), and interest at most at the rate of the Act of 2 August 2002 on
  late payment in commercial transactions (interest kind ``be_late_payment``). Without an agreed rate the consumer
  owes the general legal interest rate of the Act of 5 May 1865 (interest kind ``be_legal``).
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BE_WAITING_DAYS = 14
BE_MAX_REMINDER_FEE = Decimal("7.50")
BE_FREE_DUE_DATES_PER_YEAR = 3
BE_MAX_DAMAGES = Decimal("2000.00")
POSTAL_START_WORKING_DAYS = 3


def _money(amount):
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def _cents(amount):
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def be_reminder_fee(reminder_number, postage=0, by_post=True, regular_supply_due_date=None):
    """Return the most that may be charged for reminder number ``reminder_number`` of a debt (1 is the first).

    Art. XIX.2 CEL: the first reminder is free; every further reminder may cost at most 7.50 plus the postage in
    force when it is sent. ``postage`` is that postal rate and counts only for a reminder sent by post
    (``by_post``); an e-mail reminder costs at most 7.50.

    ``regular_supply_due_date`` is given only for a contract for the regular supply of goods or services: the rank,
    within the calendar year, of the due date this reminder is about (1 for the first due date reminded that year).
    The reminders about the first three due dates of a year are free, whatever their number.
    """
    if reminder_number < 1:
        raise ValueError("Reminders are numbered from 1.")
    postage = _money(postage)
    if postage < 0:
        raise ValueError("Postage cannot be negative.")
    if regular_supply_due_date is not None:
        if regular_supply_due_date < 1:
            raise ValueError("Due dates are numbered from 1.")
        if regular_supply_due_date <= BE_FREE_DUE_DATES_PER_YEAR:
            return Decimal("0.00")
    elif reminder_number == 1:
        return Decimal("0.00")
    return _cents(BE_MAX_REMINDER_FEE + (postage if by_post else 0))


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

    Art. XIX.2 CEL: the consumer gets at least fourteen calendar days to pay. For a paper reminder they start on the
    third working day after it is sent; for an electronic reminder on the calendar day after it is sent (a weekend
    or a holiday does not move that start). The fourteen days are the start day up to and including start + 13,
    so charging is allowed from start + 14. Working days are Monday to Friday except the dates in ``holidays``
    (pass the Belgian public holidays).
    """
    if by_email:
        start = reminder_sent_date + timedelta(days=1)
    else:
        holidays = set(holidays)
        start = reminder_sent_date
        for _i in range(POSTAL_START_WORKING_DAYS):
            start = _next_working_day(start, holidays)
    return start + timedelta(days=BE_WAITING_DAYS)
