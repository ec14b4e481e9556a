from django.contrib import admin
from django.urls import include, path

from accounts.views import LoginView, LogoutView, logged_out, profile

admin.site.site_header = "Alliance administration"
admin.site.site_title = "Alliance admin"

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/logged-out/", logged_out, name="logged_out"),
    path("accounts/profile/", profile, name="profile"),
    path("admin/", admin.site.urls),
    path("", include("selfreport.urls")),
    path("", include("calibration.urls")),
    path("", include("supervision.urls")),
    path("", include("clients.urls")),
    path("", include("factors.urls")),
]
