from decimal import Decimal

from odoo import api, fields, models, tools
from odoo.tools import format_date, formatLang

from ..tools import statutory_interest

RATE_TYPES = [
    ("nl_consumer", "Dutch statutory interest (art. 6:119 BW)"),
    ("nl_commercial", "Dutch commercial interest (art. 6:119a BW)"),
    ("be_late_payment", "Belgian late-payment interest (Act of 2 August 2002)"),
    ("be_legal", "Belgian legal interest rate (Act of 5 May 1865)"),
]
# Dutch statutory interest is added to the principal at the end of each year (art. 6:119 lid 2 BW). Belgian interest
# is never compounded automatically: the legal rate of the Act of 5 May 1865, which a Belgian consumer owes when no rate
# was agreed, and the rate of the Act of 2 August 2002, which caps an agreed rate (Book XIX CEL, art. XIX.4).
COMPOUND_YEARLY = {"nl_consumer", "nl_commercial"}


class CreditInterestRate(models.Model):
    """A statutory interest rate in force from a date until the next rate of the same kind.

    Shipped as data up to the last published rate; the credit manager adds each new rate when it is published
    (1 January and 1 July; the Belgian legal rate once a year, from 1 January).
    """

    _name = "credit.interest.rate"
    _description = "Statutory Interest Rate"
    _order = "rate_type, date_from desc"
    _rec_name = "rate_type"

    rate_type = fields.Selection(RATE_TYPES, string="Interest", required=True, index=True)
    date_from = fields.Date(string="In Force From", required=True)
    # a rate is not an amount: a group of rates has no sum
    rate = fields.Float(string="Annual Rate (%)", digits=(5, 2), required=True, aggregator=None)
    source = fields.Char(help="Where the rate was published.")
    missing_rate_warning = fields.Char(
        string="Missing Rate",
        compute="_compute_missing_rate_warning",
        help="Set on the latest rate of a kind when no rate is in force from the start of the current half-year "
        "(or year) yet: interest is computed at this older rate until the new one is added.",
    )

    _sql_constraints = [
        ("rate_type_date_unique", "UNIQUE(rate_type, date_from)", "There is already a rate from that date."),
        ("rate_positive", "CHECK(rate >= 0)", "An interest rate cannot be negative."),
    ]

    @api.depends("rate_type", "date_from")
    def _compute_missing_rate_warning(self):
        today = fields.Date.context_today(self)
        warnings = self._missing_rate_warnings(set(self.mapped("rate_type")), today)
        latest = {rate_type: self._rate_table(rate_type)[-1:] for rate_type in warnings}
        for rate in self:
            last = latest.get(rate.rate_type)
            is_latest = bool(last) and last[0][0] == rate.date_from
            rate.missing_rate_warning = warnings.get(rate.rate_type) if is_latest else False

    @api.model
    def _missing_rate_warnings(self, rate_types, day=None):
        """{rate type: warning} for the kinds of ``rate_types`` that have no rate in force from the start of
        ``day``'s half-year (or year), in the context's language; kinds whose table is current are left out."""
        day = day or fields.Date.context_today(self)
        labels = dict(self._fields["rate_type"]._description_selection(self.env))
        warnings = {}
        for rate_type in sorted(set(rate_types) - {"none", False, None}):
            table = self._rate_table(rate_type)
            start = statutory_interest.missing_period_rate(table, rate_type, day)
            if start is None:
                continue
            if table:
                warnings[rate_type] = self.env._(
                    "%(kind)s: no rate from %(date)s in the rate table yet; interest after that date is computed at "
                    "the rate of %(last_date)s (%(rate)s %%). Add the new rate under Credit Control › Configuration "
                    "› Interest Rates.",
                    kind=labels.get(rate_type, rate_type),
                    date=format_date(self.env, start),
                    last_date=format_date(self.env, table[-1][0]),
                    rate=formatLang(self.env, float(table[-1][1]), digits=2),
                )
            else:
                warnings[rate_type] = self.env._(
                    "%(kind)s: the rate table has no rate; no interest is computed. Add the rates under Credit "
                    "Control › Configuration › Interest Rates.",
                    kind=labels.get(rate_type, rate_type),
                )
        return warnings

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _rate_table
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()  # _rate_table
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _rate_table
        return super().unlink()

    @api.model
    def _rate_table(self, rate_type):
        """The rates of one kind as [(date_from, Decimal percent)], oldest first."""
        return list(self._rate_table_cached(rate_type))

    @tools.ormcache("rate_type")
    def _rate_table_cached(self, rate_type):
        # kept until a rate changes: the daily run reads the table for every action with interest
        rates = self.sudo().search_fetch([("rate_type", "=", rate_type)], ["date_from", "rate"], order="date_from")
        return tuple((rate.date_from, Decimal(str(rate.rate))) for rate in rates)

    @api.model
    def _interest(self, rate_type, principal, date_from, date_to, table=None):
        """Interest on ``principal`` for the days ``date_from``..``date_to`` (inclusive), 0.0 when none is known.

        ``table`` is the rate table when the caller already has it (one query for a whole batch).
        """
        table = self._rate_table(rate_type) if table is None else table
        if not table or date_to < date_from or principal <= 0:
            return 0.0
        # days before the first rate shipped earn no interest rather than failing the run
        date_from = max(date_from, table[0][0])
        return float(
            statutory_interest.statutory_interest(
                principal, date_from, date_to, table, compound_yearly=rate_type in COMPOUND_YEARLY
            )
        )
