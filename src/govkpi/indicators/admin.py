from django.contrib import admin

from govkpi.indicators.models import DataElement, Indicator, ReportedFigure, Target, Theme


class TargetInline(admin.TabularInline):
    model = Target
    fk_name = "indicator"
    extra = 0
    raw_id_fields = ("scope_unit", "directive", "supersedes")


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "value_type", "direction", "frequency", "published")
    list_filter = ("published", "themes", "value_type", "frequency")
    search_fields = ("code", "name_vi", "name_en")
    raw_id_fields = ("owner", "legal_basis")
    inlines = [TargetInline]


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "value_type", "aggregation_units", "aggregation_periods", "published")
    list_filter = ("published", "value_type")
    search_fields = ("code", "name_vi", "name_en")
    raw_id_fields = ("owner", "legal_basis")


admin.site.register(Theme)
admin.site.register(ReportedFigure)
