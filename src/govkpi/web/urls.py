from django.urls import path

from govkpi.web import task_form_views  # noqa: I001 (issue 17: the task forms)
from govkpi.web import task_count_views  # noqa: I001 - the count and effects pages
from govkpi.web import approval_views, dashboard_views, data_views, indicator_views, my_work_views, task_views, views

app_name = "web"
urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("panels/map-data/", dashboard_views.map_data, name="panel_map_data"),
    path("panels/series/", dashboard_views.series_data, name="panel_series"),
    path("panels/<str:name>/", dashboard_views.panel, name="panel"),
    path("rankings/", dashboard_views.rankings, name="rankings"),
    path("rankings/methodology/", dashboard_views.methodology, name="methodology"),
    path("indicators/<str:code>/", indicator_views.indicator_page, name="indicator"),
    path("units/", views.units, name="units"),
    path("units/<str:code>/", views.unit_page, name="unit"),
    path("units/<str:code>/score/", views.score_explain, name="score_explain"),
    path("units/<str:code>/panels/<str:name>/", views.unit_panel, name="unit_panel"),
    path("tasks/", task_views.task_board, name="tasks"),
    path("data/upload/", data_views.upload, name="data_upload"),
    path("data/upload/errors/<str:key>.xlsx", data_views.upload_errors, name="data_upload_errors"),
    path("data/approvals/", approval_views.approvals_inbox, name="approvals"),
    path("my/", my_work_views.my_work, name="my_work"),
    path("data/<str:code>/", data_views.entry_start, name="data_start"),
    path("data/<str:code>/<str:period>/", data_views.entry_form, name="data_entry"),
    path("data/<str:code>/<str:period>/template.xlsx", data_views.template_download, name="data_template"),
    path("data/<str:code>/<str:period>/approval", data_views.approval_action, name="data_approval"),
    path("data/<str:code>/<str:period>/<str:element>", data_views.save_field, name="data_save"),
    path("tasks/new/", task_form_views.task_new, name="task_new"),
    path("tasks/form/check", task_form_views.form_check, name="task_form_check"),
    path("tasks/form/units", task_form_views.unit_suggestions, name="task_form_units"),
    path("directives/new/", task_form_views.directive_new, name="directive_new"),
    path("tasks/<path:code>/edit/", task_form_views.task_edit, name="task_edit"),
    path("tasks/appendix.xlsx", task_views.appendix_export, name="tasks_appendix_export"),
    path("tasks/appendix/import", task_views.appendix_import, name="tasks_appendix_import"),
    path("tasks/count/", task_count_views.task_count, name="tasks_count"),
    path("tasks/effects/", task_count_views.task_effects, name="tasks_effects"),
    path("tasks/<path:code>/update", task_views.task_update, name="task_update"),
    path("tasks/<path:code>/evidence/<int:pk>", task_views.task_evidence, name="task_evidence"),
    path("tasks/<path:code>/", task_views.task_page, name="task"),
]
