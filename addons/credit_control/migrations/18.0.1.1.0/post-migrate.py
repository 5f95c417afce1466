"""18.0.1.1.0: the daily run moved from res.partner to credit.followup.run; items remember their level's date.

The cron record ``credit_control.ir_cron_credit_followup`` is ``noupdate``: repoint its model and code here.
The items followed up before get the day their current level was executed (or skipped), so that the next
level waits for the gap between the levels from then on.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_act_server act
           SET model_id = model.id, model_name = 'credit.followup.run', code = 'model._cron_credit_followup()'
          FROM ir_cron cron, ir_model_data imd, ir_model model
         WHERE imd.module = 'credit_control' AND imd.name = 'ir_cron_credit_followup' AND imd.model = 'ir.cron'
           AND cron.id = imd.res_id AND act.id = cron.ir_actions_server_id
           AND model.model = 'credit.followup.run'
        """
    )
    cr.execute(
        """
        UPDATE account_move_line aml
           SET credit_level_date = stepped.day
          FROM (SELECT rel.line_id, act.level_id, MAX(GREATEST(act.date, act.executed_on::date)) AS day
                  FROM credit_action_account_move_line_rel rel
                  JOIN credit_action act ON act.id = rel.action_id
                 WHERE act.state IN ('done', 'skipped')
              GROUP BY rel.line_id, act.level_id) stepped
         WHERE stepped.line_id = aml.id
           AND stepped.level_id = aml.credit_level_id
           AND aml.credit_level_date IS NULL
        """
    )
