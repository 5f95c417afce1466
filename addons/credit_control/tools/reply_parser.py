"""Suggestions from a customer's reply to a reminder, in Dutch and English.

A reply says one of three things a collector acts on: *we will pay* (a promise, with its date and amount
when named), *this invoice is wrong* (a dispute, with its root cause) or *we have paid* (check the
bank). ``parse_reply`` proposes which, from rules a collector can read, and never acts by itself: the
reply workflow shows the suggestion and the collector accepts or corrects it.

Pure Python (no Odoo import), so the rules are unit-tested without a database and measured on a
labelled set of real-looking replies (``tests/data/replies.csv``, ``scripts/reply_parser_eval.py``).

The rules, in the order they decide:

- Only the customer's own words count: ``strip_quoted`` drops the quoted reminder, forwarded headers,
  the signature and, for HTML mail, the markup.
- An automatic reply (out of office) suggests nothing.
- Precedence **paid > dispute > promise**: a customer who says the invoice is paid or wrong is not
  promising to pay it, whatever date the reply also names ("we betalen pas als de creditnota er is").
  One exception: part paid and the rest promised ("we paid 500, the rest follows on Friday") is the
  promise of the rest, which is what follow-up needs.
- A promise needs a payment word and a date (or "as soon as possible", then without a date) in one
  sentence, or is a reply of a few words that names a date ("Volgende week."). A payment word with a
  negation and no date is no promise: a refusal ("we betalen deze factuur niet") is a dispute, "we
  kunnen niet betalen" suggests nothing (the evidence says why, for a call); "niet voor 15 maart"
  promises 15 March, and a date the reply denies ("deze week nog niet") is skipped. A question without a
  date, a request for a payment plan, a habit or a term ("we always pay within 60 days", "30 days after
  the invoice date") is no promise either.
- Dates resolve against the reply's date. A named period resolves to its last (working) day, since a
  promise is broken only when its date has passed: "volgende week" is the Friday of next week, "deze
  week" this week's Friday, "eind van de maand" and "volgende maand" the month's last day, "begin
  volgende maand" the 7th, "half maart" the 15th, "week 26" that ISO week's Friday. A weekday is the next
  one after the reply date ("next Friday" too), "volgende week vrijdag" the Friday of next week. Numeric
  dates are day/month in both languages; month/day only when day/month is impossible ("03/15"). A day
  and month without a year that lie before the reply date are next year's.
- A *credit note* the customer waits for, with no other complaint named, is a dispute on the price: a
  credit note corrects what was invoiced. Goods sent back ("retour") are a quantity dispute; "not
  ordered" too (invoiced goods the customer did not order).
"""

import calendar
import csv
import dataclasses
import datetime
import html
import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("promise", "dispute", "paid")
REASONS = ("price", "quantity", "quality", "delivery", "already_paid", "not_received", "other")


# In the rules below, "~" is any character of the same sentence (a dot only between digits: "1.250,00").
_SAME_SENTENCE = r"(?:[^.!?]|(?<=\d)\.(?=\d))"


def _rx(pattern, flags=0):
    return re.compile(pattern.replace("~", _SAME_SENTENCE), flags)


@dataclass(frozen=True)
class ReplySuggestion:
    """What a reply suggests. ``kind`` is None when nothing is recognised.

    ``date``: the promised payment date (for *paid*, the day the customer says they paid, when named);
    ``amount``: the amount promised or paid, when named; ``reason``: the dispute's
    ``credit.dispute.reason`` category; ``lang``: ``nl`` or ``en``; ``evidence``: the words of the reply
    that triggered the suggestion (also set when nothing is suggested for a reason worth showing, such as
    an automatic reply or "we cannot pay").
    """

    kind: str | None
    date: datetime.date | None = None
    amount: float | None = None
    reason: str | None = None
    lang: str | None = None
    evidence: str = ""


# ---------------------------------------------------------------------------------------------------------
# Quoted history, signatures, HTML
# ---------------------------------------------------------------------------------------------------------

_HTML_MARK = _rx(r"<(html|body|div|p|br|span|table|blockquote|font|b|i|strong)\b[^>]*>", re.I)
_HTML_DROP = _rx(r"<(style|script|head|title)\b.*?</\1\s*>", re.I | re.S)
_HTML_QUOTE = _rx(r"<blockquote\b.*</blockquote\s*>", re.I | re.S)
_HTML_BREAK = _rx(r"<br\s*/?>|</(p|div|li|tr|h\d|table)\s*>|<hr\b[^>]*>", re.I)
_HTML_TAG = _rx(r"<[^>]+>")

_QUOTE_INTRO = _rx(r"^\s*(op|on|le|am)\b", re.I)
_QUOTE_WROTE = _rx(r"\b(schreef|geschreven|wrote|a écrit|schrieb)\b[^\n]*:\s*$", re.I)
_SEPARATOR = _rx(
    r"^\s*([-_=]{2,}\s*)?(original message|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht|"
    r"forwarded message|message d'origine)\b|^\s*_{8,}\s*$",
    re.I,
)
_HEADER_FROM = _rx(r"^\s*\**(van|from|de|afzender)\s*:\**\s*\S", re.I)
_HEADER_NEXT = _rx(r"^\s*\**(verzonden|sent|date|datum|aan|to|onderwerp|subject|cc|envoyé)\s*:", re.I)
_SIGNATURE = _rx(
    r"^\s*(--\s*|"
    r"(verzonden|verstuurd) (vanaf|vanuit|met|via) .*|sent from .*|get outlook for .*|download outlook .*)$",
    re.I,
)
# A closing line is the formula alone, or with the sender's name: "Bedankt, we betalen vrijdag" is no closing.
_CLOSING = _rx(
    r"^\s*(?i:(?:met )?(?:vriendelijke|hartelijke|beste|vr\.?) ?groet(?:en)?|m\.?v\.?g\.?|groet(?:en|jes)?|"
    r"(?:with )?(?:kind|best|warm|warmest) regards|regards|best wishes|best|cheers|thanks(?: and regards)?|"
    r"thank you|many thanks|yours (?:sincerely|faithfully|truly)|sincerely|hoogachtend|"
    r"alvast bedankt|bij voorbaat dank|dank u|dank je|bedankt)\b[\s,.!]*"
    r"(?:[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|de|van|der|den|het|ter|ten|la|le)){0,4})?\s*$"
)


def _html_to_text(text):
    text = _HTML_DROP.sub(" ", text)
    text = _HTML_QUOTE.sub("\n", text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    return html.unescape(text)


def strip_quoted(text):
    """The customer's own words: no quoted history, forwarded headers or signature; plain text from HTML."""
    text = text or ""
    if _HTML_MARK.search(text):
        text = _html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = text.split("\n")
    kept = []
    for index, line in enumerate(lines):
        following = lines[index + 1 : index + 6]
        if _QUOTE_INTRO.match(line) and (
            _QUOTE_WROTE.search(line) or (following and _QUOTE_WROTE.search(line + " " + following[0]))
        ):
            break
        if _SEPARATOR.match(line) or _SIGNATURE.match(line):
            break
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(next_line) for next_line in following):
            break
        if _CLOSING.match(line) and any(k.strip() for k in kept):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# ---------------------------------------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------------------------------------

