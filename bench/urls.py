"""The app's URLs plus an empty view: the floor of a request through every middleware."""

from django.http import HttpResponse
from django.urls import include, path


def empty(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/empty/", empty, name="bench_empty"), path("", include("alliance.urls"))]
