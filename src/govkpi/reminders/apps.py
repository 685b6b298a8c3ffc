from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "govkpi.reminders"
    label = "reminders"
    verbose_name = "Đôn đốc, nhắc việc"
