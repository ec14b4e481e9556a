from django.urls import path

from clients import views

urlpatterns = [
    path("clients/", views.caseload, name="caseload"),
    path("clients/export.csv", views.caseload_export_csv, name="caseload_export_csv"),
    path("clients/<int:pk>/export.csv", views.client_export_csv, name="client_export_csv"),
    path("clients/<int:pk>/summary/", views.client_summary, name="client_summary"),
    path("sessions/<int:pk>/fhir.json", views.session_fhir, name="session_fhir"),
    path("sessions/<int:pk>/measures.fhir.json", views.session_measures_fhir, name="session_measures_fhir"),
    path("fhir/Questionnaire/alliance-twelve-factors", views.fhir_questionnaire, name="fhir_questionnaire"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:pk>/discharge/", views.client_discharge, name="client_discharge"),
    path("clients/<int:pk>/focus/", views.prompt_trial, name="prompt_trial"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/void/", views.session_void, name="session_void"),
]
