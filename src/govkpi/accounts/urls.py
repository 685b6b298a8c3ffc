from django.urls import path

from govkpi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("2fa/", views.second_factor, name="second_factor"),
    path("logout/", views.sign_out, name="logout"),
    path("logout-everywhere/", views.sign_out_all, name="logout_everywhere"),
    path("", views.account, name="account"),
]
