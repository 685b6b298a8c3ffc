from django.contrib import admin

from govkpi.orgunits.models import OrgUnit, Succession


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "legal_type", "parent", "valid_from", "valid_to")
    list_filter = ("kind", "legal_type")
    search_fields = ("code", "name", "short_name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "level")


@admin.register(Succession)
class SuccessionAdmin(admin.ModelAdmin):
    list_display = ("predecessor", "successor", "kind", "effective", "is_main")
    list_filter = ("kind",)
    raw_id_fields = ("predecessor", "successor")
