"""Correct the shipped statutory interest tables of existing databases (data/credit_interest_rate_data.xml is noupdate).

- The Dutch statutory (consumer) rate of art. 6:119 BW was shipped as 4 % from 1 July 2025. The Besluit vaststelling
  wettelijke rente has no version from that date: 6 % runs from 1 January 2025 to 31 December 2025 and 4 % applies
  from 1 January 2026. The shipped row of 1 July 2025 is set to 6 %.
- The Belgian general legal interest rate (Act of 5 May 1865) is a new kind, ``be_legal``: its yearly rows are added,
  and the shipped Belgian consumer policy charges it instead of the commercial rate of the Act of 2 August 2002.

Only rows the module shipped are changed, and only while they still hold the wrong shipped value: a credit manager's
own rows and own corrections are left alone, and a row is not added where one of the same kind and date exists.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

MODULE = "credit_control"

# xml id: (kind, start, wrong shipped rate, correct rate, source)
CORRECTIONS = {
    "credit_interest_rate_nl_consumer_2025_07": (
        "nl_consumer",
        "2025-07-01",
        4.0,
        6.0,
        "Besluit vaststelling wettelijke rente (art. 6:119 BW): unchanged on 1 July 2025",
    ),
}

# xml id: (kind, start, rate, source)
ADDITIONS = {
    f"credit_interest_rate_be_legal_{year}_01": (
        "be_legal",
        f"{year}-01-01",
        rate,
        f"Wettelijke interestvoet {year} (wet 5 mei 1865, art. 2 § 1), {source}",
    )
    for year, rate, source in (
        (2020, 1.75, "BS 27 January 2020"),
        (2021, 1.75, "BS 12 February 2021"),
        (2022, 1.50, "BS 1 March 2022"),
        (2023, 5.25, "FOD Financiën notice of January 2023"),
        (2024, 5.75, "BS 23 February 2024"),
        (2025, 4.50, "FOD Financiën notice of January 2025"),
        (2026, 4.50, "FOD Financiën notice of January 2026, unchanged"),
    )
}

# the shipped Belgian consumer level that charged the commercial rate
BE_CONSUMER_LEVEL = "credit_policy_be_consumer_level_2"


def correct_legal_tables(env):
    """Correct the shipped rates, add the missing ones, and point the Belgian consumer policy at the legal rate.

    Returns the number of rows corrected and added, for the log and the tests. Safe to run twice.
    """
    Rate = env["credit.interest.rate"].sudo().with_context(active_test=False)
    corrected = added = 0
    for xml_id, (kind, start, wrong, right, source) in CORRECTIONS.items():
        rate = env.ref(f"{MODULE}.{xml_id}", raise_if_not_found=False)
        if rate and rate.rate_type == kind and str(rate.date_from) == start and rate.rate == wrong:
            rate.write({"rate": right, "source": source})
            corrected += 1
    for xml_id, (kind, start, value, source) in ADDITIONS.items():
        if env.ref(f"{MODULE}.{xml_id}", raise_if_not_found=False):
            continue
        if Rate.search_count([("rate_type", "=", kind), ("date_from", "=", start)]):
            continue  # a row the credit manager added: theirs
        rate = Rate.create({"rate_type": kind, "date_from": start, "rate": value, "source": source})
        env["ir.model.data"].sudo().create(
            {"module": MODULE, "name": xml_id, "model": rate._name, "res_id": rate.id, "noupdate": True}
        )
        added += 1
    level = env.ref(f"{MODULE}.{BE_CONSUMER_LEVEL}", raise_if_not_found=False)
    if level and level.interest_type == "be_late_payment":
        level.sudo().interest_type = "be_legal"
    return corrected, added


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    corrected, added = correct_legal_tables(env)
    _logger.info("credit_control: %s statutory interest rate(s) corrected, %s added", corrected, added)
