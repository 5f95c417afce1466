/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from the Python test: a proposed phone call for "Garage Worklist".

registry.category("web_tour.tours").add("credit_control_worklist", {
    steps: () => [
        {
            content: "Today opens on my actions, grouped by collector, my group expanded",
            trigger: ".o_list_view .o_group_header:contains(tour_collector)",
        },
        {
            content: "Today's worklist shows the proposed call",
            trigger: ".o_list_view .o_data_row:contains(Garage Worklist):contains(Phone Call)",
        },
        {
            content: "Approve it",
            trigger: ".o_data_row:contains(Garage Worklist) button[name=action_approve]",
            run: "click",
        },
        {
            content: "Approving says so",
            trigger: ".o_notification:contains(approved)",
        },
        {
            content: "The approved call stays on the worklist until it is logged",
            trigger: ".o_data_row:contains(Garage Worklist):not(:has(button[name=action_approve])) button[name=action_log_call]",
        },
    ],
});
