"""How far the reminders have read a growing table (the change events, the results), so a restart resumes there."""

from __future__ import annotations

from django.db import models


class Cursor(models.Model):
    """The last id read of one stream ("events": events.ChangeEvent, "results": evaluation.Result). It moves in the
    transaction of the notifications it led to: both are kept, or neither."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"
