from . import (
    credit_aging_report,
    credit_aging_report_insurance,
    credit_cashin_forecast,
    credit_cfo_report,
    credit_cfo_report_insurance,
    credit_cfo_report_provision,
    credit_dossier,
    credit_insurance_notification,
    credit_reports,
    credit_vat_relief,
)
