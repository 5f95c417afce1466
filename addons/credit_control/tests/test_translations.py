import os

import polib
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import TODAY, CreditControlCommon


def _po(name):
    return polib.pofile(file_path(os.path.join("credit_control", "i18n", name)))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTranslations(CreditControlCommon):
    def test_dutch_translation_is_complete(self):
        template = {entry.msgid for entry in _po("credit_control.pot") if entry.msgid}
        dutch = _po("nl.po")
        translated = {entry.msgid for entry in dutch if entry.msgstr and not entry.obsolete}
        self.assertFalse(template - translated, "msgids without a Dutch translation")

    def test_french_and_belgian_entries_are_all_in_the_template(self):
        # fr.po and nl_BE.po translate a part of the .pot (the customer's texts; what differs in Belgium):
        # each of their msgids must still be one of the .pot, or the translation is stale and never shown
        template = {entry.msgid for entry in _po("credit_control.pot") if entry.msgid}
        for name in ("fr.po", "nl_BE.po"):
            entries = {entry.msgid for entry in _po(name) if entry.msgid and not entry.obsolete}
            self.assertTrue(entries, f"{name} has entries")
            self.assertFalse(entries - template, f"msgids of {name} that the .pot no longer has")
            self.assertFalse([e.msgid for e in _po(name) if e.msgid and not e.msgstr], f"{name}: empty msgstr")

    def test_french_covers_every_customer_template(self):
        french = {entry.msgid for entry in _po("fr.po") if entry.msgstr}
        for entry in _po("credit_control.pot"):
            places = [name for name, _line in entry.occurrences]
            customer = [
                p
                for p in places
                if p.startswith(("model:mail.template,", "model:sms.template,body"))
                and "cfo_report" not in p
                and ",description:" not in p
                and ",name:" not in p
            ]
            if customer:
                self.assertIn(entry.msgid, french, f"{customer[0]} has no French text")

    def test_salesman_reads_the_block_in_dutch(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["nl_NL"], overwrite=True)
        dutch = {entry.msgid: entry.msgstr for entry in _po("nl.po")}
        self.salesman.lang = "nl_NL"
        self.customer.write({"credit_hold": True, "credit_hold_reason": "Cheque geweigerd"})
        order = self._order(self.customer, 100.0, user=self.salesman)
        banner = order.with_user(self.salesman).with_context(lang="nl_NL").credit_block_reason
        # a salesperson reads that the customer is held, not why (the reason is for credit staff)
        expected = dutch["%(customer)s is on credit hold."] % {"customer": self.customer.name}
        self.assertIn(expected, banner)
        self.assertNotIn("Cheque geweigerd", banner)
        self.assertIn(dutch["Ask a credit manager to override the credit block."], banner)
