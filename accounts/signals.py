"""Signals accounts sends for the audit trail to record (audit sits above accounts,
so accounts never imports it; audit.receivers listens)."""

from django.dispatch import Signal

# Sent with: user (whose second factor), request, event (one of EVENTS), actor (who did
# it, when not the user: an administrator's reset) and details (a dict for the row).
second_factor_changed = Signal()

ENROLLED = "enrolled"
RESET = "reset"
RECOVERY_CODES_RENEWED = "recovery codes renewed"
RECOVERY_CODE_USED = "recovery code used"
ENROLMENT_CODE_FAILED = "wrong code at enrolment"
EVENTS = (ENROLLED, RESET, RECOVERY_CODES_RENEWED, RECOVERY_CODE_USED, ENROLMENT_CODE_FAILED)
