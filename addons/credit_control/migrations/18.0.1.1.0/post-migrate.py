"""18.0.1.1.0: the daily run moved from res.partner to credit.followup.run.

The cron record ``credit_control.ir_cron_credit_followup`` is ``noupdate``: repoint its model and code here.
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
