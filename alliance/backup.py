"""Backup and restore of everything the app stores (alliance.datamap says what), as JSON.

The export writes every backed-up row with its primary key, the audit trail
included, in one consistent snapshot. References to users, factors, groups
and permissions are written as natural keys (username, factor key, group
name, permission codename), so they resolve on any server.

The import goes into a freshly migrated, empty database: it refuses a file
with rows of a model the backup does not cover, and a database that already
holds rows of a backed-up table (the rows migrations seed aside, which the
backup's copy overwrites). It resolves each natural key once and inserts
each table's rows in batches; it is all or nothing, checks every foreign key
before it commits, then moves every table's id sequence past the restored ids
so that new records can be created at once, and audits itself.
"""

import contextlib
import datetime
import json
from collections import Counter
from io import StringIO
from itertools import islice

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
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
            rows = _rows(model, using).iterator(chunk_size=CHUNK)
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


def _rows(model, using):
    """All rows, with the rows their natural-key references name fetched in the same query."""
    by_natural_key = [
        f.name for f in model._meta.concrete_fields if f.is_relation and hasattr(f.related_model, "natural_key")
    ]
    return model._base_manager.using(using).select_related(*by_natural_key).order_by("pk")


def export_json(using=DEFAULT_DB_ALIAS):
    """The backup as a string (for tests and small databases)."""
    buffer = StringIO()
    export(buffer, using)
    return buffer.getvalue()


def restore(text, using=DEFAULT_DB_ALIAS, source=""):
    """Restore a backup into the empty database `using`; returns {model label: rows}."""
    covered = {datamap.label(m): m for m in datamap.backed_up_models()}
    connection = connections[using]
    try:
        records = json.loads(text)
    except ValueError as error:
        raise RestoreError(f"Cannot read the backup: {error}") from error
    if not isinstance(records, list):
        raise RestoreError("Cannot read the backup: it is not a list of rows.")
    counts = Counter()
    client_ids = []
    with transaction.atomic(using=using), log.restoring():
        _refuse_unless_empty(covered.values(), using)
        writer = _Writer(using)
        try:
            for wrapped in serializers.deserialize(
                "python", _resolved(records, covered, using), using=using, handle_forward_references=True
            ):
                name = datamap.label(type(wrapped.object))
                writer.add(wrapped, seeded=name in datamap.SEEDED)
                counts[name] += 1
                if name == "clients.client":
                    client_ids.append(wrapped.object.pk)
            writer.finish()
        except (serializers.base.DeserializationError, FieldDoesNotExist) as error:
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


def _resolved(records, covered, using):
    """The records in order, refusing any model the backup does not cover, with each
    natural-key reference (a username, a factor key) replaced by the id it has in this
    database, looked up once per key. A key not there yet is left for the deserializer,
    which resolves it once its row is restored."""
    ids = {}
    for record in records:
        name = str(record.get("model", "")).lower() if isinstance(record, dict) else ""
        if name not in covered:
            with contextlib.suppress(LookupError, ValueError):
                name = apps.get_model(name)._meta.label
            raise RestoreError(f"{name or 'A row without a model'} is not part of the backup; refusing the file.")
        fields = record.get("fields")
        for field_name, value in fields.items() if isinstance(fields, dict) else ():
            field = covered[name]._meta.get_field(field_name)
            if field.many_to_one and isinstance(value, list) and hasattr(field.related_model, "natural_key"):
                key = (field.related_model, tuple(value))
                if key not in ids:
                    manager = field.related_model._default_manager.db_manager(using)
                    try:
                        found = manager.get_by_natural_key(*value).pk
                    except field.related_model.DoesNotExist:
                        continue
                    ids[key] = found
                fields[field_name] = ids[key]
        yield record


class _Writer:
    """Writes restored rows: in batches of one table's rows where it can (no
    many-to-many links, no reference waiting for a later row, not a seeded
    table), one by one otherwise. Raw inserts: no signals, no auto_now."""

    def __init__(self, using):
        self.using = using
        self.batch = []
        self.deferred = []

    def add(self, wrapped, seeded):
        model = type(wrapped.object)
        if seeded or model._meta.many_to_many or model._meta.parents or wrapped.deferred_fields:
            self.flush()
            wrapped.save(using=self.using, force_insert=not seeded)  # seeded rows: update, or insert if new
            if wrapped.deferred_fields:
                self.deferred.append(wrapped)
            return
        if self.batch and type(self.batch[0]) is not model:
            self.flush()
        self.batch.append(wrapped.object)
        if len(self.batch) >= CHUNK:
            self.flush()

    def flush(self):
        if not self.batch:
            return
        model = type(self.batch[0])
        fields = model._meta.local_concrete_fields
        size = connections[self.using].ops.bulk_batch_size(fields, self.batch) or len(self.batch)
        for start in range(0, len(self.batch), size):
            model._base_manager.using(self.using)._insert(
                self.batch[start : start + size], fields=fields, raw=True, using=self.using
            )
        self.batch = []

    def finish(self):
        self.flush()
        for wrapped in self.deferred:
            wrapped.save_deferred_fields(using=self.using)


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
