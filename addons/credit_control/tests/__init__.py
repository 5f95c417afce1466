from . import (
    test_fee_rules,
    test_followup_fees,
    test_followup_journey,
    test_followup_run,
    test_partner_statistics,
    test_portal_signature,
    test_sale_credit_block,
    test_security,
    test_segment_assignment,
    test_tour_credit_block,
    test_tour_worklist,
    test_translations,
)
