from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "govkpi.tasks"
    label = "tasks"
    verbose_name = _("Văn bản chỉ đạo và nhiệm vụ")
