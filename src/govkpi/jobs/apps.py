from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "govkpi.jobs"
    label = "jobs"
    verbose_name = "Tác vụ nền"
