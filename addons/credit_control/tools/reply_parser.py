"""PLACEHOLDER — to be replaced by the parser branch's file at merge (issue 16 §3).

A minimal version of the reply parser with the parser branch's fixed interface (``ReplySuggestion``,
``parse_reply``, ``strip_quoted``), so that the replies feature (models/credit_reply.py) can be built and tested
before the real parser lands. It knows a few Dutch and English phrases only: "al betaald" / "already paid" /
"paid" (paid), "klopt niet" / "wrong price" (dispute, price), "ik betaal <weekday>" / "I will pay on <weekday>"
(promise on the next such weekday after the reply date). The integrator takes the parser branch's file.

Pure Python: no odoo import, no database.
"""

import datetime
import html
import re
from dataclasses import dataclass

WEEKDAYS = {
    "maandag": 0,
    "dinsdag": 1,
    "woensdag": 2,
    "donderdag": 3,
    "vrijdag": 4,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
}
_PROMISE = re.compile(r"\b(?:ik betaal|wij betalen|we betalen|i will pay|we will pay)(?: on)? (\w+)", re.IGNORECASE)
_PAID = re.compile(r"\b(?:al betaald|reeds betaald|already paid|has been paid|paid)\b", re.IGNORECASE)
_PRICE = re.compile(r"\b(?:prijs klopt niet|klopt niet|wrong price)\b", re.IGNORECASE)
_DUTCH = re.compile(r"\b(?:de|het|wij|ik|niet|betaal|betaald|factuur|klopt)\b", re.IGNORECASE)
# where the quoted history starts in a reply
_QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*(?:Original Message|Oorspronkelijk bericht)|Op .+ schreef|On .+ wrote:|Van:|From:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplySuggestion:
    kind: str | None  # "promise" | "dispute" | "paid" | None
    date: datetime.date | None = None  # promise date
    amount: float | None = None  # promise amount when named
    reason: str | None = None  # dispute: credit.dispute.reason category
    lang: str | None = None  # "nl" | "en"
    evidence: str = ""  # the words that triggered it


def strip_quoted(text: str) -> str:
    """The reply without the quoted history: plain text (HTML tags removed), up to the first quote marker."""
    text = text or ""
    if "<" in text and ">" in text:
        text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.IGNORECASE)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = []
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def _next_weekday(day, weekday):
    """The first ``weekday`` (0 = Monday) after ``day``: a Friday's next Friday is a week later."""
    return day + datetime.timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def parse_reply(text: str, reply_date: datetime.date) -> ReplySuggestion:
    """The suggestion for a customer's reply received on ``reply_date``; kind None when nothing is recognised."""
    text = strip_quoted(text)
    lang = "nl" if _DUTCH.search(text) else "en"
    promise = _PROMISE.search(text)
    if promise and promise.group(1).lower() in WEEKDAYS:
        day = _next_weekday(reply_date, WEEKDAYS[promise.group(1).lower()])
        return ReplySuggestion("promise", date=day, lang=lang, evidence=promise.group(0))
    price = _PRICE.search(text)
    if price:
        return ReplySuggestion("dispute", reason="price", lang=lang, evidence=price.group(0))
    paid = _PAID.search(text)
    if paid:
        return ReplySuggestion("paid", lang=lang, evidence=paid.group(0))
    return ReplySuggestion(None, lang=lang)