_NL_WORDS = frozenset(
    "de het een en ik wij jullie niet van voor dat deze die dit nog ook maar met om geen zijn hebben wordt "
    "worden zal zullen graag bedankt dank factuur faktuur betalen betaald betaling volgende morgen u uw ge gij "
    "uwe heb hebt heeft al reeds klopt wel hier daar er naar bij mijn onze ons alvast groet vriendelijke maand "
    "wachten gaan kunnen kan moet hoe wat wie waarom omdat als dan wanneer vrijdag maandag dinsdag woensdag "
    "donderdag ontvangen geleverd besteld zo snel mogelijk hallo beste goedemorgen excuses nee ja".split()
)
_EN_WORDS = frozenset(
    "the a an and i not of for that this these those yet also but with to no be have has will would please "
    "thanks thank invoice pay paid payment next tomorrow you your our us my are was were been it can could "
    "should received sent from by at if when what who why because month waiting regards kind dear hi hello "
    "friday monday tuesday wednesday thursday already delivered ordered soon possible yes".split()
)


def _detect_lang(text):
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    nl = sum(word in _NL_WORDS for word in words)
    en = sum(word in _EN_WORDS for word in words)
    if not nl and not en:
        return None
    return "en" if en > nl else "nl"


# ---------------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------------

_MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "feb": 2, "febr": 2,
    "maart": 3, "march": 3, "mrt": 3, "mar": 3, "maa": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "augustus": 8, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "maandag": 0, "monday": 0,
    "dinsdag": 1, "tuesday": 1,
    "woensdag": 2, "wednesday": 2,
    "donderdag": 3, "thursday": 3,
    "vrijdag": 4, "friday": 4,
    "zaterdag": 5, "saturday": 5,
    "zondag": 6, "sunday": 6,
}  # fmt: skip
_NUMBERS = {
    "een": 1, "één": 1, "one": 1, "a": 1, "an": 1,
    "twee": 2, "two": 2, "couple of": 2, "drie": 3, "three": 3, "vier": 4, "four": 4, "vijf": 5, "five": 5,
    "zes": 6, "six": 6, "zeven": 7, "seven": 7, "acht": 8, "eight": 8, "negen": 9, "nine": 9, "tien": 10,
    "ten": 10, "veertien": 14, "fourteen": 14, "twintig": 20, "twenty": 20, "dertig": 30, "thirty": 30,
}  # fmt: skip

_MONTH_NAME = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(_WEEKDAYS) + r")"
_NUMBER = r"(?P<n>\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_YEAR = r"(?:\s*,?\s*(?P<year>20\d{2}|'\d{2}))?"
_ORDINAL = r"(?:st|nd|rd|th|e|de|ste|ste)?"
_NEXT_WEEK = r"(?:volgende|komende|next|the following) week"
_THIS = r"(?:aanstaande|komende|deze|this|coming|next|volgende|a\.s\.)\s+"


def _last_day(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day, months, day_of_month=None):
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day_of_month or day.day, last))


def _friday(day, weeks=0):
    """The Friday of ``day``'s week plus ``weeks``; never before ``day`` itself."""
    friday = day + timedelta(days=4 - day.weekday(), weeks=weeks)
    return max(friday, day)


def _week_friday(reply, week):
    """The Friday of ISO week ``week`` ("week 26"), this year's or, when it has passed, next year's."""
    for year in (reply.year, reply.year + 1):
        try:
            friday = date.fromisocalendar(year, week, 5)
        except ValueError:
            continue
        if friday >= reply:
            return friday
    return None


def _day_month(reply, day, month, year=None):
    """Day and month (and year); without a year, a date before the reply date is next year's."""
    if year is None:
        try:
            candidate = date(reply.year, month, day)
        except ValueError:
            try:
                candidate = date(reply.year + 1, month, day)
            except ValueError:
                return None
        if candidate < reply:
            try:
                candidate = date(reply.year + 1, month, day)
            except ValueError:
                return None
        return candidate
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text):
    if not text:
        return None
    text = text.lstrip("'")
    return int(text) + 2000 if len(text) == 2 else int(text)


def _number(text):
    return int(text) if text.isdigit() else _NUMBERS.get(text)


def _add_working_days(day, count):
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _weekday_after(reply, weekday, past=False):
    if past:
        return reply - timedelta(days=(reply.weekday() - weekday) % 7 or 7)
    return reply + timedelta(days=(weekday - reply.weekday()) % 7 or 7)


def _numeric(reply, first, second, year):
    """A numeric date, day/month first (in English too); month/day only where day/month cannot be a date."""
    if 1 <= second <= 12 and 1 <= first <= 31:
        found = _day_month(reply, first, second, year)
        if found:
            return found
    if 1 <= first <= 12 and 13 <= second <= 31:
        return _day_month(reply, second, first, year)
    return None


def _resolve_duration(reply, m):
    count = _number(m["n"])
    unit = m["unit"]
    if count is None or count > 366:
        return None
    if unit.startswith(("werkdag", "working", "business")):
        return _add_working_days(reply, count)
    if unit.startswith(("dag", "day")):
        return reply + timedelta(days=count)
    if unit.startswith(("week", "weken")):
        return reply + timedelta(weeks=count)
    return _add_months(reply, count)


