from django.urls import path

from govkpi.accounts import user_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("2fa/", views.second_factor, name="second_factor"),
    path("logout/", views.sign_out, name="logout"),
    path("logout-everywhere/", views.sign_out_all, name="logout_everywhere"),
    path("users/", user_views.users, name="users"),  # a unit administrator's users
    path("set-password/<uidb64>/<token>/", user_views.SetPasswordView.as_view(), name="set_password"),
    path("", views.account, name="account"),
]
