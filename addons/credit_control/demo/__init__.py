from . import credit_demo_history
