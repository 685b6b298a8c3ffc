from django.urls import path

from govkpi.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("rankings/", views.rankings, name="rankings"),
    path("methodology/", views.methodology, name="methodology"),
    path("databases/", views.databases, name="databases"),
    path("data/", views.data, name="data"),
    path("data/<str:dataset>.<str:fmt>", views.download, name="download"),
]
