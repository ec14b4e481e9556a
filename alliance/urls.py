from django.contrib import admin
from django.urls import include, path

from accounts.views import (
    LoginView,
    LogoutView,
    logged_out,
    profile,
    recovery_codes_renew,
    two_step,
    two_step_enrol,
)

admin.site.site_header = "Alliance administration"
admin.site.site_title = "Alliance admin"

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/logged-out/", logged_out, name="logged_out"),
    path("accounts/profile/", profile, name="profile"),
    path("accounts/two-step/", two_step, name="two_step"),
    path("accounts/two-step/enrol/", two_step_enrol, name="two_step_enrol"),
    path("accounts/two-step/recovery-codes/", recovery_codes_renew, name="recovery_codes_renew"),
    path("admin/", admin.site.urls),
    path("", include("selfreport.urls")),
    path("", include("calibration.urls")),
    path("", include("supervision.urls")),
    path("", include("clients.urls")),
    path("", include("factors.urls")),
]
