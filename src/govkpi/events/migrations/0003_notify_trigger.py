"""PostgreSQL: every insert into the outbox notifies its listeners (events.wakeup), from the database itself.

The writer used to send `SELECT pg_notify(…)` after each event it wrote: one query more on every write. A
statement-level trigger does the same in the INSERT's own round trip, and for any insert, whoever makes it.
The notification is delivered when, and only if, the transaction commits. SQLite has no NOTIFY: nothing to do.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION govkpi_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('govkpi_events', '');
    RETURN NULL;
END $$;
CREATE TRIGGER govkpi_events_notify AFTER INSERT ON events_changeevent
    FOR EACH STATEMENT EXECUTE FUNCTION govkpi_events_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS govkpi_events_notify ON events_changeevent;
DROP FUNCTION IF EXISTS govkpi_events_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("events", "0002_typed_payloads")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False)]
