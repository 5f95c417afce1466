"""Early warnings: a customer that starts paying much later than it used to, or whose credit rating drops.

Both rules are deliberately simple and explainable: the collector sees the numbers that triggered them.
"""

import math
from decimal import Decimal, InvalidOperation

# letter grades from best to worst, as used by the rating agencies and most credit bureaus
LETTER_GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D")
NOTCHES = {"+": 1, "": 0, "-": -1}


def _mean(values):
    return sum(values) / len(values) if values else None


def _sample_std(values, mean):
    if len(values) < 2:
        return 0.0
    return math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1))


def is_late_anomaly(baseline_days_late, recent_days_late, min_baseline=5, min_recent=3, threshold_days=10.0, z=2.0):
    """Return (is_anomaly, evidence): does the customer pay its recent invoices clearly later than before?

    ``baseline_days_late`` are the days late of the customer's earlier payments, ``recent_days_late`` those of
    its recent ones. The rule fires only with at least ``min_baseline`` earlier and ``min_recent`` recent
    payments, and when the recent mean exceeds the baseline mean by more than the margin
    max(threshold_days, z × baseline std / sqrt(number of recent payments)): a jump of at least
    ``threshold_days`` days that is also larger than the customer's usual ups and downs can explain
    (the baseline std is the sample standard deviation, n - 1).

    ``evidence`` is a dict for the UI: baseline_mean, baseline_std, baseline_count, recent_mean, recent_count,
    excess (recent minus baseline mean), margin, and reason: 'not_enough_baseline', 'not_enough_recent',
    'within_margin' or 'paying_later'. A mean is None without any payment; baseline_std, excess and margin
    are None when there are too few payments to apply the rule.
    """
    baseline = [float(x) for x in baseline_days_late]
    recent = [float(x) for x in recent_days_late]
    baseline_mean, recent_mean = _mean(baseline), _mean(recent)
    evidence = {
        "baseline_mean": baseline_mean,
        "baseline_std": None,
        "baseline_count": len(baseline),
        "recent_mean": recent_mean,
        "recent_count": len(recent),
        "excess": None,
        "margin": None,
    }
    if len(baseline) < max(min_baseline, 1):
        return False, dict(evidence, reason="not_enough_baseline")
    evidence["baseline_std"] = _sample_std(baseline, baseline_mean)
    if len(recent) < max(min_recent, 1):
        return False, dict(evidence, reason="not_enough_recent")
    evidence["excess"] = recent_mean - baseline_mean
    evidence["margin"] = max(threshold_days, z * evidence["baseline_std"] / math.sqrt(len(recent)))
    anomaly = evidence["excess"] > evidence["margin"]
    return anomaly, dict(evidence, reason="paying_later" if anomaly else "within_margin")


def _rating_rank(rating):
    """(kind, rank) with a higher rank for a better rating, or None when the rating is not understood."""
    if rating is None or isinstance(rating, bool):  # an empty Odoo field is False
        return None
    text = str(rating).strip().upper()
    try:
        score = Decimal(text)
    except InvalidOperation:
        grade = text.rstrip("+-")
        notch = text[len(grade) :]
        if grade not in LETTER_GRADES or notch not in NOTCHES:
            return None
        return "grade", (-LETTER_GRADES.index(grade), NOTCHES[notch])
    return ("score", score) if score.is_finite() else None


def rating_dropped(old_rating, new_rating):
    """Return True when ``new_rating`` is worse than ``old_rating``.

    Ratings are either letter grades, best to worst AAA, AA, A, BBB, BB, B, CCC, CC, C, D (case-insensitive,
    with an optional + or - notch: BBB+ is better than BBB, which is better than BBB-), or numeric scores
    (numbers or numeric text) where higher is better. A missing or unrecognised rating, or a letter grade
    compared with a score, gives False: no evidence of a drop.
    """
    old, new = _rating_rank(old_rating), _rating_rank(new_rating)
    if old is None or new is None or old[0] != new[0]:
        return False
    return new[1] < old[1]
