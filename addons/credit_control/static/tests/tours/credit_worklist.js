/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from the Python test: a proposed phone call for "Garage Worklist".

registry.category("web_tour.tours").add("credit_control_worklist", {
    steps: () => [
        {
            content: "The worklist is grouped by collector: open my group",
            trigger: ".o_list_view .o_group_header:contains(tour_collector)",
            run: "click",
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
            content: "Approved actions leave the worklist",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Garage Worklist)))",
        },
    ],
});
