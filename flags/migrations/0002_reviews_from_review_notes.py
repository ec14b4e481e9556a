"""Carry the supervisors' "reviewed" marks over from review notes to flag reviews.

v1 kept them on ReviewNote as a key "kind:factor:since"; a flag's identity is
now its kind, the session that opened it and (for a flag about one factor)
that factor. The opening session is the client's session on the `since` date.
The flags themselves are derived: `manage.py refresh_flags` rebuilds them.
"""

from datetime import date

from django.db import migrations

FACTOR_KINDS = {"low_factor", "persistent", "discrepancy"}


def carry_over(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    ReviewNote = apps.get_model("supervision", "ReviewNote")
    TherapySession = apps.get_model("clients", "TherapySession")
    FlagReview = apps.get_model("flags", "FlagReview")
    for note in ReviewNote.objects.using(alias).filter(marks_reviewed=True).exclude(flag_key=""):
        parts = note.flag_key.split(":")
        kind, since = parts[0], parts[-1]
        factor = parts[1] if len(parts) == 3 else ""
        try:
            day = date.fromisoformat(since)
        except ValueError:
            continue
        if kind == "stalled":
            key = f"stalled:{day.isoformat()}"
        else:
            session = (
                TherapySession.objects.using(alias).filter(client_id=note.client_id, date=day).order_by("pk").first()
            )
            if session is None:
                continue
            key = f"{kind}:{session.pk}:{factor if kind in FACTOR_KINDS else ''}"
        review, created = FlagReview.objects.using(alias).get_or_create(
            client_id=note.client_id,
            key=key,
            action="reviewed",
            defaults={"kind": kind, "since": day, "by_id": note.author_id, "note": note.text[:2000]},
        )
        if created:
            FlagReview.objects.using(alias).filter(pk=review.pk).update(at=note.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("flags", "0001_initial"),
        ("supervision", "0001_initial"),
        ("clients", "0006_client_interval_and_flags_moved"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
