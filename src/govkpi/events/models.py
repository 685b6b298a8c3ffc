"""The outbox: one row per accepted change, written in the transaction of the change itself.

The evaluation engine and the live dashboards read it in `id` order; a reader that lost its place asks
for everything after the last id it saw, so nothing is missed and nothing is read twice.
"""

from __future__ import annotations

from django.db import models


class ChangeEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    # "datavalues" (a batch of written values), "task", "approval", "target", …
    kind = models.CharField(max_length=32)
    # The units the change touches (codes), so a dashboard for a province can skip the rest.
    units = models.JSONField(default=list)
    periods = models.JSONField(default=list)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "id"], name="event_kind_id_idx"),
                   # The dashboard counts today's changes (reads.changes): without it, a scan of the whole outbox.
                   models.Index(fields=["at"], name="event_at_idx")]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
