from django.apps import AppConfig


class SelfReportConfig(AppConfig):
    name = "selfreport"
    verbose_name = "Client self-report"
