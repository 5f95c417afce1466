from . import credit_override_approve
