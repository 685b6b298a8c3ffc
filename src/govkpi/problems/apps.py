from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "govkpi.problems"
    label = "problems"
    verbose_name = "Vướng mắc, kiến nghị"
