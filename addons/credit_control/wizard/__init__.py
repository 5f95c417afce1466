from . import (
    credit_action_call,
    credit_action_preview,
    credit_action_skip,
    credit_agency_export,
    credit_cfo_report_print,
    credit_dispute_reject,
    credit_kpi_compute,
    credit_limit_change,
    credit_override_approve,
    credit_prediction_backtest,
    credit_rating_import,
    credit_rating_import_line,
)
