from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "govkpi.web"
    label = "web"
