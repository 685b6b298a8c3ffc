from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "govkpi.discussion"
    label = "discussion"
    verbose_name = "Trao đổi ý kiến"
