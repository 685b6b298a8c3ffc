from django.urls import path

from govkpi.web import task_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("units/<str:code>/", views.unit_page, name="unit"),
    path("tasks/", task_views.task_board, name="tasks"),
    path("tasks/<path:code>/", task_views.task_page, name="task"),
]
