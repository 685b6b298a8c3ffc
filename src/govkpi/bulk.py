"""Many new rows of one model at once: COPY on PostgreSQL, bulk INSERT elsewhere.

Django 5.2 sends a PostgreSQL bulk insert as `INSERT … SELECT * FROM UNNEST(arrays)`, and psycopg builds each
array parameter in Python, quoting every element: a national recompute spent a fifth of its time there (py-spy,
`ListDumper._dump_list`) storing results and scores. COPY takes the rows one by one through psycopg's C dumpers.
The rows get no primary key back; callers that need one use bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def add_values(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows given as tuples of these fields' values (COPY on PostgreSQL, executemany elsewhere).

    For tens of thousands of small rows (the reference units' aliases) building model instances and Django's
    bulk INSERT cost four times the insert itself. No instance means no `pre_save`: fields such as
    `auto_now` get no value here, so name them or leave them to a database default.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    prepared = [[f.get_db_prep_save(value, connection) for f, value in zip(fields, row)] for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
                               prepared)