# Each rule: a regular expression on the lower-cased sentence and what it resolves to, given the reply
# date, the match, the language and whether the sentence speaks of the past (a payment made).
_DATE_RULES = [
    (
        r"\b(?P<y>20\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b",
        lambda r, m, past: _day_month(r, int(m["d"]), int(m["m"]), int(m["y"])),
    ),
    (
        r"(?<![\d/.,-])(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>20\d{2}|\d{2})(?![\d/-])",
        lambda r, m, past: _numeric(r, int(m["a"]), int(m["b"]), _year(m["year"])),
    ),
    (
        r"(?<![\d/.,€-])(?P<a>\d{1,2})[-/](?P<b>\d{1,2})(?![\d/-]|[.,]\d)",
        lambda r, m, past: _numeric(r, int(m["a"]), int(m["b"]), None),
    ),
    (
        r"\b(?P<d>\d{1,2})" + _ORDINAL + r"(?:\s+of)?[\s-]*" + _MONTH + _YEAR + r"\b",
        lambda r, m, past: _day_month(r, int(m["d"]), _MONTHS[m["month"]], _year(m["year"])),
    ),
    (
        r"\b" + _MONTH + r"\s+(?:the\s+)?(?P<d>\d{1,2})" + _ORDINAL + r"\b" + _YEAR,
        lambda r, m, past: _day_month(r, int(m["d"]), _MONTHS[m["month"]], _year(m["year"])),
    ),
    (
        r"\b(?:op |on )?(?:de|the)\s+(?P<d>\d{1,2})(?:st|nd|rd|th|e|de|ste)\b(?!\s*(?:van\s+|of\s+)?"
        + _MONTH_NAME
        + ")",
        lambda r, m, past: (
            date(r.year, r.month, int(m["d"]))
            if int(m["d"]) >= r.day and int(m["d"]) <= calendar.monthrange(r.year, r.month)[1]
            else _add_months(r.replace(day=1), 1, int(m["d"]))
        ),
    ),
    (r"\bovermorgen\b|\bthe day after tomorrow\b", lambda r, m, past: r + timedelta(days=2)),
    (r"\beergisteren\b|\bthe day before yesterday\b", lambda r, m, past: r - timedelta(days=2)),
    (r"\bmorgen(?:ochtend|middag|vroeg)?\b|\btomorrow\b", lambda r, m, past: r + timedelta(days=1)),
    (r"\bgisteren\b|\byesterday\b", lambda r, m, past: r - timedelta(days=1)),
    (
        r"\b(?:vandaag|today|vanmiddag|vanavond|vanochtend|vanmorgen|this (?:afternoon|morning)|tonight|per omgaande|"
        r"direct(?! debit)|meteen|onmiddellijk|right away|immediately|straight away)\b",
        lambda r, m, past: r,
    ),
    (
        r"\b" + _NEXT_WEEK + r"\s+(?:op\s+|on\s+)?" + _WEEKDAY + r"\b",
        lambda r, m, past: r + timedelta(days=7 - r.weekday() + _WEEKDAYS[m["weekday"]]),
    ),
    (
        r"\b" + _WEEKDAY + r"\s+(?:van\s+|of\s+)?(?:de\s+|the\s+)?" + _NEXT_WEEK + r"\b",
        lambda r, m, past: r + timedelta(days=7 - r.weekday() + _WEEKDAYS[m["weekday"]]),
    ),
    (
        r"\b(?:afgelopen|vorige|last)\s+" + _WEEKDAY + r"\b",
        lambda r, m, past: _weekday_after(r, _WEEKDAYS[m["weekday"]], past=True),
    ),
    (
        r"(?<!every )(?<!every other )(?<!each )(?<!elke )(?<!iedere )(?<!om de )\b(?:"
        + _THIS
        + r")?"
        + _WEEKDAY
        + r"(?:\s+(?:a\.s\.|aanstaande|as)(?!\w))?(?!s\b|\s+(?:om de|every)\b)",
        lambda r, m, past: _weekday_after(r, _WEEKDAYS[m["weekday"]], past=past),
    ),
    (r"\b(?:na het weekend|after the weekend)\b", lambda r, m, past: _weekday_after(r, 0)),
    (
        r"\b(?:week|wk)\.?\s*(?P<w>\d{1,2})\b(?!\s*(?:dagen|days|weken|weeks))",
        lambda r, m, past: _week_friday(r, int(m["w"])),
    ),
    (
        r"(?<=\d )(?:now|nu)\b|\b(?:half|de helft|een deel|part) (?:now|nu)\b|\b(?:right now|nu meteen|nu direct)\b",
        lambda r, m, past: r,
    ),
    (
        r"\b(?:eind(?:e)?|end)\s+(?:van\s+|of\s+)?(?:de\s+|the\s+)?" + _NEXT_WEEK + r"\b",
        lambda r, m, past: _friday(r, weeks=1),
    ),
    (
        r"\b(?:(?:eind(?:e)?|end|later|by the end)\s+(?:van\s+|of\s+)?(?:deze|de|this|the)\s+week"
        r"|deze week(?: nog)?|this week|binnen de week|einde week|eind week)\b",
        lambda r, m, past: _friday(r),
    ),
    (
        r"\b(?:over|in|binnen)\s+(?:een|één|a|one)\s+week\b",
        lambda r, m, past: r + timedelta(weeks=1),
    ),
    (
        r"\b(?:in\s+de\s+|de\s+|in\s+the\s+)?" + _NEXT_WEEK + r"\b|\bde week (?:erna|daarop)\b",
        lambda r, m, past: _friday(r, weeks=1),
    ),
    (
        r"\b(?:eind(?:e)?|end|ultimo)\s+(?:van\s+|of\s+)?(?:de\s+|the\s+)?(?:volgende|komende|next)\s+(?:maand|month)\b",
        lambda r, m, past: _last_day(_add_months(r.replace(day=1), 1)),
    ),
    (
        r"\b(?:(?:eind(?:e)?|end|ultimo|by the end)\s+(?:van\s+|of\s+)?(?:de\s+|deze\s+|this\s+|the\s+)?"
        r"(?:maand|month)|month[- ]end|end of month|ultimo)\b(?!\s+" + _MONTH + ")",
        lambda r, m, past: _last_day(r),
    ),
    (
        r"\b(?:begin|start|beginning|early|eerste week|first week|(?:in )?het begin)\s+(?:van\s+|of\s+)?"
        r"(?:de\s+|the\s+)?(?:volgende|komende|next)\s+(?:maand|month)\b|\bbegin\s+(?:van\s+)?de\s+maand\b"
        r"|\bearly next month\b",
        lambda r, m, past: _add_months(r.replace(day=1), 1, 7),
    ),
    (
        r"\b(?:in\s+de\s+|in\s+)?(?:volgende|komende|next)\s+(?:maand|month)\b",
        lambda r, m, past: _last_day(_add_months(r.replace(day=1), 1)),
    ),
    (
        r"\b(?:eind(?:e)?|end\s+of|ultimo|eind\s+van|by the end of|late)\s+" + _MONTH + r"(?!\s*\d)",
        lambda r, m, past: (
            _last_day(_day_month(r, 1, _MONTHS[m["month"]]) or r) if _MONTHS[m["month"]] != r.month else _last_day(r)
        ),
    ),
    (
        r"\b(?:begin|early|start\s+of|beginning\s+of|begin\s+van)\s+" + _MONTH + r"(?!\s*\d)",
        lambda r, m, past: _day_month(r, 7, _MONTHS[m["month"]]),
    ),
    (
        r"\b(?:half|medio|midden|mid|middle\s+of)[-\s]+(?:van\s+)?" + _MONTH + r"(?!\s*\d)",
        lambda r, m, past: _day_month(r, 15, _MONTHS[m["month"]]),
    ),
    (
        r"\b(?:in|during)\s+" + _MONTH.replace("|may|", "|") + r"(?!\s*\d)",
        lambda r, m, past: (
            _last_day(_day_month(r, 1, _MONTHS[m["month"]]) or r) if _MONTHS[m["month"]] != r.month else _last_day(r)
        ),
    ),
    (
        r"\b(?:binnen|within|in|over|na|after|uiterlijk over)\s+(?:de\s+|the\s+(?:next\s+)?|the\s+)?"
        + _NUMBER
        + r"\s+(?P<unit>werkdagen|werkdag|working days?|business days?|dagen|dag|days?|weken|week|weeks|"
        r"maanden|maand|months?)\b",
        lambda r, m, past: _resolve_duration(r, m),
    ),
]
# The first five rules name a day explicitly ("15 maart", "15/03"): a weekday just before one ("vrijdag
# 15 maart") only names the same day again.
_EXPLICIT_RULES = 5
_DATE_RULES = [(_rx(pattern), resolve, n < _EXPLICIT_RULES) for n, (pattern, resolve) in enumerate(_DATE_RULES)]
_WEEKDAY_ONLY = _rx(r"(?:[a-z.]+\s+)?" + _WEEKDAY + r"(?:\s+(?:a\.s\.|aanstaande|as))?")

# Invoice and order numbers, IBANs, phone numbers and times look like dates and amounts: blanked first.
_REFERENCES = _rx(
    r"\b(?:factuur(?:nummer|nr)?|faktuur|invoice|inv|nr|no|ref|referentie|order(?:nummer)?|bestelling|"
    r"klantnummer|customer number|ordernr|pakbon|delivery note|bon)\.?\s*(?:nr\.?|no\.?|number)?\s*[:#]?\s*"
    r"(?=[\w/.-]*\d)[\w/.-]+"
    r"|\b[a-z]{1,5}[-/]?\d{2,4}[-/]\d{2,}\b|\b\d{4}/\d{3,}\b|\b[a-z]{2}\d{2}[a-z]{4}\d{6,}\b"
    r"|\b\d{1,2}[:.h]\d{2}\s*(?:uur|u|h|am|pm)\b|\b\d{1,2}:\d{2}\b|\+?\b\d{2,4}[- ]?\d{6,8}\b"
)


