"""What a claim in an insolvency case may contain: principal, interest up to the judgment, collection costs.

Each kind of case has one rule (``CLAIM_RULES``): the last day of interest admitted to the claim, the law that
says so, and whether that source was checked for this module. Interest and costs themselves come from the
existing pure functions (``statutory_interest``, ``nl_bik``, ``be_consumer``); this module only says up to
when and which.

Checked (2026-12-02):
- NL faillissement, art. 128 Fw: interest running after the declaration of bankruptcy is not admitted to the
  verification; the claim carries interest up to the bankruptcy date (unless secured by pledge or mortgage,
  which this module does not handle).
- NL surseance van betaling, art. 260 lid 1 Fw: "Een rentedragende vordering wordt op de lijst gebracht met
  bijrekening der rente tot de aanvang der surseance."

Not checked here (no source found through the search tool; the same cut-off is applied, and the report says the
claim's interest runs to the judgment date so that the trustee can correct it):
- NL WSNP (schuldsaneringsregeling natuurlijke personen, Titel III Fw);
- BE faillissement (Boek XX WER, the judgment stops interest on unsecured claims towards the estate);
- BE gerechtelijke reorganisatie (Boek XX WER);
- BE collectieve schuldenregeling (art. 1675/7 Ger.W., the admissibility decision suspends interest).

The judgment takes effect from the start of its day, so the last day of interest is the day before it; the
run's pause starts on the judgment day itself (``account.move.line._credit_exclusion_sql``).
"""

from datetime import timedelta
from decimal import Decimal

from . import be_consumer, nl_bik

# kind: (country, source of the interest cut-off, verified)
CLAIM_RULES = {
    "nl_bankruptcy": ("NL", "art. 128 Fw", True),
    "nl_suspension": ("NL", "art. 260 lid 1 Fw", True),
    "nl_wsnp": ("NL", "Titel III Fw (WSNP)", False),
    "be_bankruptcy": ("BE", "Boek XX WER", False),
    "be_reorganisation": ("BE", "Boek XX WER", False),
    "be_debt_settlement": ("BE", "art. 1675/7 Ger.W.", False),
}


def last_interest_day(judgment_date):
    """The last day of statutory interest a claim may carry: the day before the judgment."""
    return judgment_date - timedelta(days=1)


def claim_costs(cost_type, principal):
    """The collection costs claimed on the total ``principal`` of the claim (a Decimal, to the cent).

    ``nl_bik``: the BIK scale (art. 6:96 BW, Besluit vergoeding voor buitengerechtelijke incassokosten);
    ``be_consumer``: the damages cap of Book XIX CEL; ``none``: no costs.
    """
    if cost_type == "nl_bik":
        return nl_bik.bik_collection_costs(principal)
    if cost_type == "be_consumer":
        return be_consumer.be_damages_cap(principal)
    return Decimal("0.00")
