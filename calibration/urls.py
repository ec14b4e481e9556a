from django.urls import path

from calibration import views

urlpatterns = [
    path("calibration/", views.calibration_mine, name="calibration_mine"),
    path("calibration/clinicians/<int:pk>/", views.calibration_clinician, name="calibration_clinician"),
    path("calibration/team/", views.calibration_team, name="calibration_team"),
    path("calibration/vignettes/", views.vignette_list, name="vignette_list"),
    path("calibration/vignettes/<int:pk>/", views.vignette, name="vignette"),
    path("sessions/<int:pk>/observe/", views.observation, name="observation"),
]