def _blank(text, pattern):
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _find_dates(sentence, reply, past=False):
    """The dates the (lower-cased, references blanked) sentence names: [(start, end, date)] by position.

    ``past``: the sentence speaks of a payment made, so a weekday or a day and month are the last ones.
    """
    found = []
    for pattern, resolve, explicit in _DATE_RULES:
        for match in pattern.finditer(sentence):
            try:
                value = resolve(reply, match, past)
            except (ValueError, TypeError, KeyError):
                value = None
            if value and past and value > reply:
                try:
                    value = value.replace(year=value.year - 1)
                except ValueError:
                    value = None
                value = value if value and value <= reply else None
            if value:
                found.append((match.start(), match.end(), value, explicit))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    chosen = []
    for start, end, value, explicit in found:
        if all(end <= s or start >= e for s, e, _v, _x in chosen):
            chosen.append((start, end, value, explicit))
    chosen.sort()
    result = []
    for index, (start, end, value, _explicit) in enumerate(chosen):
        following = chosen[index + 1] if index + 1 < len(chosen) else None
        if (
            following
            and following[3]
            and following[0] - end <= 4
            and _WEEKDAY_ONLY.fullmatch(sentence[start:end].strip())
        ):
            continue
        result.append((start, end, value))
    return result


# ---------------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:[.,  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT = _rx(
    r"(?:€|£|\$|eur\b|euro\b|gbp\b|usd\b|chf\b)\s*(?P<a>" + _NUM + r")(?:,-|,--)?"
    r"|(?P<b>" + _NUM + r")(?:,-|,--)?\s*(?:€|eur\b|euro\b|euros\b|gbp\b|usd\b|chf\b|pond\b|pounds\b)"
    r"|\b(?:bedrag|amount|saldo|balance|totaal|total|restant|rest)\s+(?:van|of)\s+(?P<c>" + _NUM + r")\b"
    r"|(?<![\d.,])(?P<d>\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?|\d+[.,]\d{2})(?![\d.,]|\s*%)"
)


def _to_float(text):
    """'1.250,00', '1,250.50', '1250', '1.250' (thousands): the amount, read from its separators."""
    text = text.replace(" ", "").replace(" ", "")
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        point = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        mark = "." if last_dot >= 0 else ","
        tail = text.rsplit(mark, 1)[1]
        point = mark if text.count(mark) == 1 and len(tail) != 3 else None
    else:
        point = None
    if point:
        integer, fraction = text.rsplit(point, 1)
    else:
        integer, fraction = text, ""
    integer = re.sub(r"[.,]", "", integer)
    return float(f"{integer}.{fraction or 0}")


def _find_amount(sentence):
    for match in _AMOUNT.finditer(sentence):
        value = match["a"] or match["b"] or match["c"] or match["d"]
        amount = _to_float(value)
        if amount > 0:
            return amount
    return None


# ---------------------------------------------------------------------------------------------------------
# What the reply says
# ---------------------------------------------------------------------------------------------------------

# An automatic reply says so, or speaks of being away now ("ik ben afwezig"); "onze boekhouder was met
# vakantie" is a reason for paying late, not an out-of-office.
_OUT_OF_OFFICE = _rx(
    r"\b(?:out of (?:the )?office|automatisch antwoord|automatische? (?:reply|melding|beantwoording)|auto[- ]?reply|"
    r"automatic reply|autoreply|afwezigheidsmelding|afwezigheidsbericht)\b"
    r"|\b(?:ik ben|ben ik|i am|i'm|i will be|we zijn|wij zijn|we are)\b(?:\s+\w+){0,3}?\s+(?:afwezig|niet aanwezig|"
    r"op vakantie|met vakantie|on (?:annual )?(?:leave|holiday|vacation)|away from|away until|out of (?:the )?office)\b"
    r"|\b(?:ben (?:ik )?(?:weer )?terug op|back in the office|return to the office)\b"
)

_PAID_RULES = [
    r"\b(?:al|reeds|allang|al lang|gisteren|eergisteren|vandaag|vanochtend|vorige week|afgelopen \w+|"
    r"op \d{1,2}[-/]\d{1,2})\b~{0,40}?\b(?:betaald|overgemaakt|overgeboekt|voldaan|gestort|"
    r"overgeschreven)\b",
    r"\b(?:is|zijn|werd|werden|hebben|heb|hebt|heeft|had|hadden)\b~{0,40}?\b(?:betaald|overgemaakt|"
    r"overgeboekt|voldaan|gestort|overgeschreven)\b(?! (?:worden|wordt))",
    r"\b(?:betaling|overboeking|overschrijving)\b~{0,30}?\b(?:is|werd|ging|zijn)\b~{0,25}?"
    r"\b(?:verstuurd|verzonden|gedaan|uitgevoerd|verricht|gebeurd|onderweg|de deur uit|afgeschreven|vertrokken)\b",
    r"\b(?:betaalbewijs|betalingsbewijs|bewijs van betaling|proof of payment|remittance advice|"
    r"payment confirmation|betalingsbevestiging)\b",
    r"\b(?:already|just|yesterday|today|last week|this morning)\b~{0,30}?\b(?:paid|settled|transferred|"
    r"remitted|wired)\b",
    r"\b(?:paid|settled|transferred|wired|remitted)\b~{0,25}?\b(?:yesterday|today|already|last week|this morning|"
    r"on (?:the )?\d|on (?:monday|tuesday|wednesday|thursday|friday))",
    r"\b(?:has|have|had|was|were|'ve|'s)\s+(?:\w+\s+){0,2}?(?:been\s+)?(?:paid|settled|remitted|wired)\b",
    r"\b(?:we|i)\s+(?:\w+\s+)?(?:paid|settled|wired|remitted)\b",
    r"\bpayment\b~{0,20}?\b(?:was|were|has been|have been)\s+(?:\w+\s+)?(?:made|sent|done|processed|transferred|"
    r"executed|released|wired|initiated|completed|paid)\b",
    r"\bpayment\b~{0,20}?\b(?:went out|is on its way|has gone|left)\b",
    r"\b(?:payment|transfer) (?:sent|made|done|transferred|processed|released|wired)\b",
    r"^(?:paid|betaald|overgemaakt|voldaan)\b|\bremittance (?:attached|enclosed)\b",
    r"\b(?:sent|made) (?:the|our|you the) payment\b",
    r"\btransferred (?:the |our )?(?:amount|payment|money|funds|balance|sum)\b",
    r"\b(?:amount|payment|money|funds|balance|sum)\b~{0,20}?\b(?:has been|was|were|have been)\s+(?:\w+\s+)?"
    r"transferred\b",
]
# A customer asking whether we saw their payment says they paid, with or without a negation.
_PAID_ASKED = [
    r"\b(?:onze|mijn) (?:betaling|overboeking|overschrijving)\b~{0,40}?\b(?:ontvangen|gezien|binnen)\b",
    r"\b(?:did|have) you\b~{0,15}?\breceived? (?:our|my|the) (?:payment|transfer)\b",
    r"\b(?:our|my) (?:payment|transfer)\b~{0,30}?\b(?:received|arrived|seen)\b",
]
_PAID_RULES = [(_rx(pattern), True) for pattern in _PAID_RULES] + [(_rx(pattern), False) for pattern in _PAID_ASKED]
# "Uiterlijk vrijdag is het betaald" speaks of a payment to come, unless the customer says it is done.
_DEADLINE = _rx(r"\b(?:uiterlijk|ten laatste|no later than)\b")
_ALREADY = _rx(r"\b(?:al|reeds|already|gisteren|yesterday|vorige|afgelopen|last)\b")
_PAID_BLOCK = _rx(
    r"\b(?:niet|geen|not|never|nooit|wordt|worden|zal|zullen|will|gaan|going to|be paid|moet|moeten|must|should|"
    r"have to|need to|als|if|when|wanneer|zodra|once|thought|dacht|dachten|assumed|ervan uit)\b"
)

