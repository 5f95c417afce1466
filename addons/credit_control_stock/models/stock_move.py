from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        # every validation path ends here (button, backorder wizard, batch transfers, RPC, other modules)
        self.picking_id._credit_check_delivery()
        return super()._action_done(cancel_backorder=cancel_backorder)
