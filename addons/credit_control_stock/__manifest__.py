{
    "name": "Credit Control: Delivery Block",
    "summary": "No delivery to a customer on credit hold (or, per company, over its limit or overdue); "
    "a credit manager releases one delivery with a reason",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "credit_control team",
    "website": "https://github.com/credit-control/credit_control",
    "license": "LGPL-3",
    "depends": ["credit_control", "stock"],
    "data": [
        "security/ir.model.access.csv",
        "wizard/credit_delivery_release_views.xml",
        "views/stock_picking_views.xml",
        "views/credit_override_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/credit_control_stock_demo.xml"],
    "auto_install": True,
}
