from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataValuesConfig(AppConfig):
    name = "govkpi.datavalues"
    label = "datavalues"
    verbose_name = _("Số liệu báo cáo")
