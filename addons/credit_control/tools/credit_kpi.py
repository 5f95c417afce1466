"""Credit KPIs: days sales outstanding, collection effectiveness, promises, workload and aging.

Each function takes plain numbers, lists and dates and returns a Decimal: days and percentages to one
decimal (customer satisfaction to two), money to the cent, all rounded half-up. The docstrings are written
for the people who read the KPI in the user interface. Two rules hold throughout: a KPI whose denominator
is zero (no sales, no receivables, no promises, no working days, nothing closed) is None, "not measurable",
rather than zero; and a negative amount, count or number of days raises ValueError, because it can only
come from a bug in the caller.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
SECONDS_PER_DAY = 86400
AGING_BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _positive_or_zero(value, what):
    value = _decimal(value)
    if value < 0:
        raise ValueError(f"{what} cannot be negative.")
    return value


def _tenths(value):
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _percent(part, whole):
    return None if not whole else _tenths(part * 100 / whole)


def dso_count_back(closing_receivables, monthly_sales):
    """Days sales outstanding, count-back method: how many days of the most recent sales are still unpaid.
    Starting from the receivables at the end of the period, the sales of the most recent month are
    subtracted and its days counted; then those of the month before, and so on, as long as the remaining
    receivables cover a month's sales in full. The first month that is only partly covered adds the same
    fraction of its days. Example: receivables of 212,000 with sales of 100,000, 80,000 and 70,000 in the
    last three 30-day months give 30 + 30 + 32,000 / 70,000 x 30 = 73.7 days. Unlike the standard DSO this
    is not distorted by a month of unusually high or low sales. When the receivables exceed all the sales of
    the months given, the result is the total number of days of those months, a lower bound. Without any
    sales in those months there is no DSO.
    """
    receivables = _positive_or_zero(closing_receivables, "The receivables")
    months = [
        (_positive_or_zero(sales, "Monthly sales"), _positive_or_zero(days, "The days in a month"))
        for sales, days in monthly_sales
    ]
    if not any(sales for sales, _days in months):
        return None
    dso, remaining = Decimal(0), receivables
    for sales, days in months:
        if not remaining:
            break
        if remaining >= sales:
            remaining -= sales
            dso += days
        else:
            dso += remaining / sales * days
            remaining = Decimal(0)
    return _tenths(dso)


def dso_standard(closing_receivables, period_sales, period_days):
    """Days sales outstanding, standard method: the receivables at the end of the period divided by the sales
    of the period, times the number of days in the period. Example: receivables of 150,000 after a quarter
    (90 days) with 450,000 of sales give 150,000 / 450,000 x 90 = 30.0 days. Without sales in the period
    there is no DSO.
    """
    receivables = _positive_or_zero(closing_receivables, "The receivables")
    sales = _positive_or_zero(period_sales, "The sales")
    days = _positive_or_zero(period_days, "The number of days")
    return None if not sales else _tenths(receivables / sales * days)


def best_possible_dso(current_receivables, period_sales, period_days):
    """Best possible days sales outstanding: the DSO if every customer paid exactly on the due date. It is
    the current receivables (those not yet due) at the end of the period divided by the sales of the period,
    times the number of days in the period, and so mostly reflects the payment terms granted. Example:
    120,000 not yet due after a 90-day quarter with 450,000 of sales give 24.0 days. Without sales in the
    period there is no best possible DSO.
    """
    return dso_standard(current_receivables, period_sales, period_days)


def average_days_delinquent(dso, bpdso):
    """Average days delinquent: the days sales outstanding minus the best possible DSO, i.e. how many days
    customers pay later on average than the payment terms allow. Example: a DSO of 30.0 and a best possible
    DSO of 24.0 give 6.0 days. When either DSO cannot be measured, neither can this.
    """
    if dso is None or bpdso is None:
        return None
    dso = _positive_or_zero(dso, "The DSO")
    bpdso = _positive_or_zero(bpdso, "The best possible DSO")
    return _tenths(dso - bpdso)


def collection_effectiveness_index(opening_receivables, period_sales, closing_receivables, closing_current_receivables):
    """Collection effectiveness index (CEI): the share of what could be collected in a period that was
    collected. What was collected is the opening receivables plus the sales minus the closing receivables;
    what could be collected is the same minus only the closing receivables that are not yet due. 100% means
    every amount that fell due was collected. Example: opening receivables of 100,000, sales of 300,000,
    closing receivables of 120,000 of which 80,000 not yet due give (100,000 + 300,000 - 120,000) /
    (100,000 + 300,000 - 80,000) x 100 = 87.5%. When nothing could be collected there is no CEI.
    """
    opening = _positive_or_zero(opening_receivables, "The opening receivables")
    sales = _positive_or_zero(period_sales, "The sales")
    closing = _positive_or_zero(closing_receivables, "The closing receivables")
    closing_current = _positive_or_zero(closing_current_receivables, "The closing current receivables")
    if closing_current > closing:
        raise ValueError("The receivables not yet due cannot exceed the total receivables.")
    return _percent(opening + sales - closing, opening + sales - closing_current)


def percent_current(current_receivables, total_receivables):
    """Percentage current: the share of the receivables that is not yet due. Example: 80,000 not yet due out
    of 120,000 receivables is 66.7%. Without receivables there is no percentage.
    """
    current = _positive_or_zero(current_receivables, "The current receivables")
    total = _positive_or_zero(total_receivables, "The receivables")
    if current > total:
        raise ValueError("The receivables not yet due cannot exceed the total receivables.")
    return _percent(current, total)


def promise_kept_rate(kept, broken):
    """Promise kept rate: the share of the payment promises that came due in the period and were kept, i.e.
    paid in full by the promised date. Example: 9 promises kept and 3 broken is 75.0%. Promises that are not
    yet due are not counted. Without any promise due there is no rate.
    """
    kept = _positive_or_zero(kept, "The number of kept promises")
    broken = _positive_or_zero(broken, "The number of broken promises")
    return _percent(kept, kept + broken)


def average_cycle_time(periods):
    """Average cycle time: the average number of days from opening to closing, over the items (disputes,
    follow-up cases) closed in the period. Example: items that took 3, 10 and 20 days average 11.0 days.
    Without closed items there is no average.
    """
    durations = []
    for opened, closed in periods:
        delta = closed - opened
        if delta.days < 0:
            raise ValueError("An item cannot be closed before it was opened.")
        durations.append(Decimal(delta.days) + Decimal(delta.seconds) / SECONDS_PER_DAY)
    return _tenths(sum(durations) / len(durations)) if durations else None


def actions_per_day(action_count, working_days):
    """Actions per day: the number of collection actions done (calls, letters, emails, messages) divided by
    the number of working days. Example: 230 actions in 20 working days is 11.5 a day. Without working days
    there is no rate.
    """
    count = _positive_or_zero(action_count, "The number of actions")
    days = _positive_or_zero(working_days, "The number of working days")
    return None if not days else _tenths(count / days)


def customer_satisfaction(satisfied, rated):
    """Customer satisfaction (CSAT): the share of the ratings received that are *satisfied*, to two decimals.
    Odoo's own satisfaction percentage (``rating.mixin._compute_rating_satisfaction``, shown on projects and
    helpdesk teams) counts a rating of 4 or more out of 5 as satisfied, and its one-click survey offers 5
    (satisfied), 3 (okay) and 1 (dissatisfied): two *satisfied* ratings and one *dissatisfied* is 66.67%.
    Without any rating there is no CSAT.
    """
    satisfied = _positive_or_zero(satisfied, "The number of satisfied ratings")
    rated = _positive_or_zero(rated, "The number of ratings")
    if satisfied > rated:
        raise ValueError("The satisfied ratings cannot outnumber the ratings.")
    return None if not rated else (satisfied * 100 / rated).quantize(CENT, rounding=ROUND_HALF_UP)


def aging_buckets(items, today):
    """Aging: the open amounts grouped by how many days past their due date they are on the given day: not
    yet due (due today or later), 1-30, 31-60, 61-90 and more than 90 days overdue. Example: on 15 June an
    amount due on 16 May is 30 days overdue and an amount due on 15 May 31 days. Credit notes and
    unreconciled payments count with a negative amount in the bucket of their own date.
    """
    buckets = dict.fromkeys(AGING_BUCKETS, Decimal(0))
    for due_date, amount in items:
        overdue = (today - due_date).days
        if overdue <= 0:
            key = "not_due"
        elif overdue <= 30:
            key = "1_30"
        elif overdue <= 60:
            key = "31_60"
        elif overdue <= 90:
            key = "61_90"
        else:
            key = "over_90"
        buckets[key] += _decimal(amount)
    return {key: amount.quantize(CENT, rounding=ROUND_HALF_UP) for key, amount in buckets.items()}
