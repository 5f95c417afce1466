"""18.0.1.3.0: the *Cancel* button of a follow-up action asks for a reason (``action_cancel_ask_reason``).

The dispute and promise buttons of the action form are placed after it. Their stored views still look for
the old button while the action form is updated before them: point them to the new one first.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_ui_view view
           SET arch_db = (
                   SELECT jsonb_object_agg(
                              arch.key,
                              replace(arch.value, '<button name="action_cancel" position="after">',
                                      '<button name="action_cancel_ask_reason" position="after">')
                          )
                     FROM jsonb_each_text(view.arch_db) arch
               )
          FROM ir_model_data imd
         WHERE imd.module = 'credit_control' AND imd.model = 'ir.ui.view'
           AND imd.name IN ('credit_action_view_form_dispute', 'credit_action_view_form_promise')
           AND view.id = imd.res_id
        """
    )
