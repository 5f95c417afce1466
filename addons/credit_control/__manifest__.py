{
    "name": "Credit Control",
    "summary": "Credit management and order-to-cash: customer credit profiles, "
    "segments, exposure, credit hold and credit blocks on sale orders",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "credit_control team",
    "website": "https://github.com/credit-control/credit_control",
    "license": "LGPL-3",
    "depends": ["account", "sale", "mail"],
    "data": [
        "security/credit_control_security.xml",
        "security/ir.model.access.csv",
        "data/ir_default_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/credit_policy_data.xml",
        "views/credit_policy_views.xml",
        "views/credit_action_views.xml",
        "views/credit_segment_views.xml",
        "views/credit_override_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/res_config_settings_views.xml",
        "views/account_move_views.xml",
        "wizard/credit_override_approve_views.xml",
        "wizard/credit_action_skip_views.xml",
        "report/credit_reports.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/credit_control_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "credit_control/static/tests/tours/*.js",
        ],
    },
}
