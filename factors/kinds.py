"""The kinds of flag, spelled once.

They live at the bottom of the app graph because two rooms need them: the
prompt library (`factors.Prompt.applies_to`) and the flag rules and model
(`flags`). Everything else imports them from here.
"""

from django.db import models


class FlagKind(models.TextChoices):
    # value, label. The order is the order of urgency (most urgent first).
    SAFETY = "safety", "Safety alert"
    RUPTURE = "rupture", "Alliance rupture"
    CLIENT_CONCERN = "client_concern", "Client concern"
    OFF_TRACK = "off_track", "Off track"
    FACTOR_DROP = "factor_drop", "Factor drop"
    DISCREPANCY = "discrepancy", "Client rated lower"
    PERSISTENT = "persistent", "Persistent weakness"
    LOW_FACTOR = "low_factor", "Low factor"
    STALLED = "stalled", "Stalled"
    CONTEXT_CHANGE = "context_change", "Context change"


# Higher is more urgent. A safety alert (PHQ-9 item 9 above 0) outranks
# everything; a client concern ranks with an alliance rupture; a client off track
# on a progress measure ranks below those and above every factor flag; a low
# factor rated 1 ranks just above one rated 2 (see flags.rules.Flag.urgency).
URGENCY = {
    FlagKind.SAFETY: 90,
    FlagKind.RUPTURE: 50,
    FlagKind.CLIENT_CONCERN: 50,
    FlagKind.OFF_TRACK: 45,
    FlagKind.FACTOR_DROP: 40,
    FlagKind.DISCREPANCY: 35,
    FlagKind.PERSISTENT: 30,
    FlagKind.LOW_FACTOR: 20,
    FlagKind.STALLED: 15,
    FlagKind.CONTEXT_CHANGE: 10,
}

RELATIONSHIP_DOMAINS = ("therapist", "client")  # the domains an alliance rupture reads
CONTEXT_DOMAIN = "contextual"


def kinds_for_factor(domain: str, asked_of_client: bool) -> list[str]:
    """The kinds of flag that can name a factor of `domain` (stalled names none)."""
    kinds = [FlagKind.LOW_FACTOR, FlagKind.PERSISTENT]
    if domain in RELATIONSHIP_DOMAINS:
        kinds += [FlagKind.RUPTURE, FlagKind.FACTOR_DROP]
    else:
        kinds += [FlagKind.CONTEXT_CHANGE]
    if asked_of_client:
        kinds += [FlagKind.CLIENT_CONCERN, FlagKind.DISCREPANCY]
    return [str(k) for k in kinds]
