"""Calibration after review (issue 15, second pass): vignette results show the blind first
attempt, wording of a mean near zero, session as the unit, counts, stored references, audit.

Named users as in tests/test_calibration.py: the owner and a colleague in one team under its
supervisor; an outsider supervisor elsewhere."""

from django.urls import reverse

from calibration.models import Vignette
from calibration.recording import save_attempt
from factors.models import Factor
from tests.test_calibration import team  # noqa: F401  (fixture)


def rate(vignette, who, offset):
    """An attempt `offset` points from each reference rating (clamped to 1-5)."""
    reference = {r.factor_id: r.rating for r in vignette.references.all()}
    ratings = {
        f: (min(5, max(1, reference[f.pk] + offset)) if reference.get(f.pk) else None) for f in Factor.objects.all()
    }
    return save_attempt(vignette, who, ratings)


def test_the_supervisor_sees_the_blind_first_attempt_not_a_perfect_second(client, team):  # noqa: F811
    vignette = Vignette.objects.active().exclude(theme="A strong alliance").first()
    first = rate(vignette, team["owner"], -2)
    rate(vignette, team["owner"], 0)  # after seeing the reference: all twelve match
    reference = {x.factor_id: x.rating for x in vignette.references.all()}
    first_exact = sum(1 for r in first.ratings.all() if r.rating is not None and r.rating == reference[r.factor_id])
    client.force_login(team["supervisor"])
    body = client.get(reverse("calibration_team")).content.decode()
    compared = sum(1 for r in vignette.references.all() if r.rating)
    assert f"{first_exact}/{compared}" in body
    assert f"after seeing the reference: {compared}/{compared}" in body
    summary = client.get(reverse("calibration_clinician", args=[team["owner"].pk])).content.decode()
    assert f"<strong>{first_exact} of {compared}</strong>" in summary
    assert "after seeing the reference" in summary
    client.force_login(team["owner"])
    own = client.get(reverse("vignette", args=[vignette.pk])).content.decode()
    assert "after seeing the reference" in own
    assert "Your first rating, made blind" in own
