"""Fill TherapySession.client_pairs / client_difference (clients 0009) for the sessions
answered before they existed: the clinician's ratings beside the answers of the latest
answered link, as clients.recording keeps them from now on. The rule is written out
here (not imported) so that this migration keeps meaning what it meant."""

from django.db import migrations


def fill(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    TherapySession = apps.get_model("clients", "TherapySession")
    Rating = apps.get_model("clients", "Rating")
    SelfReportRating = apps.get_model("selfreport", "SelfReportRating")
    answers = (
        SelfReportRating.objects.using(alias)
        .filter(link__used_at__isnull=False, link__session__voided_at__isnull=True)
        .order_by("link__session_id", "link__used_at", "link_id")
        .values_list("link__session_id", "link_id", "question__key", "score")
    )
    theirs, latest = {}, {}
    for session_id, link_id, key, score in answers.iterator(chunk_size=5000):
        if latest.get(session_id) != link_id:  # a later answered link replaces the earlier
            latest[session_id], theirs[session_id] = link_id, {}
        theirs[session_id][key] = score
    sessions = list(theirs)
    for start in range(0, len(sessions), 1000):
        batch = sessions[start : start + 1000]
        mine = {}
        rows = Rating.objects.using(alias).filter(session_id__in=batch, score__isnull=False)
        for session_id, key, score in rows.values_list("session_id", "factor__key", "score"):
            mine.setdefault(session_id, {})[key] = score
        for session_id in batch:
            both = [
                (score, theirs[session_id][key])
                for key, score in mine.get(session_id, {}).items()
                if theirs[session_id].get(key) is not None
            ]
            if both:
                TherapySession.objects.using(alias).filter(pk=session_id).update(
                    client_pairs=len(both), client_difference=sum(a - b for a, b in both)
                )


class Migration(migrations.Migration):
    dependencies = [
        ("selfreport", "0006_link_closed_at"),
        ("clients", "0009_session_co_rating"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
