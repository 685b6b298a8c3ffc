"""Many new rows of one model at once: COPY on PostgreSQL, bulk INSERT elsewhere.

Django 5.2 sends a PostgreSQL bulk insert as `INSERT … SELECT * FROM UNNEST(arrays)`, and psycopg builds each
array parameter in Python, quoting every element: a national recompute spent a fifth of its time there (py-spy,
`ListDumper._dump_list`) storing results and scores. COPY takes the rows one by one through psycopg's C dumpers.
The rows get no primary key back; callers that need one use bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin

COPY_FROM = 200  # fewer rows than this: one INSERT costs no more than a COPY's round trips


def add_rows(model: type[Model], rows: Sequence[Model]) -> None:
    """Insert these unsaved instances of `model` (their auto primary keys left to the database)."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        model.objects.bulk_create(rows, batch_size=1000)
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields])
