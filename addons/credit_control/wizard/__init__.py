from . import credit_action_skip, credit_override_approve
