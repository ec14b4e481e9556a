from django.urls import path

from clients import views

urlpatterns = [
    path("clients/", views.caseload, name="caseload"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:pk>/discharge/", views.client_discharge, name="client_discharge"),
    path("clients/<int:pk>/focus/", views.prompt_trial, name="prompt_trial"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
]