# Dispute rules by reason, the more specific first: the first reason that matches wins.
_GOODS = (
    r"(?:goederen|onderdelen|onderdeel|artikelen|artikel|spullen|levering|zending|bestelling|pakket|producten|"
    r"materiaal|banden|remschijven|remblokken|accu's|accu|filters|goods|parts|part|items|item|order|shipment|"
    r"delivery|package|products|tyres|tires|pallet|pallets|boxes|box|dozen|doos|colli)"
)
_WRONG = (
    r"(?:klopt niet|kloppen niet|niet klopt|niet kloppen|klopt gewoon niet|verkeerd|fout|onjuist|niet juist|"
    r"niet correct|te hoog|hoger dan|wrong|incorrect|not correct|too high|higher than)"
)
_DISPUTE_RULES = [
    (
        "not_received",
        r"\b(?:factuur|faktuur|invoice|bill|rekening)\b[^,;.!?]{0,40}?\b(?:niet|nooit|never|not)\b"
        r"~{0,20}?\b(?:ontvangen|gehad|gekregen|gezien|binnengekomen|received|got|seen)\b"
        r"|\b(?:niet|nooit|geen|never|not|no)\b~{0,25}?\b(?:ontvangen|gehad|gekregen|received|got|seen)\b"
        r"~{0,35}?\b(?:factuur|faktuur|invoice|bill)\b"
        r"|\b(?:geen|no) (?:factuur|faktuur|invoice)\b~{0,25}?\b(?:ontvangen|gehad|gekregen|received|got)\b"
        r"|\b(?:niet|nooit|never)\b~{0,15}?\b(?:factuur|faktuur|invoice)\b~{0,30}?\b(?:ontvangen|gehad|gekregen|gezien|"
        r"received|got)\b"
        r"|\b(?:als|zodra|wanneer|once|when|after)\b~{0,30}?\b(?:factuur|faktuur|invoice)\b~{0,25}?"
        r"\b(?:ontvangen|hebben|binnen|received|have|get)\b"
        r"|\b(?:resend|re-send|send it again|send again|opnieuw (?:sturen|versturen|mailen|toesturen)|nogmaals "
        r"(?:sturen|toesturen|mailen))\b|\b(?:attachment|bijlage)\b~{0,20}?\b(?:empty|blank|missing|corrupt|leeg|"
        r"ontbreekt|niet te openen)\b|\b(?:niet bekend|unknown to us|no record of)\b~{0,20}?\b(?:factuur|invoice)\b"
        r"|\b(?:factuur|invoice)\b~{0,20}?\b(?:niet bekend|unknown)\b",
    ),
    (
        "delivery",
        r"\b(?:niet|nooit|never|not)\b~{0,20}?\b(?:geleverd|bezorgd|aangekomen|toegekomen|afgeleverd|delivered|"
        r"arrived|shipped)\b"
        r"|\b(?:only|maar|slechts|alleen)\b~{0,15}?\b(?:\d+|two|three|four|five|six|twee|drie|vier|vijf|zes|de helft|"
        r"half)\b~{0,25}?\b(?:received|ontvangen|geleverd|delivered|gekregen|got)\b"
        r"|\b(?:received|ontvangen|got|gekregen)\b~{0,10}?\b\d+ (?:of|van) (?:the |de )?\d+\b"
        r"|\b(?:te laat|veel te laat|too late|late)\b~{0,15}?\b(?:geleverd|bezorgd|delivered|arrived|delivery)\b"
        r"|\blate (?:delivery|deliveries)\b|\bleverde(?:n)? te laat\b"
        r"|\bverkeerd(?:e)? (?:onderdeel|onderdelen|artikel|artikelen|product|producten|maat|type|levering)\b"
        r"|\bverkeerd geleverd\b|\bwrong (?:part|parts|item|items|product|products|goods|size|type|delivery)\b"
        r"|\b(?:received|got|kregen|gekregen|ontvangen|geleverd|delivered|sent|gestuurd|stuurden)\b~{0,10}?"
        r"\b(?:the |de |het |a |een )?(?:wrong|verkeerde?)\b"
        r"|\b(?:backorder|back order|back-order|deellevering|partial delivery|niet compleet|incompleet|incomplete)\b"
        r"|\b" + _GOODS + r"\b~{0,30}?\b(?:ontbreekt|ontbreken|ontbrak|ontbraken|missing)\b"
        r"|\b(?:ontbreekt|ontbreken|ontbrak|ontbraken|missing)\b~{0,30}?\b" + _GOODS + r"\b"
        r"|\b(?:\d+|twee|drie|two|three) (?:stuks|pieces|pcs)\b~{0,15}?\b(?:ontbreken|missing|te weinig)\b"
        r"|\b" + _GOODS + r"\b~{0,40}?\b(?:niet|nooit|not|never)\b~{0,15}?\b(?:ontvangen|binnen|"
        r"gekregen|received|arrived)\b"
        r"|\b(?:niet|nooit|not|never)\b~{0,20}?\b(?:ontvangen|gekregen|received)\b~{0,35}?\b"
        + _GOODS
        + r"\b|\b(?:wachten|waiting|wait)\b~{0,20}?\b(?:op|for)\b~{0,10}?\b"
        + _GOODS
        + r"\b"
        r"|\b(?:als|zodra|wanneer|when|once|until)\b~{0,10}?\b" + _GOODS + r"\b~{0,25}?"
        r"\b(?:er zijn|binnen|geleverd|arrive|arrived|delivered|is delivered|are delivered)\b"
        r"|\b(?:levering|delivery|zending|shipment|bestelling|order)\b~{0,20}?\b(?:te laat|too late|late|delayed|"
        r"vertraagd)\b|\b(?:wrong|verkeerde?) (?:address|adres)\b|\bpast niet\b|\bdoes not fit\b"
        r"|\b(?:once|when|until|zodra|als)\b~{0,20}?\b(?:receive|ontvangen|krijgen)\b~{0,20}?\bmissing\b",
    ),
    (
        "quality",
        r"\b(?:defect|defecte|defecten|kapot|kapotte|beschadigd|beschadigde|schade|stukgegaan|ondeugdelijk|"
        r"garantie|garantieclaim|kwaliteit|slechte staat|damaged|damage|defective|broken|faulty|warranty|quality|"
        r"leaking|leaks|lekt|lekken|lekkage|roest|rusty|gebroken|gebarsten|gescheurd|krom|kromgetrokken|verbogen|"
        r"verroest|versleten|onbruikbaar|slijtage|rammelt|rammelen|trilt|trillen|cracked|warped|scratched|"
        r"dented|unusable|worn|corroded|noisy|rattles|rattling|vibrates)\b"
        r"|\bgaf\b~{0,25}?\bde geest\b|\bde geest gegeven\b|\bdead on arrival\b|\b(?:died|failed|broke) after\b"
        r"|\b(?:is|zijn|was|waren|ging|gingen)\b~{0,25}?\bstuk\b|\bgarantie\w*|\bkapot gegaan\b"
        r"|\b(?:werkt|werken|werkte|werkten)\s+(?:\w+\s+)?niet\b|\bdoe[tn] het niet\b"
        r"|\b(?:does|do|did) not\s+work\b|\b(?:not|stopped) working\b",
    ),
    (
        "quantity",
        r"\b(?:aantal|aantallen|hoeveelheid|hoeveelheden|stuks|quantity|quantities)\b~{0,30}?\b"
        + _WRONG
        + r"|\b(?:klopt|kloppen)(?: iets)? niet\b~{0,30}?\b(?:aantal|aantallen|hoeveelheid|stuks)\b"
        r"|\b(?:te ?veel|meer)\b~{0,15}?\b(?:gefactureerd|gefaktureerd|berekend|in rekening|aangerekend)\b"
        r"|\b(?:dubbel|twee ?keer|2x|tweemaal|2 keer)\b~{0,10}?\b(?:gefactureerd|gefaktureerd|berekend|"
        r"in rekening|aangerekend)\b|\bdubbele factu(?:u)?r\b"
        r"|\b(?:niet|nooit|never|not)\b~{0,15}?\b(?:besteld|ordered)\b|\b(?:did not|never) order\b"
        r"|\b(?:retour|retourzending|retourneren|teruggestuurd|teruggezonden|teruggebracht|terugbrengen|returned|"
        r"sent back|send back|brought back|taken back)\b"
        r"|\bwrong quantit|\btoo many\b"
        r"|\b(?:charged|invoiced|billed)\b~{0,10}?\btwice\b|\bdouble (?:charged|invoiced|billed)\b"
        r"|\bduplicate (?:invoice|charge)\b"
        r"|\b(?:only|but|maar|slechts|alleen)\b~{0,15}?\b(?:\d+|two|three|four|five|six|twee|drie|vier|vijf|zes)\b"
        r"~{0,15}?\b(?:ordered|besteld)\b|\bonly ordered\b"
        r"|\b\d+\b[^,;.!?]{0,30}?\b(?:berekend|gefactureerd|aangerekend|charged|invoiced|billed)\b~{0,40}?\b\d+\b"
        r"~{0,20}?\b(?:gehad|ontvangen|gekregen|geleverd|besteld|received|got|ordered|delivered)\b"
        r"|\b(?:charged|invoiced|billed|berekend|gefactureerd)\b~{0,15}?\b(?:for|voor)\s+\d+\b~{0,30}?\b(?:only|maar|slechts)\b"
        r"|\b(?:\d+|\w+) instead of (?:\d+|\w+)\b|\b(?:\d+) in plaats van (?:\d+)\b",
    ),
    (
        "price",
        r"\b(?:prijs|prijzen|tarief|tarieven|korting|kortingen|prijsafspraak|bedrag|uurtarief|verzendkosten|"
        r"price|prices|discount|rate|amount)\b~{0,40}?\b(?:" + _WRONG[3:-1] + r"|ontbreekt|vergeten|"
        r"niet verrekend|niet verwerkt|niet toegepast|afwijkend|missing|not applied|forgot|differs)\b"
        r"|\b(?:klopt|kloppen)(?: iets)? niet\b~{0,30}?\b(?:prijs|prijzen|korting|tarief|bedrag)\b"
        r"|\b(?:verkeerde|foute|onjuiste|te hoge|andere|hogere) (?:prijs|prijzen|tarief|korting|bedrag)\b"
        r"|\b(?:afgesproken|overeengekomen|toegezegde|geoffreerde) (?:prijs|prijzen|korting|tarief)\b"
        r"|\bprijsverschil\b|\bte duur\b|\b(?:volgens|conform) (?:de |onze |uw )?offerte\b"
        r"|\b(?:wrong|incorrect) (?:price|prices|discount|rate|amount)\b|\bovercharged\b"
        r"|\b(?:agreed|quoted) (?:price|prices|discount|rate)\b|\bprice difference\b"
        r"|\btoo expensive\b|\bmissing discount\b|\bour discount\b|\bprices? (?:we|you) (?:agreed|quoted)\b"
        r"|\b(?:prijs|prijzen|korting|kortingen|tarief|uurloon|uurlonen|arbeidsloon|price|prices|discount|labour|"
        r"labor|hourly rate)\b~{0,40}?\b(?:niet|not)\b"
        r"|\b(?:full|list|normal|volle|normale) (?:price|prijs)\b|\bvolle prijs\b|\bbrutoprijs\b"
        r"|\b(?:meer|more)\b~{0,15}?\b(?:berekend|aangerekend|charged)\b~{0,20}?\b(?:dan|than)\b"
        r"|\b(?:free|gratis|franco)\b~{0,30}?\b(?:charged|berekend|aangerekend|in rekening)\b"
        r"|\b(?:charged|berekend|aangerekend)\b~{0,20}?\b(?:shipping|verzendkosten|transportkosten|vrachtkosten)\b"
        r"|\b(?:total|totaal|bedrag|amount|prijs|price)\b~{0,30}?\b(?:does not match|do not match|komt niet overeen|"
        r"niet overeen|wijkt af)\b"
        r"|\b(?:our records show|according to our records|volgens onze (?:administratie|boekhouding))\b~{0,40}?\d"
        r"|\bniet de afspraak\b|\bnot (?:what was|as) agreed\b",
    ),
    ("price", r"\b(?:creditnota|kredietnota|credit ?nota|credit ?note|creditering|crediteren)\b"),
    (
        "not_received",
        r"\b(?:niet|nooit|never|not)\b~{0,15}?\b(?:ontvangen|gekregen|received)\b",
    ),
    (
        "other",
        r"\bklopt(?: hier)?(?: iets)? niet\b|\bkloppen niet\b|\bniet akkoord\b|\bniet mee eens\b|\boneens\b"
        r"|\bbetwist|\bbezwaar\b|\bonjuist\b|\bniet correct\b|\bniet juist\b|\bincorrect\b|\bnot correct\b"
        r"|\bis wrong\b|\bdisagree\b|\bdisput\w*|\bnot agree\b|\bnot accept\b|\bklacht\b|\bcomplaint\b"
        r"|\b(?:factuur|invoice) (?:is |was )?(?:fout|wrong)\b|\bfoute factuur\b|\bfout gefactureerd\b"
        r"|\b(?:invoiced|billed|charged) (?:us )?in error\b|\bwrong invoice\b"
        r"|\b(?:nog niet|niet) vervallen\b|\bpas\b~{0,25}?\bvervallen\b|\bnot (?:yet )?due\b"
        r"|\b(?:factuur|invoice)\b~{0,40}?\b(?:op naam van|tenaamstelling|aanpassen|corrigeren|wijzigen|"
        r"in the name of|amend|correct|reissue|re-issue)\b|\b(?:gecorrigeerde|nieuwe|aangepaste) factuur\b"
        r"|\b(?:corrected|amended|new) invoice\b|\bwhy\b~{0,20}?\b(?:charged|invoiced|billed)\b"
        r"|\bwaarom\b~{0,30}?\b(?:gefactureerd|berekend|aangerekend|in rekening)\b"
        r"|\bnot our invoice\b|\bniet (?:onze|van ons|voor ons)\b~{0,10}?\bfactuur\b"
        r"|\bwrong (?:company|customer|firm)\b|\bverkeerde (?:klant|firma|bedrijf|debiteur)\b"
        r"|\b(?:po|purchase order|inkooporder)(?: number| nummer| nr)?\b~{0,30}?\b(?:missing|ontbreekt|required|needed|"
        r"nodig|vermelden|on the invoice|op de factuur)\b|\b(?:need|needs|require|requires|nodig)\b~{0,20}?"
        r"\b(?:po|purchase order|inkooporder)\b|\b(?:specificatie|specification)\b"
        r"|\bnot for us\b|\bniet voor ons\b|\bnot ours\b|\b(?:previous|former|vorige|oude) (?:owner|eigenaar)\b"
        r"|\bnew ownership\b|\bnieuwe eigenaar\b|\b(?:factuur|invoice)\b~{0,30}?\b(?:splitsen|split)\b",
    ),
]
_DISPUTE_RULES = [(reason, _rx(pattern)) for reason, pattern in _DISPUTE_RULES]

