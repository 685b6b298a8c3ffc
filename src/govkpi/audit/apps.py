from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "govkpi.audit"
    label = "audit"
    verbose_name = _("Nhật ký kiểm toán")

    def ready(self) -> None:
        from django.contrib import admin

        from govkpi.audit import admin_changes

        # The admin app comes first in INSTALLED_APPS: its ready() has imported every admin module by now.
        admin_changes.connect(admin.site)
