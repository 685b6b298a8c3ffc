from django.apps import AppConfig


class BriefConfig(AppConfig):
    name = "govkpi.brief"
    label = "brief"
    verbose_name = "Báo cáo giao ban"
