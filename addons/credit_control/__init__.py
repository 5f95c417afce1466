from . import controllers, demo, models, report, wizard


def _post_init_hook(env):
    """With the demo data: the demo's first follow-up run, made here because Odoo loads a module's translations
    after its demo data and before this hook (``odoo.modules.loading.load_module_graph``). The reminders of
    that run are rendered in each customer's language, which needs the customers' translations loaded."""
    if env.ref("credit_control.user_mulder_portal_demo", raise_if_not_found=False):
        env["credit.followup.run"]._cron_credit_followup()
