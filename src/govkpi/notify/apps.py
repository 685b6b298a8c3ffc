from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "govkpi.notify"
    label = "notify"
    verbose_name = "Thông báo"
