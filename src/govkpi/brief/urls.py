from django.urls import path

from govkpi.brief import views

app_name = "brief"
urlpatterns = [
    path("", views.briefs, name="briefs"),
    path("<int:pk>/", views.download, name="download"),
]
