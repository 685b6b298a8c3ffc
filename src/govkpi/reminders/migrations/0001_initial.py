"""The reminders' cursors, started at the present: installing the reminders on a database with history does not
announce every past return, submission or off-track result."""

from django.db import migrations, models
from django.db.models import Max


def start_at_present(apps, schema_editor):
    cursor = apps.get_model("reminders", "Cursor")
    events = apps.get_model("events", "ChangeEvent").objects.filter(kind="approval").aggregate(m=Max("id"))["m"]
    results = apps.get_model("evaluation", "Result").objects.aggregate(m=Max("id"))["m"]
    cursor.objects.get_or_create(name="events", defaults={"last_id": events or 0})
    cursor.objects.get_or_create(name="results", defaults={"last_id": results or 0})


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("events", "0004_at_index"),
        ("evaluation", "0005_engine_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="Cursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=32, unique=True)),
                ("last_id", models.BigIntegerField(default=0)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(start_at_present, migrations.RunPython.noop),
    ]
