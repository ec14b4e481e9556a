"""Demo calibration data (called by supervision's seed_demo): a well-calibrated clinician
and one who rates high, each with enough self-reports and observations to clear the
five-session floor (and, for the one who rates high, the ten sessions of the gentle note),
and a few vignette ratings. Idempotent: a session that already has a self-report link or
an observation by the supervisor is left alone; vignette ratings are added once."""

import random

from django.utils import timezone

from calibration.models import Observation, Vignette, VignetteAttempt
from calibration.recording import save_attempt, save_observation
from clients.models import Client
from clients.recording import refresh_flags
from factors.models import Factor
from selfreport.models import Question, SelfReportLink, SelfReportRating

# The latest session of each client is answered by the client, and the one before it for the first
# three: thirteen co-rated sessions or so (few enough answers not to swamp the flag queue).
SELF_REPORTED = {0: 2, 1: 2, 2: 2}
OBSERVED = 1  # the latest session of each client observed by the supervisor
# How much higher the clinician rates than the others, drawn per factor (clinician minus other).
NOTES = {
    "close": "Warm and well paced; I would rate the client's openness a little lower than you did.",
    "high": "The client looked less at ease than your ratings suggest: worth asking them how it is going.",
}
BIAS = {"close": [-1, 0, 0, 0, 0, 1], "high": [1, 1, 2, 1, 1, 2, 1]}


def _clamp(value):
    return min(5, max(1, value))


def seed(clinicians, supervisor):
    """`clinicians` maps a User to "close" or "high"; `supervisor` observes their sessions."""
    questions = [q for q in Question.objects.active() if q.factor_id]
    others = [q for q in Question.objects.active() if not q.factor_id]
    factors = list(Factor.objects.in_form_order())
    for clinician, style in clinicians.items():
        rng = random.Random(f"calibration-{clinician.username}")  # noqa: S311  (demo data, not secrets)
        bias = BIAS[style]
        for index, client in enumerate(Client.objects.filter(clinician=clinician).order_by("label")):
            sessions = list(client.sessions.counted().order_by("-date", "-pk").prefetch_related("ratings__factor"))
            touched = False
            for session in sessions[: SELF_REPORTED.get(index, 1)]:
                if session.self_report_links.exists():
                    continue
                ours = {r.factor.key: r.score for r in session.ratings.all()}
                link, _ = SelfReportLink.create_for(session, clinician)
                link.used_at = timezone.now()
                link.save(update_fields=["used_at"])
                answers = [
                    SelfReportRating(
                        link=link,
                        question=q,
                        score=_clamp(ours[q.key] - rng.choice(bias)) if ours.get(q.key) else rng.choice([3, 4]),
                    )
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
