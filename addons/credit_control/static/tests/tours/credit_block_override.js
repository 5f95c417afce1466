/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from the Python test: a quotation of a customer on credit hold.

registry.category("web_tour.tours").add("credit_control_block_banner", {
    steps: () => [
        {
            content: "The salesperson sees that the quotation is blocked before confirming, not the hold's reason",
            trigger: ".o_form_view div[name=credit_block_banner]:contains(is on credit hold.):not(:contains(Cheque bounced twice))",
        },
        {
            content: "No override button for a salesperson",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_credit_override]))",
        },
        {
            content: "Confirm anyway",
            trigger: ".o_form_statusbar button[name=action_confirm]:visible:first",
            run: "click",
        },
        {
            content: "The server refuses with the reason",
            trigger: ".modal .modal-body:contains(Ask a credit manager to override the credit block)",
        },
        {
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Quotation)",
        },
    ],
});

registry.category("web_tour.tours").add("credit_control_override", {
    steps: () => [
        {
            trigger: ".o_form_view div[name=credit_block_banner]:contains(is on credit hold)",
        },
        {
            content: "The credit manager overrides the block",
            trigger: ".o_form_statusbar button[name=action_credit_override]",
            run: "click",
        },
        {
            trigger: ".modal div[name=block_message]:contains(Cheque bounced twice)",
        },
        {
            content: "A reason is required",
            trigger: ".modal div[name=reason] textarea",
            run: "edit Director approved: prepayment received",
        },
        {
            trigger: ".modal button[name=action_approve]",
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Sales Order)",
        },
        {
            trigger: ".o-mail-Message:contains(Credit block overridden)",
        },
    ],
});
