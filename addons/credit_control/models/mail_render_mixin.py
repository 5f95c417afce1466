import ast
import datetime

import babel.dates

from odoo import models
from odoo.tools.misc import babel_locale_parse, get_lang, posix_to_ldml

from odoo.addons.base.models.res_lang import intersperse
from odoo.addons.mail.models.mail_render_mixin import format_date

from .ir_qweb import COMPILED_QWEB_CACHE


class BatchFormats:
    """``format_amount`` and ``format_date`` of a mail template's rendering context, as Odoo's (``tools.format_amount``
    and mail's ``format_date``) but with each language looked up once per rendering instead of once per call.

    Odoo's helpers read the language (``get_lang``: two ormcache lookups) and, for a date, parse its babel locale and
    its date format on every call; a batch of reminders calls them a few times per item (invoice date, due date,
    open amount, totals, the subject): a tenth of the daily run. A rendering context is made for one environment
    (its language, user and company: see ``mail.render.mixin._render_template_qweb``), so what ``get_lang`` returns
    for a given ``lang_code`` cannot change within it."""

    __slots__ = ("env", "langs")

    def __init__(self, env):
        self.env = env
        self.langs = {}

    def lang(self, lang_code):
        """(language data, babel locale, LDML date format, grouping) for ``lang_code``, as Odoo's helpers read them."""
        key = lang_code or False
        if key not in self.langs:
            lang = get_lang(self.env, lang_code)
            locale = babel_locale_parse(lang.code)
            date_format = posix_to_ldml(lang.date_format, locale=locale)
            self.langs[key] = (lang, locale, date_format, ast.literal_eval(lang.grouping))
        return self.langs[key]

    def format_amount(self, amount, currency, lang_code=False):
        """``tools.format_amount(env, amount, currency, lang_code)``."""
        lang, _locale, _date_format, grouping = self.lang(lang_code)
        # Lang.format of "%.<decimals>f" with grouping (the same digits as the % operator)
        parts = format(currency.round(amount), f".{currency.decimal_places}f").split(".")
        parts[0] = intersperse(parts[0], grouping, lang.thousands_sep or "")[0]
        formatted = (
            lang.decimal_point.join(parts)
            .replace(" ", "\N{NO-BREAK SPACE}")
            .replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
        )
        if currency.position == "before":
            return f"{currency.symbol or ''}\N{NO-BREAK SPACE}{formatted}"
        return f"{formatted}\N{NO-BREAK SPACE}{currency.symbol or ''}"

    def format_date(self, date, date_format=False, lang_code=False):
        """mail's ``format_date(env, date, date_format, lang_code)``: a plain date here, anything else (a datetime,
        a string, nothing) as Odoo does it."""
        if type(date) is not datetime.date:
            return format_date(self.env, date, date_format, lang_code)
        _lang, locale, lang_date_format, _grouping = self.lang(lang_code)
        return babel.dates.format_date(date, format=date_format or lang_date_format, locale=locale)


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    def _render_eval_context(self):
        """While a batch of follow-up emails renders (``credit.action._render_emails``), the formatting helpers
        look each language up once (``BatchFormats``): the same texts. Outside such a batch nothing changes."""
        context = super()._render_eval_context()
        if self.env.cr.cache.get(COMPILED_QWEB_CACHE) is not None:
            formats = BatchFormats(self.env)
            context["format_amount"] = formats.format_amount
            context["format_date"] = formats.format_date
        return context
