"""Read an amount a customer typed, in the separators of the customer's language.

"1.250" is one thousand two hundred and fifty in Dutch and one and a quarter nowhere: the separators of
the language (Odoo's ``res.lang``) decide, and whatever could be read two ways is refused rather than
guessed. Only plain positive numbers pass: no sign, exponent, ``nan`` or ``infinity``.
"""

import re
from decimal import Decimal

# Spaces (plain, non-breaking, narrow) and the apostrophe group thousands in many languages: always ignored.
_GROUPING_MARKS = re.compile(r"[\s\u00a0\u202f']")
_ALLOWED = re.compile(r"[0-9.,\s\u00a0\u202f']+")


class AmountError(ValueError):
    """The text is not an amount. ``reason``: ``empty``, ``negative``, ``not_a_number`` or ``ambiguous``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse_amount(text, decimal_point=".", thousands_sep=",", digits=2):
    """The ``Decimal`` that ``text`` means with these separators, with at most ``digits`` decimals.

    Thousands separators must group by three ("1.250,00" in Dutch); a separator the language does not use
    is read as the decimal point only when it cannot be a thousands separator ("12.5" in French, not
    "12.500"). Raises ``AmountError``.
    """
    text = (text or "").strip()
    if not text:
        raise AmountError("empty")
    if text.startswith("-"):
        raise AmountError("negative")
    if not _ALLOWED.fullmatch(text):
        raise AmountError("not_a_number")
    compact = _GROUPING_MARKS.sub("", text)
    group = thousands_sep if thousands_sep in (".", ",") else None
    point = decimal_point if decimal_point in (".", ",") else "."
    foreign = set(compact) & {".", ","} - {point, group}
    if foreign:
        mark = foreign.pop()
        if point in compact or compact.count(mark) > 1 or re.search(re.escape(mark) + r"\d{3}$", compact):
            raise AmountError("ambiguous")
        compact = compact.replace(mark, point)
    if compact.count(point) > 1:
        raise AmountError("ambiguous")
    integer, has_point, fraction = compact.partition(point)
    if group:
        groups = integer.split(group)
        if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
            raise AmountError("ambiguous")
        integer = "".join(groups)
    if has_point and not fraction or len(fraction) > digits:
        raise AmountError("ambiguous")
    if not integer and not fraction or not (integer + fraction).isdigit():
        raise AmountError("not_a_number")
    return Decimal(f"{integer or '0'}.{fraction or '0'}")
