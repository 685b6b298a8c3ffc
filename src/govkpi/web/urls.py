from django.urls import path

from govkpi.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("units/<str:code>/", views.unit_page, name="unit"),
]