_PAY_WORD = _rx(
    r"\b(?:betaal|betaalt|betalen|betaling|betalingen|voldoen|voldoe|overmaken|overmaak|maken\b~{0,25}?\bover|"
    r"maak\b~{0,25}?\bover|overboeken|overschrijven|overschrijving|schrijven\b~{0,20}?\bover|"
    r"storten|betaalrun|betaalbatch|betalingsrun|betaalronde|bedrag|geld|"
    r"(?:wordt|worden|zal|zullen)\b~{0,30}?\b(?:betaald|voldaan|overgemaakt|overgeboekt|gestort|"
    r"overgeschreven)|"
    r"pay|pays|paying|payment|payments|settle|settled|settling|transfer|remit|remittance|wire|money|"
    r"payment run|be paid|be settled)\b"
    r"|\b(?:rest|restant|remaining|remainder|balance|saldo)\b~{0,30}?\b(?:volgt|follows|will follow|komt)\b"
    r"|\bclear (?:the |our |this )?(?:balance|invoice|account|amount|debt)\b|\bvereffenen\b"
    r"|\b(?:op|on|in) (?:jullie|uw|je|de|your|the) (?:rekening|account|bank account)\b"
    r"|\b(?:uiterlijk|ten laatste|no later than)\b~{0,30}?\b(?:betaald|voldaan|overgemaakt|paid|settled)\b"
    r"|\bbe (?:transferred|wired|remitted)\b"
    r"|\b(?:regelen|regel|in orde (?:maken|brengen)|sort (?:it |this |that )?out|take care of|arrange|process)\b"
)
_REST = _rx(r"\b(?:de rest|het restant|het resterende|the rest|the remaining|the remainder|the balance)\b")
_BACK_REFERENCE = _rx(r"^(?:it|this|that|het|dat|dit)\b~{0,15}?\b(?:will|wordt|zal|gaat|komt)\b")
_SOON = _rx(r"\b(?:zo snel mogelijk|zsm|z\.s\.m\.?|asap|as soon as possible|binnenkort|spoedig|shortly)")
_CONDITION = _rx(
    r"\b(?:pas|eerst|only)\s+(?:als|wanneer|nadat|zodra|na ontvangst|when|after|once|if)\b"
    r"|\b(?:niet|geen|not|nothing)\b~{0,50}?\b(?:voordat|voor|vóór|zolang|totdat|tot|zonder|eerder|"
    r"before|until|unless|without|earlier)\b"
    r"|\buntil\b|\bunless\b|\bzolang\b|\btotdat\b"
    r"|\b(?:na ontvangst|upon receipt|on receipt|after receiving|once we (?:have )?receive)\b"
)
# "Eerder lukt niet", "not sooner": the negation is of an earlier date, not of the payment.
_NOT_SOONER = _rx(
    r"\b(?:eerder|sooner|earlier)\b~{0,15}?\b(?:niet|not)\b|\b(?:niet|not|no)\b~{0,10}?\b(?:eerder|sooner|earlier)\b"
)
# A habit or a term is no promise: "we always pay within 60 days", "30 days after the invoice date".
_HABIT = _rx(
    r"\b(?:altijd|normaal|normaliter|gewoonlijk|standaard|always|normally|usually|generally|as per our terms|"
    r"volgens onze (?:\w+ )?voorwaarden|according to our terms)\b"
)
_DURATION = _rx(r"(?:binnen|within|in|over|na|after|uiterlijk)\b")
_NOT_FROM_REPLY = _rx(
    r"^\s*(?:of|after|from|na|vanaf|from the)?\s*(?:the |de )?(?:invoice date|date of (?:the )?invoice|factuurdatum|"
    r"levering|delivery|ontvangst|receipt)"
)
# A date the sentence denies: "deze week nog niet", "not this week".
_DENIED_BEFORE = _rx(r"\b(?:niet|not)\s+$")
_DENIED_AFTER = _rx(r"^\s*(?:nog\s+)?(?:niet|not)\b")
_REFUSAL = _rx(
    r"\b(?:betalen|betaal|betaalt|voldoen)\b~{0,30}?\bniet\b|\bniet\b~{0,20}?\b(?:betalen|voldoen)\b"
    r"|\bweiger\w*\b~{0,20}?\bbetal|\brefuse\w*\b~{0,10}?\bpay|\b(?:wo not|will not|shall not)\s+"
    r"(?:\w+\s+)?pay\b|\bnot (?:going to )?pay\b"
)
_CANNOT_PAY = _rx(
    r"\b(?:kunnen|kan|kunt)\b~{0,30}?\bniet\b~{0,30}?\b(?:betalen|voldoen)\b"
    r"|\b(?:can not|ca not|unable to|not able to)\s+(?:\w+\s+)?pay\b"
    r"|\bliquiditeit\w*|\bgeen geld\b|\bfinancie(?:e)?l(?:e)? (?:problemen|moeilijkheden)\b"
    r"|\bfinancial (?:difficulties|problems|trouble)\b|\bcash ?flow\b"
)
_PLAN = _rx(
    r"\b(?:betalingsregeling|regeling|termijnen|in delen|afbetaling|gespreid|spreiden|payment plan|"
    r"instal(?:l)?ments|pay in parts|per maand|per month|a month|monthly)\b"
)
# A short reply with a date and no payment word ("Volgende week.", "Komt vrijdag") still promises, unless
# it speaks of something else that happens on that date.
_SHORT_REPLY = 8  # words
_NOT_A_PAYMENT = _rx(
    r"\b(?:bel|bellen|belt|call|mail|terug|back|contact|afspraak|meeting|vergadering|levering|delivery|"
    r"geleverd|delivered|kantoor|office)\b"
)

