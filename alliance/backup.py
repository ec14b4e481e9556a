"""Backup and restore of everything the app stores (alliance.datamap says what), as JSON.

The export writes every backed-up row with its primary key, the audit trail
included, in one consistent snapshot. References to users, factors, groups
and permissions are written as natural keys (username, factor key, group
name, permission codename), so they resolve on any server.

The import goes into a freshly migrated, empty database: it refuses a file
with rows of a model the backup does not cover, and a database that already
holds rows of a backed-up table (the rows migrations seed aside, which the
backup's copy overwrites). It is all or nothing, checks every foreign key
before it commits, then moves every table's id sequence past the restored ids
so that new records can be created at once, and audits itself.
"""

import datetime
import json
from collections import Counter
from io import StringIO
from itertools import islice

from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from alliance import datamap
from audit import log

CHUNK = 2000


class RestoreError(Exception):
    """The file or the target database is not fit for a restore; nothing was written."""


class ExactJSONEncoder(DjangoJSONEncoder):
    """Keeps datetimes to the microsecond (Django's encoder cuts them to milliseconds,
    so a restore would not give back the same values)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


def export(stream, using=DEFAULT_DB_ALIAS):
    """Write the backup of database `using` to the text stream; returns {model label: rows}."""
    connection = connections[using]
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    counts = {}
    with transaction.atomic(using=using):
        if snapshot:  # one consistent view of every table, however long the export takes
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        stream.write("[")
        separator = "\n"
        for model in datamap.backed_up_models():
            rows = model._base_manager.using(using).order_by("pk").iterator(chunk_size=CHUNK)
            counts[datamap.label(model)] = 0
            while chunk := list(islice(rows, CHUNK)):
                for record in serializers.serialize(
                    "python",
                    chunk,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=datamap.uses_natural_primary_key(model),
                ):
                    stream.write(separator + json.dumps(record, cls=ExactJSONEncoder, ensure_ascii=False))
                    separator = ",\n"
                counts[datamap.label(model)] += len(chunk)
        stream.write("\n]\n")
    return counts


def export_json(using=DEFAULT_DB_ALIAS):
    """The backup as a string (for tests and small databases)."""
    buffer = StringIO()
    export(buffer, using)
    return buffer.getvalue()


def restore(text, using=DEFAULT_DB_ALIAS, source=""):
    """Restore a backup into the empty database `using`; returns {model label: rows}."""
    covered = {datamap.label(m): m for m in datamap.backed_up_models()}
    connection = connections[using]
    counts = Counter()
    client_ids = []
    with transaction.atomic(using=using), log.restoring():
        _refuse_unless_empty(covered.values(), using)
        deferred = []
        try:
            for wrapped in serializers.deserialize("json", text, using=using, handle_forward_references=True):
                name = datamap.label(type(wrapped.object))
                if name not in covered:
                    raise RestoreError(
                        f"{type(wrapped.object)._meta.label} is not part of the backup; refusing the file."
                    )
                wrapped.save(using=using)  # raw: model signals skip it; audited below
                if wrapped.deferred_fields:
                    deferred.append(wrapped)
                counts[name] += 1
                if name == "clients.client":
                    client_ids.append(wrapped.object.pk)
            for wrapped in deferred:
                wrapped.save_deferred_fields(using=using)
        except serializers.base.DeserializationError as error:
            raise RestoreError(f"Cannot read the backup: {error}") from error
        except ObjectDoesNotExist as error:
            raise RestoreError(f"The backup refers to a row that is not in the backup: {error}") from error
        except IntegrityError as error:
            raise RestoreError(f"The backup conflicts with itself or with this database: {error}") from error
        try:
            connection.check_constraints(table_names=[m._meta.db_table for m in covered.values()])
        except IntegrityError as error:
            raise RestoreError(f"The backup refers to a row that is not in the backup: {error}") from error
        _reset_sequences(connection, covered.values())
        log.record_many(
            [log.event(log.Action.CREATE, object_type="clinical_data", changes={"restored": counts, "file": source})]
            + [
                log.event(log.Action.CREATE, object_type="clients.client", client_id=pk, changes={"restored": True})
                for pk in client_ids
            ],
            using=using,
        )
    return dict(counts)


def _refuse_unless_empty(models, using):
    for model in models:
        if datamap.label(model) not in datamap.SEEDED and model._base_manager.using(using).exists():
            raise RestoreError(
                f"{model._meta.label} already has rows in this database: restore into a freshly migrated, "
                "empty database (docs/architecture.md, 'Backup and restore')."
            )


def _reset_sequences(connection, models):
    """Move each table's id sequence (and its many-to-many tables') past the restored ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
