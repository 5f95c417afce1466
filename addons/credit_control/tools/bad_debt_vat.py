"""Bad-debt VAT relief: when the VAT on an unpaid invoice may be taken back, and how much of it.

A written-off receivable carries VAT that the company already declared. The law of the company's VAT return says
from when that VAT may be corrected ("relief"); this module holds those rules as data (``RELIEF_RULES``) and two
pure functions: ``relief_date`` (the rule's date for one item) and ``split_amount`` (the share of each base and
tax of the invoice in the open amount, to the cent).

Checked (2026-12-02, through the sources named):

- NL, art. 29 Wet OB 1968 as simplified on 1 January 2017 (Fiscale vereenvoudigingswet 2017, Kamerstukken II
  2016/17, 34 554): the right to a refund of the VAT on an unpaid consideration arises when the non-payment is
  established, and at the latest one year after the consideration became due; the refund is deducted in the return
  of the period in which the right arose (no separate request any more); a consideration received after the refund
  makes the VAT due again at the moment it is received. Sources: the draft text of art. 29 (lid 1, 2, 4 and 5 in the
  draft's numbering) https://studylibnl.com/doc/754900/1-vereenvoudiging-belastingteruggaaf-oninbare-vorderingen ;
  the 2017 change http://berntsenmulder.nl/nieuws/btw-terugvragen-voor-oninbare-vorderingen-wordt-makkelijker ;
  "at the latest one year after the payment term agreed (or the statutory 30 days)", and the choice in the return
  between rubric 5b and a negative turnover with its negative VAT in rubric 1a/1b:
  https://hilger-administratie.nl/teruggave-door-oninbare-vordering/ . The enacted paragraph numbers (the brief
  says lid 1 and lid 4; the draft puts the one-year limit in lid 2) were NOT checked against wetten.overheid.nl.
- NL, a bankruptcy (faillissement) or debt rescheduling (WSNP) establishes that the claim will not be paid: the
  relief date is the judgment date when it comes before the one-year limit. This is how the sources above describe
  an established non-payment; that the judgment date itself is accepted by the Belastingdienst was NOT checked.
  A suspension of payments (surseance) does not establish non-payment: only the one-year limit applies.
- BE, art. 77 §1, 7° WBTW (total or partial loss of the claim): in a bankruptcy the VAT is refunded from the date of
  the judgment: https://www.vat-consult.be/blog/belgian-payment-terms ,
  https://marosavat.com/manual/belgium/vat-registrations-and-simplifications/bad-debt-relief-in-belgium/ , and the
  earlier rule "only a loss established with certainty": http://www.bibf.be/Index.asp?Idx=1556 .

NOT checked (no source found through the search tool; applied as the brief states them and labelled "unverified"
in the legal basis shown to the user):

- BE, art. 77 §1/1 WBTW (reform of 1 January 2023): a claim is presumed uncollectable one year after the due date
  (on 31 December of the year after the due date under some readings) when the creditor has informed the debtor;
  this module uses the due date plus one year.
- BE judicial reorganisation and collective debt settlement: the relief date is taken as the judgment (the
  admissibility decision), as for bankruptcy.

Any other country: no rule here, so no VAT is relieved (the whole open amount goes to the bad-debt account).
"""

from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

# rule key: (country, legal basis shown to the user, verified)
RELIEF_RULES = {
    "nl_one_year": ("NL", "art. 29 Wet OB 1968 (uiterlijk één jaar na de vervaldag)", True),
    "nl_insolvency": ("NL", "art. 29 Wet OB 1968 (oninbaarheid vastgesteld: faillissement/WSNP)", False),
    "be_insolvency": ("BE", "art. 77 §1, 7° WBTW (vonnis van faillissement)", True),
    "be_procedure": ("BE", "art. 77 §1, 7° WBTW (gerechtelijke procedure) – unverified", False),
    "be_one_year": ("BE", "art. 77 §1/1 WBTW (vermoedelijk oninbaar na één jaar) – unverified", False),
}

# insolvency kind (credit.insolvency.kind): the rule that makes the claim uncollectable at the judgment
INSOLVENCY_RULES = {
    "nl_bankruptcy": "nl_insolvency",
    "nl_wsnp": "nl_insolvency",
    "be_bankruptcy": "be_insolvency",
    "be_reorganisation": "be_procedure",
    "be_debt_settlement": "be_procedure",
}

ONE_YEAR_RULES = {"NL": "nl_one_year", "BE": "be_one_year"}


def relief_date(country, due_date, insolvency_kind=None, judgment_date=None):
    """(date, rule key) from which the VAT of an unpaid item may be relieved, or (None, None) without a rule.

    ``country``: the ISO code of the company's VAT return; ``due_date``: the item's due date; an insolvency case
    of the customer (its kind and judgment date) may make it earlier. The one-year limit is calendar: 31 March 2026
    gives 31 March 2027, 29 February gives 28 February.
    """
    year_rule = ONE_YEAR_RULES.get(country)
    if not year_rule or not due_date:
        return None, None
    best = (due_date + relativedelta(years=1), year_rule)
    case_rule = INSOLVENCY_RULES.get(insolvency_kind)
    if case_rule and judgment_date and RELIEF_RULES[case_rule][0] == country and judgment_date < best[0]:
        best = (judgment_date, case_rule)
    return best


def is_reclaimable(country, due_date, on_date, insolvency_kind=None, judgment_date=None):
    """Whether the VAT of the item may be relieved on ``on_date``."""
    day, _rule = relief_date(country, due_date, insolvency_kind, judgment_date)
    return bool(day and day <= on_date)


def split_amount(amount, parts, digits=2):
    """``amount`` (the open part of an invoice) shared over the invoice's ``parts`` pro rata, to the cent.

    ``parts`` is a list of (key, invoice amount): each base group and each tax of the invoice, summing to its total.
    Each share is ``part * amount / total`` rounded half-up; the cents lost or won by rounding go to the parts with
    the largest remainders, so the shares always sum to ``amount`` exactly. Returns {key: Decimal}.
    """
    quantum = Decimal(1).scaleb(-digits)
    amount = Decimal(str(amount)).quantize(quantum)
    parts = [(key, Decimal(str(value))) for key, value in parts]
    total = sum((value for _key, value in parts), Decimal(0))
    if not parts or not total:
        return {key: Decimal(0).quantize(quantum) for key, _value in parts}
    exact = {key: value * amount / total for key, value in parts}
    shares = {key: value.quantize(quantum, rounding=ROUND_HALF_UP) for key, value in exact.items()}
    gap = amount - sum(shares.values(), Decimal(0))
    step = quantum if gap > 0 else -quantum
    order = sorted(exact, key=lambda key: (exact[key] - shares[key]) * (1 if gap > 0 else -1), reverse=True)
    index = 0
    while gap and order:
        key = order[index % len(order)]
        shares[key] += step
        gap -= step
        index += 1
    return shares


def legal_basis(rule):
    """The text of the rule shown on the write-off and in the VAT relief report."""
    return RELIEF_RULES[rule][1] if rule else ""