_SENTENCE_END = _rx(r"(?<=[.!?;])(?<!\b\w\.)(?<!\bnr\.)(?<!\bno\.)(?<!\bca\.)(?<!\bfact\.)\s+|\n+")


def _sentences(text):
    """(original, lower-cased with references blanked) for each sentence of the reply."""
    result = []
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if sentence:
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in sentence)
            lower = lower.replace("’", "'").replace("n't", " not").replace("cannot", "can not")
            result.append((sentence, _blank(lower, _REFERENCES)))
    return result


def _evidence(sentence):
    return sentence if len(sentence) <= 160 else sentence[:157].rstrip() + "..."


def _find_paid(sentences, reply, lang):
    for original, lower in sentences:
        for pattern, blockable in _PAID_RULES:
            for match in pattern.finditer(lower):
                clause = lower[max(0, match.start() - 25) : match.end()].split(",")[-1]
                if blockable and _PAID_BLOCK.search(clause):
                    continue
                if _DEADLINE.search(lower) and not _ALREADY.search(lower):
                    continue  # "uiterlijk 5 februari is alles voldaan": a payment to come
                dates = [d for _s, _e, d in _find_dates(lower, reply, past=True) if d <= reply]
                return ReplySuggestion(
                    "paid",
                    date=dates[0] if dates else None,
                    amount=_find_amount(_blank_dates(lower, reply)),
                    lang=lang,
                    evidence=_evidence(original),
                )
    return None


def _find_dispute(sentences):
    for reason, pattern in _DISPUTE_RULES:
        for original, lower in sentences:
            if pattern.search(lower):
                return reason, original
    return None


def _blank_dates(lower, reply):
    for start, end, _value in _find_dates(lower, reply):
        lower = lower[:start] + " " * (end - start) + lower[end:]
    return lower


