from . import (
    account_move,
    account_move_line,
    account_partial_reconcile,
    credit_override,
    credit_segment,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
)
