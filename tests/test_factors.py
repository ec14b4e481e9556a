"""The factor table: seeded by migration, texts editable in the admin, set fixed."""

from collections import Counter

import pytest
from django.urls import reverse

from factors.models import Factor

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_exactly_twelve_factors_four_per_domain():
    assert Factor.objects.count() == 12
    assert Counter(Factor.objects.values_list("domain", flat=True)) == {
        "therapist": 4,
        "client": 4,
        "contextual": 4,
    }


def test_the_seeded_factors_are_the_articles_twelve_in_form_order():
    assert list(Factor.objects.in_form_order().values_list("key", flat=True)) == [
        "communication",
        "cultural_competence",
        "boundaries",
        "flexibility",
        "openness",
        "expectations",
        "attachment",
        "beliefs",
        "setting",
        "socioeconomic",
        "support",
        "stigma",
    ]


def test_every_factor_has_a_description_and_five_distinct_scale_labels():
    for factor in Factor.objects.all():
        assert factor.description
        labels = [label for _, label in factor.scale_labels]
        assert len(set(labels)) == 5, factor.key
        assert all(labels), factor.key


def test_an_administrator_can_edit_a_factors_text_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    factor = Factor.objects.get(key="stigma")
    url = reverse("admin:factors_factor_change", args=[factor.pk])
    data = {
        "order": factor.order,
        "name": "Stigma and shame",
        "description": "Edited help text.",
        **{f"label_{i}": label for i, label in factor.scale_labels},
    }
    response = client.post(url, data)
    assert response.status_code == 302
    factor.refresh_from_db()
    assert (factor.name, factor.description, factor.key, factor.domain) == (
        "Stigma and shame",
        "Edited help text.",
        "stigma",
        "contextual",
    )


def test_the_admin_cannot_add_or_delete_factors(client, admin_user):
    client.force_login(admin_user)
    factor = Factor.objects.first()
    assert client.get(reverse("admin:factors_factor_add")).status_code == 403
    assert client.post(reverse("admin:factors_factor_delete", args=[factor.pk]), {"post": "yes"}).status_code == 403
    assert Factor.objects.count() == 12


def test_a_clinician_without_staff_status_cannot_reach_the_admin(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:factors_factor_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
