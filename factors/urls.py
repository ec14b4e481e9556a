from django.urls import path

from factors import views

urlpatterns = [
    path("guidance/", views.guidance, name="guidance"),
    path("guidance/prompts/", views.prompt_library, name="prompt_library"),
]
