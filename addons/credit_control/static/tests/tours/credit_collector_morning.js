/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from tests/test_day_one_control.py (TestCollectorMorningTour): a proposed reminder email for
// "Garage Ochtendmail" and a proposed call to "Garage Ochtendbel", both mine; another collector's action; the
// payment check of a promise of "Autobedrijf Belofte" due today, mine.

registry.category("web_tour.tours").add("credit_control_collector_morning", {
    steps: () => [
        {
            content: "Today opens on my actions, my group expanded",
            trigger: ".o_list_view .o_data_row:contains(Garage Ochtendmail):contains(Morning Reminder)",
        },
        {
            content: "Another collector's action is not on my day",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Garage Anderman)))",
        },
        {
            content: "The call shows the number to dial",
            trigger: ".o_data_row:contains(Garage Ochtendbel) [name=recipient_phone]:contains(+31 30 765 4321)",
        },
        {
            content: "Preview the reminder",
            trigger: ".o_data_row:contains(Garage Ochtendmail) button[name=action_preview]",
            run: "click",
        },
        {
            content: "The preview shows the invoice PDF it will attach",
            trigger: ".modal [name=attachment_ids]",
        },
        {
            content: "Edit the subject",
            trigger: ".modal [name=subject] input",
            run: "edit Afgesproken: betaling deze week",
        },
        {
            content: "Edit the body",
            trigger: ".modal [name=body_html] .odoo-editor-editable p:first",
            run: "editor Beste klant, zoals telefonisch afgesproken.",
        },
        {
            content: "Send it",
            trigger: ".modal-footer button[name=action_send]",
            run: "click",
        },
        {
            content: "Sending says so",
            trigger: ".o_notification:contains(Reminder sent)",
        },
        {
            content: "The sent reminder leaves the worklist",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Garage Ochtendmail)))",
        },
        {
            content: "Log the call",
            trigger: ".o_data_row:contains(Garage Ochtendbel) button[name=action_log_call]",
            run: "click",
        },
        {
            content: "The customer was reached",
            trigger: ".modal [name=outcome] input[data-value=reached]",
            run: "click",
        },
        {
            content: "Note what was said",
            trigger: ".modal [name=note] textarea",
            run: "edit Betaalt vrijdag",
        },
        {
            content: "Log it",
            trigger: ".modal-footer button[name=action_log]",
            run: "click",
        },
        {
            content: "Logging says so",
            trigger: ".o_notification:contains(Call logged)",
        },
        {
            content: "The logged call leaves the worklist",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Garage Ochtendbel)))",
        },
        {
            content: "The promise due today is on the same list",
            trigger: ".o_data_row:contains(Autobedrijf Belofte):contains(check the payment)",
        },
        {
            content: "Open its promise",
            trigger: ".o_data_row:contains(Autobedrijf Belofte) button[name=action_open_promise]",
            run: "click",
        },
        {
            content: "The promise's form",
            trigger: ".o_form_view .o_field_widget[name=date]",
        },
        {
            content: "Back to Today",
            trigger: ".o_breadcrumb .breadcrumb-item:contains(Today)",
            run: "click",
        },
        {
            content: "The payment is checked: approve",
            trigger: ".o_data_row:contains(Autobedrijf Belofte) button[name=action_approve]",
            run: "click",
        },
        {
            content: "Approving says so",
            trigger: ".o_notification:contains(1 action(s) approved)",
        },
        {
            content: "The checked promise leaves the worklist",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Autobedrijf Belofte)))",
        },
    ],
});