def _promised_dates(lower, reply):
    """The dates of the sentence a promise can name: not past, not denied, not counted from another day."""
    return [
        (start, end, value)
        for start, end, value in _find_dates(lower, reply)
        if value >= reply
        and not _NOT_FROM_REPLY.match(lower[end:])
        and not _DENIED_BEFORE.search(lower[:start])
        and not _DENIED_AFTER.match(lower[end:])
    ]


def _find_promise(sentences, reply, lang):
    """(suggestion, note, sentence): a promise and its lower-cased sentence; else ``(None, note, None)`` with why
    a payment sentence was none (refusal, cannot pay, plan)."""
    note = None
    previous_pay = False
    for original, lower in sentences:
        # "Sorry for the late payment. It will be done by Wednesday.": the second sentence speaks of the first's.
        pay = _PAY_WORD.search(lower) or (previous_pay and _BACK_REFERENCE.search(lower))
        previous_pay = bool(_PAY_WORD.search(lower))
        if not pay:
            continue
        if _PLAN.search(lower):
            note = note or ("plan", original)
            continue
        dates = _promised_dates(lower, reply)
        if _HABIT.search(lower):
            # "We always pay within 60 days" is a term; "die betaalt altijd op het einde van de maand" dates it.
            dates = [d for d in dates if not _DURATION.match(lower[d[0] : d[1]])]
            if not dates:
                continue
        condition = _CONDITION.search(lower) or _NOT_SOONER.search(lower)
        negated = _REFUSAL.search(lower) or _CANNOT_PAY.search(lower)
        if condition and not dates:
            note = note or ("refusal", original)
            continue
        if negated and not (condition and dates):
            note = note or ("cannot_pay" if _CANNOT_PAY.search(lower) else "refusal", original)
            continue
        if lower.rstrip().endswith("?") and not dates:
            continue
        if not dates and not _SOON.search(lower):
            continue
        return (
            ReplySuggestion(
                "promise",
                date=dates[0][2] if dates else None,
                amount=_find_amount(_blank_dates(lower, reply)),
                lang=lang,
                evidence=_evidence(original),
            ),
            None,
            lower,
        )
    short = len(" ".join(o for o, _l in sentences).split()) <= _SHORT_REPLY
    if short and not note and not any(_PAY_WORD.search(lower) for _o, lower in sentences):
        whole = " ".join(lower for _o, lower in sentences)
        dates = _promised_dates(whole, reply)
        if dates and "?" not in whole and not _NOT_A_PAYMENT.search(whole):
            evidence = " ".join(o for o, _l in sentences)
            return (
                ReplySuggestion(
                    "promise",
                    date=dates[0][2],
                    amount=_find_amount(_blank_dates(whole, reply)),
                    lang=lang,
                    evidence=_evidence(evidence),
                ),
                None,
                whole,
            )
    return None, note, None


# What a customer has to say is at the start of the reply; reading more only costs time.
_MAX_CHARS = 5000


def parse_reply(text, reply_date):
    """The suggestion for this reply, received on ``reply_date`` (relative dates resolve from it).

    ``text``: the reply's body, plain text or HTML, with or without the quoted history.
    """
    if isinstance(reply_date, datetime.datetime):
        reply_date = reply_date.date()
    own = strip_quoted(text)[:_MAX_CHARS]
    lang = _detect_lang(own)
    if not own:
        return ReplySuggestion(None, lang=lang)
    sentences = _sentences(own)
    for original, lower in sentences:
        if _OUT_OF_OFFICE.search(lower):
            return ReplySuggestion(None, lang=lang, evidence=_evidence(original))
    paid = _find_paid(sentences, reply_date, lang)
    promise, note, promised = _find_promise(sentences, reply_date, lang)
    if paid and promise and promise.date and _REST.search(promised):
        # Part paid, the rest promised: the promise of the rest is what follow-up needs.
        tail = promised[_REST.search(promised).start() :]
        dates = _promised_dates(tail, reply_date)
        return dataclasses.replace(
            promise,
            date=dates[0][2] if dates else promise.date,
            amount=_find_amount(_blank_dates(tail, reply_date)),
        )
    if paid:
        return paid
    dispute = _find_dispute(sentences)
    if dispute:
        return ReplySuggestion("dispute", reason=dispute[0], lang=lang, evidence=_evidence(dispute[1]))
    if promise:
        return promise
    if note and note[0] == "refusal":
        return ReplySuggestion("dispute", reason="other", lang=lang, evidence=_evidence(note[1]))
    return ReplySuggestion(None, lang=lang, evidence=_evidence(note[1]) if note else "")


# ---------------------------------------------------------------------------------------------------------
# Measuring: the labelled set and its precision and recall
# ---------------------------------------------------------------------------------------------------------


def load_labelled_set(path):
    """The labelled replies of a CSV file (see tests/data/README.md), as dicts with parsed values."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["reply_date"] = date.fromisoformat(row["reply_date"])
        row["kind"] = row["kind"] or None
        row["date"] = date.fromisoformat(row["date"]) if row["date"] else None
        row["amount"] = float(row["amount"]) if row["amount"] else None
        row["reason"] = row["reason"] or None
    return rows


def is_correct(row, suggestion):
    """A suggestion is right when its kind is, and for a promise its date and (when labelled) amount, for a
    dispute its reason."""
    if suggestion.kind != row["kind"]:
        return False
    if row["kind"] == "promise":
        if suggestion.date != row["date"]:
            return False
        if row["amount"] is not None and (suggestion.amount is None or abs(suggestion.amount - row["amount"]) > 0.005):
            return False
    if row["kind"] == "dispute" and suggestion.reason != row["reason"]:
        return False
    return True


def evaluate(rows):
    """Precision and recall per kind and overall (micro-averaged over the three kinds).

    Precision of a kind: right suggestions of that kind / suggestions of that kind; recall: right
    suggestions / replies labelled with that kind. ``kind_only`` counts the kind alone (no date, amount or
    reason). Also the misses, for reading.
    """
    stats = {kind: {"expected": 0, "suggested": 0, "correct": 0, "kind_correct": 0} for kind in KINDS}
    misses = []
    lang_right = 0
    for row in rows:
        suggestion = parse_reply(row["text"], row["reply_date"])
        right = is_correct(row, suggestion)
        lang_right += suggestion.lang == row["lang"]
        if row["kind"]:
            stats[row["kind"]]["expected"] += 1
        if suggestion.kind:
            stats[suggestion.kind]["suggested"] += 1
            stats[suggestion.kind]["kind_correct"] += suggestion.kind == row["kind"]
            stats[suggestion.kind]["correct"] += right
        if not right:
            misses.append((row, suggestion))
    stats["overall"] = {key: sum(stats[kind][key] for kind in KINDS) for key in stats["promise"]}
    for values in stats.values():
        values["precision"] = values["correct"] / values["suggested"] if values["suggested"] else 1.0
        values["recall"] = values["correct"] / values["expected"] if values["expected"] else 1.0
        values["kind_precision"] = values["kind_correct"] / values["suggested"] if values["suggested"] else 1.0
        values["kind_recall"] = values["kind_correct"] / values["expected"] if values["expected"] else 1.0
    nothing = [row for row in rows if not row["kind"]]
    stats["none"] = {
        "expected": len(nothing),
        "correct": sum(1 for row in nothing if parse_reply(row["text"], row["reply_date"]).kind is None),
    }
    return {
        "rows": len(rows),
        "by_lang": {lang: sum(row["lang"] == lang for row in rows) for lang in ("nl", "en")},
        "lang_accuracy": lang_right / len(rows) if rows else 1.0,
        "stats": stats,
        "misses": misses,
    }
