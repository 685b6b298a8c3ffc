from django.contrib import admin

from govkpi.tasks.models import Directive


@admin.register(Directive)
class DirectiveAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "number", "issued_on", "title")
    list_filter = ("kind",)
    search_fields = ("code", "number", "title", "meeting")
