"""18.0.1.3.0: one template per follow-up level, and letter levels get an editable letter template.

The shipped policies are ``noupdate``: the update creates the new templates (``data/mail_template_data.xml``)
but leaves the levels alone. Repoint the shipped email levels that still use the old shared reminder, and
give the shipped letter levels that still print the fixed text their letter template. A level a user
changed keeps what the user chose.
"""

from odoo import SUPERUSER_ID, api

EMAIL_LEVELS = {
    "credit_policy_b2b_level_1": "mail_template_credit_first",
    "credit_policy_b2b_level_2": "mail_template_credit_second",
    "credit_policy_structurally_late_level_1": "mail_template_credit_friendly",
    "credit_policy_nl_consumer_level_1": "mail_template_credit_first",
    "credit_policy_be_consumer_level_1": "mail_template_credit_first",
}
LETTER_LEVELS = {
    "credit_policy_nl_consumer_level_2": "mail_template_credit_fourteen_day",
    "credit_policy_nl_consumer_level_3": "mail_template_credit_final",
    "credit_policy_be_consumer_level_2": "mail_template_credit_second",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    shared = env.ref("credit_control.mail_template_credit_reminder", raise_if_not_found=False)

    def record(xmlid):
        return env.ref(f"credit_control.{xmlid}", raise_if_not_found=False)

    for level_xmlid, template_xmlid in EMAIL_LEVELS.items():
        level, template = record(level_xmlid), record(template_xmlid)
        if level and template and shared and level.mail_template_id == shared:
            level.mail_template_id = template
    for level_xmlid, template_xmlid in LETTER_LEVELS.items():
        level, template = record(level_xmlid), record(template_xmlid)
        if level and template and level.action_type == "letter" and not level.letter_template_id:
            level.letter_template_id = template
