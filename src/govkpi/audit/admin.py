from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govkpi.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the trail, not even a superuser."""

    list_display = ("seq", "at", "actor", "action", "object_type", "object_key", "unit", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_key", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
