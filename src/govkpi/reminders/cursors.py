"""The reminders' places in the tables they follow: read and moved inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

from govkpi.reminders.models import Cursor


def hold(name: str, start: Callable[[], int]) -> Cursor:
    """The cursor, locked until the caller's transaction ends (two workers do not both follow one stream).
    Missing (a new database, or one emptied by a test), it starts at `start()`: the present, so that a
    first run does not announce every event of the past."""
    cursor = Cursor.objects.select_for_update().filter(name=name).first()
    if cursor is None:
        cursor, _created = Cursor.objects.get_or_create(name=name, defaults={"last_id": start()})
        cursor = Cursor.objects.select_for_update().get(pk=cursor.pk)
    return cursor


def move(cursor: Cursor, last_id: int) -> None:
    if last_id > cursor.last_id:
        cursor.last_id = last_id
        cursor.save(update_fields=["last_id", "updated_at"])
