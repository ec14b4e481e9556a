from django.urls import path

from selfreport import views

urlpatterns = [
    path("sessions/<int:pk>/self-report/", views.create_link, name="self_report_create"),
    path("r/<str:token>/", views.respond, name="self_report"),
]
