from . import credit_override, res_company, res_config_settings, stock_move, stock_picking
