from . import credit_aging_report, credit_cashin_forecast, credit_cfo_report, credit_dossier, credit_reports
