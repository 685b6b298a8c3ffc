from django.urls import path

from govkpi.problems import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_new, name="new"),
    path("<int:pk>/", views.problem_page, name="problem"),
    path("<int:pk>/act/", views.problem_act, name="act"),
]
