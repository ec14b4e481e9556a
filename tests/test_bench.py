"""The benchmark's breakdown of a page's time (bench/pages.py), which docs/performance.md quotes."""

from django.db.models.query import QuerySet
from django.template.backends.django import Template
from django.urls import reverse

from bench.pages import where_the_time_goes
from tests.factories import ClientFactory, TherapySessionFactory


def test_the_breakdown_splits_a_page_into_orm_templates_and_the_rest_and_leaves_django_as_it_was(
    owner_client, owner
):
    TherapySessionFactory.create_batch(3, client=ClientFactory(clinician=owner))
    fetch_all, render = QuerySet._fetch_all, Template.render
    spent = where_the_time_goes(lambda: owner_client.get(reverse("caseload")), repeat=3)
    assert spent["orm_ms"] > 0
    assert spent["templates_ms"] > 0
    assert spent["rest_ms"] >= 0
    assert abs(spent["orm_ms"] + spent["templates_ms"] + spent["rest_ms"] - spent["total_ms"]) <= 0.2
    assert (QuerySet._fetch_all, Template.render) == (fetch_all, render)  # the instruments are removed


def test_a_page_without_a_template_has_no_template_time(owner_client):
    spent = where_the_time_goes(lambda: owner_client.get(reverse("caseload_export_csv")), repeat=2)
    assert spent["templates_ms"] == 0
    assert spent["orm_ms"] > 0
