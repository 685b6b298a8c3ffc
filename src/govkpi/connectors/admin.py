from django.contrib import admin

from govkpi.connectors.models import Connector, ConnectorRun


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "run_as", "enabled", "every_minutes", "watermark")
    readonly_fields = ("watermark", "source_time_zone", "created_at", "created_by")


@admin.register(ConnectorRun)
class ConnectorRunAdmin(admin.ModelAdmin):
    list_display = ("connector", "started_at", "finished_at", "state", "batches", "counts")
    list_filter = ("state", "connector")

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - the record of pulls is written by pulls
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False
