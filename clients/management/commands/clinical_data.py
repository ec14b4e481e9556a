"""Back up everything the app stores to JSON, or restore such a file on a new server.

    manage.py clinical_data export backup.json [--database ALIAS]
    manage.py clinical_data import backup.json [--database ALIAS]

What the backup covers and what it leaves out, with the reasons:
alliance/datamap.py. How it exports and restores: alliance/backup.py. How to
restore on a new server: docs/architecture.md, "Backup and restore". Both
directions are audited.
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from alliance import backup
from audit import log


class Command(BaseCommand):
    help = "Export everything the app stores as JSON (backup), or import such a file into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("direction", choices=["export", "import"])
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default).")

    def handle(self, direction, path, database, **options):
        with log.acting_as(f"command:clinical_data {direction}"):
            if direction == "export":
                self._export(path, database)
            else:
                self._import(path, database)

    def _export(self, path, database):
        # Owner-only from the start: the file holds every record and every password hash.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
        with open(descriptor, "w", encoding="utf-8") as stream:
            counts = backup.export(stream, database)
        log.record(log.Action.EXPORT, object_type="clinical_data", changes=counts, using=database)
        self.stdout.write(f"Exported {sum(counts.values())} rows to {path}: {counts}")

    def _import(self, path, database):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            counts = backup.restore(text, using=database, source=path.name)
        except backup.RestoreError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Imported {sum(counts.values())} rows from {path}: {counts}")
