"""18.0.1.5.0: the steps of the items (``credit.followup.step``) keep plain ids, without foreign keys.

Odoo adds the foreign keys of new many2one fields but does not drop those of fields that are no longer
many2one: drop them here, with their records of the module's constraints, and the steps of the days before
yesterday (the daily plan removes them from now on, see ``credit.followup.step._prune``).
"""

from odoo.tools.sql import drop_constraint


def migrate(cr, version):
    cr.execute(
        """
        SELECT con.conname
          FROM pg_constraint con
          JOIN pg_class tbl ON tbl.oid = con.conrelid
         WHERE tbl.relname = 'credit_followup_step' AND con.contype = 'f'
        """
    )
    names = [name for (name,) in cr.fetchall()]
    for name in names:
        drop_constraint(cr, "credit_followup_step", name)
    if names:
        cr.execute("DELETE FROM ir_model_constraint WHERE type = 'f' AND name = ANY(%s)", [names])
    cr.execute("DELETE FROM credit_followup_step WHERE date < CURRENT_DATE - 1")
