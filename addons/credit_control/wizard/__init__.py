from . import credit_action_skip, credit_agency_export, credit_override_approve
