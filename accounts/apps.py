from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import mark_login_time

        user_logged_in.connect(mark_login_time, dispatch_uid="accounts.mark_login_time")
