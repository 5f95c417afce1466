/** @odoo-module **/

import { registry } from "@web/core/registry";

// Data comes from tests/test_portal_credit.py: a portal user of "Fietsenwinkel Portaal" with two
// open invoices, one of them overdue.

registry.category("web_tour.tours").add("credit_portal_dispute", {
    url: "/my/credit",
    steps: () => [
        {
            content: "The page shows what is owed",
            trigger: ".o_credit_total:contains(1,250.00)",
        },
        {
            content: "Dispute the overdue invoice",
            trigger: "tr.o_credit_invoice:first-child .o_credit_dispute_open",
            run: "click",
        },
        {
            content: "Choose a reason",
            trigger: ".modal.show select[name=reason_id]",
            run: "selectByLabel Wrong quantity invoiced",
        },
        {
            content: "Explain",
            trigger: ".modal.show textarea[name=comment]",
            run: "edit We received 8 wheels, not 10.",
        },
        {
            content: "Send",
            trigger: ".modal.show .o_credit_dispute_submit",
            run: "click",
        },
        {
            content: "The dispute page shows the explanation",
            trigger: ".o_credit_dispute:contains(We received 8 wheels, not 10.)",
        },
        {
            // wait for the conversation to load: ending the tour while it loads fails its fetch ("Failed to fetch")
            content: "The conversation shows the explanation",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(We received 8 wheels, not 10.)",
        },
    ],
});

registry.category("web_tour.tours").add("credit_portal_promise", {
    url: "/my/credit",
    steps: () => [
        {
            content: "Open the promise form",
            trigger: ".o_credit_promise_open",
            run: "click",
        },
        {
            content: "Only the first invoice: untick the second",
            trigger: ".modal.show .form-check:nth-of-type(2) input[name=invoice_ids]",
            run: "click",
        },
        {
            content: "Pay in ten days",
            trigger: ".modal.show input[name=date]",
            run: function () {
                const inTenDays = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
                this.anchor.value = inTenDays;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Promise",
            trigger: ".modal.show .o_credit_promise_submit",
            run: "click",
        },
        {
            content: "Thanked",
            trigger: ".o_credit_message",
        },
        {
            content: "The promise is listed",
            trigger: ".o_credit_promises li",
        },
    ],
});

registry.category("web_tour.tours").add("credit_portal_plan", {
    url: "/my/credit",
    steps: () => [
        {
            content: "Open the payment plan form",
            trigger: ".o_credit_plan_open",
            run: "click",
        },
        {
            content: "Three installments",
            trigger: ".modal.show input[name=installment_count]",
            run: "edit 3",
        },
        {
            content: "Ask for the plan",
            trigger: ".modal.show .o_credit_plan_submit",
            run: "click",
        },
        {
            content: "The plan page shows the schedule",
            trigger: ".o_credit_schedule tbody tr:eq(2)",
        },
        {
            // let the conversation load: ending the tour while it loads fails its fetch ("Failed to fetch")
            content: "The conversation is shown",
            trigger: "#chatterRoot:shadow .o-mail-Thread",
            run: () => new Promise((resolve) => setTimeout(resolve, 1000)),
        },
    ],
});

// Data comes from tests/test_trust_portal.py: an approved payment plan of the portal user's customer.
registry.category("web_tour.tours").add("credit_portal_plan_agreement", {
    url: "/my/payment_plans",
    steps: () => [
        {
            content: "Open the payment plan",
            trigger: "a[href^='/my/payment_plans/']",
            run: "click",
        },
        {
            content: "The plan page shows the schedule",
            trigger: ".o_credit_schedule tbody tr:eq(1)",
        },
        {
            content: "Download the agreement to sign it",
            trigger: "a.o_credit_plan_agreement",
            run: async function () {
                const response = await fetch(this.anchor.href);
                const type = response.headers.get("Content-Type") || "";
                const disposition = response.headers.get("Content-Disposition") || "";
                if (!response.ok || !type.includes("pdf") || !disposition.includes("attachment")) {
                    throw new Error(`The agreement did not download: ${response.status} ${type} ${disposition}`);
                }
                document.body.classList.add("o_credit_agreement_downloaded");
            },
        },
        {
            content: "The agreement was downloaded",
            trigger: "body.o_credit_agreement_downloaded",
        },
        {
            content: "The conversation is shown",
            trigger: "#chatterRoot:shadow .o-mail-Thread",
            run: () => new Promise((resolve) => setTimeout(resolve, 1000)),
        },
    ],
});
