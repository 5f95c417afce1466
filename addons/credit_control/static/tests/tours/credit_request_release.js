/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from tests/test_tour_request_release.py (TestRequestReleaseTour): a quotation of the salesperson
// for a customer on credit hold.

registry.category("web_tour.tours").add("credit_control_request_release", {
    steps: () => [
        {
            content: "The salesperson sees that the quotation is blocked, not the hold's reason",
            trigger: ".o_form_view div[name=credit_block_banner]:contains(is on credit hold.):not(:contains(Betalingsachterstand))",
        },
        {
            content: "Ask the credit manager to release the order",
            trigger: ".o_form_statusbar button[name=action_credit_request_release]",
            run: "click",
        },
        {
            content: "Asking says so",
            trigger: ".o_notification:contains(The credit managers were asked to release the order)",
        },
        {
            content: "The request is in the order's history",
            trigger: ".o-mail-Message:contains(asked the credit managers to release this order)",
        },
    ],
});
