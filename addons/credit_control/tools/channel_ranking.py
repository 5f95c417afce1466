"""Which reminder channel (email, SMS, letter, phone call, ...) gets a customer to pay?

Every reminder sent is one observation: its channel and the number of days from the reminder to the
payment, or None when the customer did not pay within the observation window. Channels are compared by
how often a reminder was followed by a payment, then by how quickly.
"""

from statistics import median


def rank_channels(observations, min_observations=3):
    """Return one dict per channel, best first.

    ``observations`` are (channel, days_from_reminder_to_payment or None). Each dict has channel, count,
    paid_count, paid_ratio (paid_count / count, a float from 0 to 1), median_days (the median days to
    payment of the paid ones, None when none was paid) and enough_evidence (count >= ``min_observations``).
    The channels with enough evidence come first, ranked by paid ratio (highest first), then by median days
    (fewest first), then by name; the others follow, ranked the same way.
    """
    days_by_channel = {}
    for channel, days in observations:
        if days is not None and days < 0:
            raise ValueError("A payment cannot come before the reminder it is counted for.")
        days_by_channel.setdefault(channel, []).append(days)
    ranking = []
    for channel, all_days in days_by_channel.items():
        paid_days = [days for days in all_days if days is not None]
        ranking.append(
            {
                "channel": channel,
                "count": len(all_days),
                "paid_count": len(paid_days),
                "paid_ratio": len(paid_days) / len(all_days),
                "median_days": median(paid_days) if paid_days else None,
                "enough_evidence": len(all_days) >= min_observations,
            }
        )
    ranking.sort(
        key=lambda row: (
            not row["enough_evidence"],
            -row["paid_ratio"],
            row["median_days"] is None,
            row["median_days"] or 0,
            str(row["channel"]),
        )
    )
    return ranking


def best_channel(customer_observations, segment_observations, min_observations=3):
    """Return (channel, source, evidence): the channel to use for the customer's next reminder.

    The customer's own best channel when it has at least ``min_observations`` reminders on it and at least
    one of them was followed by a payment (source 'customer'); otherwise the segment's best channel under the
    same conditions (source 'segment'); otherwise (None, None, {}). ``evidence`` is the channel's dict from
    ``rank_channels``. A channel that never led to a payment is not recommended, however often it was used.
    """
    for source, observations in (("customer", customer_observations), ("segment", segment_observations)):
        for row in rank_channels(observations, min_observations=min_observations):
            if row["enough_evidence"] and row["paid_count"]:
                return row["channel"], source, row
    return None, None, {}
