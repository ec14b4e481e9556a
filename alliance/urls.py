from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm
from accounts.views import logged_out

admin.site.site_header = "Alliance administration"
admin.site.site_title = "Alliance admin"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/logged-out/", logged_out, name="logged_out"),
    path("admin/", admin.site.urls),
    path("", include("selfreport.urls")),
    path("", include("supervision.urls")),
    path("", include("clients.urls")),
    path("", include("factors.urls")),
]
