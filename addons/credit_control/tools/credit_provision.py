"""The provision for doubtful debts (voorziening dubieuze debiteuren): from the aging at a month end to the
provision per line, in plain Python (no ORM).

A customer's open credits (credit notes, payments not yet allocated) are set off against its oldest debts first,
as a payment is allocated to the oldest claim (art. 6:43 lid 2 BW): a customer who holds a credit note for its
oldest invoice is not doubtful for that invoice. What a customer's credits exceed its debts by is not a provision
matter (it is a liability) and weighs nothing.

Every line's base is rounded to the cent, then its provision (base × percent, half up): the entry's total is the
sum of its rounded lines, so that the entry posted and the preview shown agree to the cent.
"""

from decimal import ROUND_HALF_UP, Decimal

# The aging's buckets, youngest first (``credit.aging.report``'s selection)
BUCKET_ORDER = ("0_not_due", "1_30", "31_60", "61_90", "91_plus")
CENT = Decimal("0.01")


def to_cents(amount):
    """``amount`` (a float, an int, a string or a Decimal) as a Decimal rounded half up to the cent."""
    return Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)


def net_debts(debts, credits):
    """{bucket: what the customer owes in it} after setting ``credits`` (the customer's open credits, a negative or
    positive total, its size counts) off against the oldest buckets first; buckets with nothing left are dropped.

    Example: debts {'1_30': 100, '91_plus': 40} and credits -50 give {'1_30': 90}."""
    left = abs(Decimal(str(credits or 0)))
    net = {}
    for bucket in reversed(BUCKET_ORDER):
        amount = Decimal(str(debts.get(bucket) or 0))
        if amount <= 0:
            continue
        used = min(left, amount)
        left -= used
        if amount - used > 0:
            net[bucket] = amount - used
    return net


def provision_amount(base, percent):
    """The provision of a line: ``base`` (rounded to the cent) × ``percent`` / 100, rounded half up to the cent."""
    return to_cents(to_cents(base) * Decimal(str(percent or 0)) / 100)


def provision_lines(customers, rate_for, insolvency_percent):
    """The lines of the provision, oldest bucket last, the insolvency line (``bucket`` None) at the end.

    ``customers``: iterable of (segment, insolvent, debts {bucket: amount}, credits) per customer.
    ``rate_for(bucket, segment)``: (rate key, percent) of the rate that applies; the rate key groups the line
    (a segment's own rate makes its own line, the company's general rate one line for the others).
    A customer in an open insolvency case is provided at ``insolvency_percent`` on all it owes, on one line.

    Returns [{'bucket', 'rate_key', 'percent', 'base', 'amount'}] with Decimal base and amount (cents)."""
    bases = {}
    percents = {}
    for segment, insolvent, debts, credits in customers:
        for bucket, amount in net_debts(debts, credits).items():
            if insolvent:
                key = (None, None)
                percents[key] = Decimal(str(insolvency_percent or 0))
            else:
                rate_key, percent = rate_for(bucket, segment)
                key = (bucket, rate_key)
                percents[key] = Decimal(str(percent or 0))
            bases[key] = bases.get(key, Decimal(0)) + amount
    order = {bucket: index for index, bucket in enumerate(BUCKET_ORDER)}

    def sort_key(key):
        bucket, rate_key = key
        return (bucket is None, order.get(bucket, 0), rate_key is not None, str(rate_key))

    lines = []
    for key in sorted(bases, key=sort_key):
        base = to_cents(bases[key])
        lines.append(
            {
                "bucket": key[0],
                "rate_key": key[1],
                "percent": percents[key],
                "base": base,
                "amount": provision_amount(base, percents[key]),
            }
        )
    return lines
