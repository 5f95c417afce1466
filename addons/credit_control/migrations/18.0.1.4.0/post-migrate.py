"""18.0.1.4.0: the Belgian consumer policy's first reminder gets its own template.

Book XIX of the Code of Economic Law: the first reminder to a consumer is free and gives at least 14 calendar
days to pay (from the third working day after it was sent). The shared first reminder asked for payment
within 7 days. The shipped policies are ``noupdate``: repoint the shipped level if it still uses the shared
template; a level a user changed keeps what the user chose.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    level = env.ref("credit_control.credit_policy_be_consumer_level_1", raise_if_not_found=False)
    shared = env.ref("credit_control.mail_template_credit_first", raise_if_not_found=False)
    template = env.ref("credit_control.mail_template_credit_be_first", raise_if_not_found=False)
    if level and shared and template and level.mail_template_id == shared:
        level.mail_template_id = template
