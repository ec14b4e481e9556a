from django.urls import path

from supervision import views

urlpatterns = [
    path("", views.home, name="home"),
    path("team/", views.team_dashboard, name="team_dashboard"),
    path("team/alliance-progress/", views.alliance_progress, name="alliance_progress"),
    path("clients/<int:pk>/review-notes/", views.review_note_create, name="review_note_create"),
    path("clients/<int:pk>/review-notes/read/", views.review_notes_read, name="review_notes_read"),
    path("clients/<int:pk>/flags/<slug:action>/", views.flag_mark, name="flag_mark"),
]
