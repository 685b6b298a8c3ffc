"""Pull connectors: another DHIS2-compatible server (a DHIS2, or a province's own govkpi) whose values are
pulled here incrementally, and the record of every pull."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Connector(models.Model):
    """Where to pull from, what, as whom here, and from when on (the watermark)."""

    name = models.SlugField(max_length=64, unique=True)
    url = models.URLField(max_length=500)  # the server's base: {url}/api/dataValueSets, {url}/api/system/info
    # The source's token is never stored here: the name of an environment variable, or a file, that holds it.
    token_env = models.CharField(max_length=100, blank=True)
    token_file = models.CharField(max_length=500, blank=True)
    # The local account the values are written as: its roles bound which units a pull may write.
    run_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What to ask the source for (its codes): DHIS2 needs data (sets or elements) and units.
    data_sets = models.JSONField(default=list)
    data_elements = models.JSONField(default=list)
    org_units = models.JSONField(default=list)
    # The source's codes that differ here: {"units": {source: local}, "elements": {source: local}}.
    code_map = models.JSONField(default=dict)
    every_minutes = models.PositiveIntegerField(default=60)
    # Seconds pulled again before the watermark: values the source wrote in a transaction that had not yet
    # committed when the last pull read it carry an earlier time than that pull.
    overlap_seconds = models.PositiveIntegerField(default=300)
    enabled = models.BooleanField(default=True)
    watermark = models.DateTimeField(null=True, blank=True)  # the source's clock when the last full pull began
    source_time_zone = models.CharField(max_length=64, blank=True)  # as its system/info says
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kết nối kéo số liệu")
        verbose_name_plural = _("kết nối kéo số liệu")

    def __str__(self) -> str:
        return self.name


class RunState(models.TextChoices):
    RUNNING = "running", _("Đang chạy")
    DONE = "done", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")
    INTERRUPTED = "interrupted", _("Bị ngắt")


class ConnectorRun(models.Model):
    """One pull: from which watermark, how far it got (saved after each batch), and what was refused."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=RunState.choices)
    since = models.DateTimeField(null=True, blank=True)  # the lastUpdated asked for (none: everything)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    batches = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # read, created, updated, unchanged, deleted, rejected
    refused = models.JSONField(default=list)  # the first refusals: row, field, code, messages
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
