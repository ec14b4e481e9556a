"""Export all clinical data to JSON, or import such a file back.

    manage.py clinical_data export backup.json
    manage.py clinical_data import backup.json

Covers clients, sessions, ratings, flags, prompts tried and review notes,
with their primary keys; users and factors are referred to by username and
factor key and must exist where the file is imported. Import is all or
nothing and refuses to overwrite existing rows. Both directions are audited.
"""

import datetime
from pathlib import Path

from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from audit import log
from clients.models import Client, Flag, PromptTrial, Rating, TherapySession
from supervision.models import ReviewNote

MODELS = [Client, TherapySession, Rating, Flag, PromptTrial, ReviewNote]  # in dependency order


class ExactJSONEncoder(DjangoJSONEncoder):
    """Keeps datetimes to the microsecond (Django's encoder cuts them to milliseconds,
    so a restore would not give back the same values)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


def export_json() -> str:
    querysets = [model.objects.order_by("pk") for model in MODELS]
    objects = [obj for qs in querysets for obj in qs.iterator()]
    return serializers.serialize("json", objects, indent=1, use_natural_foreign_keys=True, cls=ExactJSONEncoder)


class Command(BaseCommand):
    help = "Export or import all clinical data as JSON (backup and restore)."

    def add_arguments(self, parser):
        parser.add_argument("direction", choices=["export", "import"])
        parser.add_argument("path", type=Path)

    def handle(self, direction, path, **options):
        with log.acting_as(f"command:clinical_data {direction}"):
            if direction == "export":
                path.write_text(export_json(), encoding="utf-8")
                counts = {m._meta.label_lower: m.objects.count() for m in MODELS}
                log.record(log.Action.EXPORT, object_type="clinical_data", changes=counts)
                self.stdout.write(f"Exported {sum(counts.values())} rows to {path}: {counts}")
            else:
                self._import(path)

    @transaction.atomic
    def _import(self, path):
        try:
            objects = list(serializers.deserialize("json", path.read_text(encoding="utf-8")))
        except (OSError, serializers.base.DeserializationError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        for wrapped in objects:
            model = type(wrapped.object)
            if model not in MODELS:
                raise CommandError(f"{model._meta.label} is not clinical data; refusing the file.")
            if model.objects.filter(pk=wrapped.object.pk).exists():
                raise CommandError(
                    f"{model._meta.label} {wrapped.object.pk} already exists; import into an empty store."
                )
            wrapped.save()  # raw save: model signals skip it, so it is audited below
        log.record_many([log.event(log.Action.CREATE, w.object, changes={"restored": True}) for w in objects])
        self.stdout.write(f"Imported {len(objects)} rows from {path}.")
