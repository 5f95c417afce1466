"""When will a customer pay? An estimate from the customer's own payment history and its segment's.

The estimate is a weighted mean of how many days late the customer paid its past invoices: recent
payments weigh more than old ones (the weight halves every ``half_life_days``), and the mean is pulled
towards the segment's mean as if the segment contributed ``prior_weight`` payments of its own. A new
customer therefore starts at the segment's mean, and its own behaviour takes over as its history grows.

Days are floats and are not rounded here (they are estimates that other computations build on; the UI
rounds them); amounts are Decimals, as everywhere in this addon.
"""

import math
from collections import namedtuple
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

DAYS_PER_WEEK = 7

Prediction = namedtuple("Prediction", ["days_late", "std_days", "weight"])
Prediction.__doc__ = """Expected days late, its standard deviation in days, and the total weight of the customer's own
history behind it (about the number of recent payments; 0 when the estimate is the segment's alone)."""

Prior = namedtuple("Prior", ["mean", "std", "count"])
Prior.__doc__ = "A group's behaviour: mean and standard deviation of its days late, over ``count`` payments."

WeekBucket = namedtuple("WeekBucket", ["start", "amount"])
WeekBucket.__doc__ = "The Monday a forecast week starts on, and the amount expected in that week."


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def expected_days_late(history, today, half_life_days=180, prior_mean=0.0, prior_weight=3.0, prior_std=15.0):
    """Return the ``Prediction`` of how many days late the customer will pay its next invoice.

    ``history`` is a list of (paid_date, days_late) of the customer's paid invoices; days_late is negative
    for an invoice paid early. A payment made ``age`` days before ``today`` weighs 0.5 ** (age / half_life_days);
    a payment dated after today counts as made today. With the total weight W = Σw:

    - days_late = (Σw·x + prior_weight·prior_mean) / (W + prior_weight)
    - std_days is the standard deviation of the same mixture: the customer's weighted payments and the
      segment's (prior_mean, prior_std) with weight prior_weight, both around days_late:
      sqrt((Σw·(x - days_late)² + prior_weight·(prior_std² + (prior_mean - days_late)²)) / (W + prior_weight))

    Without history (or with only very old payments) this is the segment's (prior_mean, prior_std).
    """
    if half_life_days <= 0:
        raise ValueError("The half-life must be a positive number of days.")
    if prior_weight < 0 or prior_std < 0:
        raise ValueError("The prior weight and standard deviation cannot be negative.")
    observations = [
        (0.5 ** (max((today - paid_date).days, 0) / half_life_days), float(days_late))
        for paid_date, days_late in history
    ]
    weight = sum((w for w, _x in observations), 0.0)
    total = weight + prior_weight
    if not total:
        return Prediction(float(prior_mean), float(prior_std), 0.0)
    mean = (sum(w * x for w, x in observations) + prior_weight * prior_mean) / total
    spread = sum(w * (x - mean) ** 2 for w, x in observations)
    spread += prior_weight * (prior_std**2 + (prior_mean - mean) ** 2)
    return Prediction(mean, math.sqrt(spread / total), weight)


def prior_from_sums(count, total, total_squares):
    """Return the ``Prior`` of ``count`` values given their sum and their sum of squares (the population
    standard deviation), or None without values. Sums let a caller add and remove values as it walks in time."""
    if not count:
        return None
    mean = total / count
    return Prior(mean, math.sqrt(max(total_squares / count - mean**2, 0.0)), count)


DEFAULT_PRIOR = Prior(0.0, 15.0, 0)


def choose_prior(segment_prior, company_prior, min_count=5, default=DEFAULT_PRIOR):
    """Return (prior, source): the segment's behaviour when it has at least ``min_count`` payments, else the
    company's when that has, else ``default`` (paid on the due date, give or take 15 days). ``source`` says which:
    ``'segment'``, ``'company'`` or ``'default'``.
    """
    if segment_prior and segment_prior.count >= min_count:
        return segment_prior, "segment"
    if company_prior and company_prior.count >= min_count:
        return company_prior, "company"
    return default, "default"


def round_days(days, digits=1):
    """``days`` rounded half away from zero to ``digits`` decimals, as a float (what the database stores)."""
    return float(_decimal(days).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def expected_payment_date(due_date, prediction, invoice_date=None):
    """Return the date the invoice is expected to be paid: ``due_date`` plus the prediction's days late,
    rounded half away from zero to whole days, but never before ``invoice_date`` when it is given.
    """
    days = _decimal(prediction.days_late).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    expected = due_date + timedelta(days=int(days))
    return max(expected, invoice_date) if invoice_date else expected


def weekly_forecast(items, today, weeks=13):
    """Return the cash expected per week: a list of ``weeks`` ``WeekBucket``, the first starting on the Monday
    of ``today``'s week.

    ``items`` are (expected_date, amount). What was expected before today and is still open is expected now,
    so it goes into the first week; what is expected after the last week is left out (a 13-week forecast
    says nothing about week 14).
    """
    if weeks < 1:
        raise ValueError("A forecast needs at least one week.")
    first_monday = today - timedelta(days=today.weekday())
    amounts = [Decimal(0)] * weeks
    for expected_date, amount in items:
        week = max((expected_date - first_monday).days, 0) // DAYS_PER_WEEK
        if week < weeks:
            amounts[week] += _decimal(amount)
    return [WeekBucket(first_monday + timedelta(weeks=week), amount) for week, amount in enumerate(amounts)]


def mean_absolute_error(pairs):
    """Return the mean absolute difference between predicted and actual values, as a float.

    ``pairs`` are (predicted, actual) numbers or dates; for dates the difference is in days. Without pairs
    there is no error to measure: None.
    """
    errors = []
    for predicted, actual in pairs:
        difference = actual - predicted
        errors.append(abs(difference.days if isinstance(difference, timedelta) else float(difference)))
    return sum(errors) / len(errors) if errors else None
