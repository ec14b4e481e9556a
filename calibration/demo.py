"""Demo calibration data (called by supervision's seed_demo): a well-calibrated clinician
and one who rates high, each with enough self-reports and observations to clear the
five-session floor (and, for the one who rates high, the ten sessions of the gentle note),
and a few vignette ratings. Idempotent: a session that already has a self-report link or
an observation by the supervisor is left alone; vignette ratings are added once."""

import random
from datetime import timedelta

from django.utils import timezone

from calibration.models import Observation, Vignette, VignetteAttempt
from calibration.recording import save_attempt, save_observation
from clients.models import Client
from clients.recording import refresh_flags
from factors.models import Factor
from selfreport.models import Question, SelfReportLink, SelfReportRating

# Self-reports: the latest three sessions of the four clients with the most sessions (twelve
# co-rated sessions, enough for the gentle note's ten). Few clients and, for the clinician who
# rates high, a latest answer that closes what the earlier ones opened: the demo's flag queue
# shows the calibration story without a wall of client-concern and discrepancy flags.
SELF_REPORTING_CLIENTS = 4
SELF_REPORTED = 3
OBSERVED = 1  # the latest session of each client observed by the supervisor
# How much higher the clinician rates than the others, drawn per factor (clinician minus other).
NOTES = {
    "close": "Warm and well paced; I would rate the client's openness a little lower than you did.",
    "high": "The client looked less at ease than your ratings suggest: worth asking them how it is going.",
}
BIAS = {"close": [-1, 0, 0, 0, 0, 1], "high": [1, 2, 2, 1, 2, 1]}
# The clinician who rates high: in the earlier self-reports the client answers one or two points
# lower (a concern or a "client rated lower" flag may open); in the latest, one point lower but
# never below 3, so those flags close as they would once the clinician asks and the client says more.
CONCERN_MAX = 2


def _clamp(value):
    return min(5, max(1, value))


def _answer(ours, style, latest, rng):
    """The client's own answer about a factor the clinician rated `ours` (None: not rated)."""
    if not ours:
        return rng.choice([3, 4])
    if style == "high" and latest:
        return max(ours - 1, CONCERN_MAX + 1) if ours > CONCERN_MAX + 1 else ours
    return _clamp(ours - rng.choice(BIAS[style]))


def seed(clinicians, supervisor):
    """`clinicians` maps a User to "close" or "high"; `supervisor` observes their sessions."""
    questions = [q for q in Question.objects.active() if q.factor_id]
    others = [q for q in Question.objects.active() if not q.factor_id]
    factors = list(Factor.objects.in_form_order())
    for clinician, style in clinicians.items():
        rng = random.Random(f"calibration-{clinician.username}")  # noqa: S311  (demo data, not secrets)
        bias = BIAS[style]
        clients = sorted(
            Client.objects.filter(clinician=clinician).order_by("label"), key=lambda c: -c.sessions.counted().count()
        )
        reporting = {c.pk for c in clients[:SELF_REPORTING_CLIENTS]}
        for client in clients:
            sessions = list(client.sessions.counted().order_by("-date", "-pk").prefetch_related("ratings__factor"))
            touched = False
            for position, session in enumerate(sessions[:SELF_REPORTED] if client.pk in reporting else []):
                if session.self_report_links.exists():
                    continue
                ours = {r.factor.key: r.score for r in session.ratings.all()}
                link, _ = SelfReportLink.create_for(session, clinician)
                link.used_at = timezone.now() - timedelta(minutes=position)  # the latest session's link last
                link.save(update_fields=["used_at"])
                answers = [
                    SelfReportRating(link=link, question=q, score=_answer(ours.get(q.key), style, position == 0, rng))
                    for q in questions
                ]
                answers += [SelfReportRating(link=link, question=q, score=4) for q in others]
                SelfReportRating.objects.bulk_create(answers)
                touched = True
            if touched:
                refresh_flags(client)
            for session in sessions[:OBSERVED]:
                if Observation.objects.filter(session=session, observer=supervisor).exists():
                    continue
                ours = {r.factor_id: r.score for r in session.ratings.all()}
                ratings = {f: _clamp(ours[f.pk] - rng.choice(bias)) if ours.get(f.pk) else None for f in factors}
                note = NOTES[style]
                save_observation(session, supervisor, note, ratings)
        if not VignetteAttempt.objects.filter(clinician=clinician).exists():
            for vignette in Vignette.objects.active().prefetch_related("references__factor")[:3]:
                reference = {r.factor_id: r.rating for r in vignette.references.all()}
                ratings = {
                    f: _clamp(reference[f.pk] + rng.choice(bias)) if reference.get(f.pk) else None for f in factors
                }
                save_attempt(vignette, clinician, ratings)
