from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "govkpi.accounts"
    label = "accounts"
    verbose_name = _("Tài khoản và phân quyền")

    def ready(self) -> None:
        from govkpi.accounts import signals  # noqa: F401 - connects the audit receivers
        from govkpi.accounts.memberships import connect_guards

        connect_guards()
