from . import credit_demo_history, credit_reply_demo
