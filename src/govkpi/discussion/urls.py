from django.urls import path

from govkpi.discussion import views

app_name = "discussion"
urlpatterns = [
    path("submission/<str:code>/<str:period>/", views.post_to_submission, name="submission"),
    path("task/<path:code>/", views.post_to_task, name="task"),
]
