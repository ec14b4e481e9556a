"""A team for tests that need one: its supervisor, a clinician who owns the clients (owner), a
colleague in the same team and an outsider who supervises another team. Import the fixtures
by name into a test module (they shadow conftest's owner and colleague there, who have no team)."""

import pytest

from accounts.models import Team, User
from tests.factories import UserFactory


@pytest.fixture
def supervisor(db):
    return UserFactory(username="sup", first_name="Sam", last_name="Super", role=User.Role.SUPERVISOR)


@pytest.fixture
def owner(supervisor):
    team = Team.objects.create(name="Riverside", supervisor=supervisor)
    return UserFactory(username="owner", first_name="Olive", last_name="Owner", team=team)


@pytest.fixture
def colleague(owner):
    return UserFactory(username="colleague", team=owner.team)


@pytest.fixture
def outsider(db):
    other = UserFactory(username="other_sup", role=User.Role.SUPERVISOR)
    Team.objects.create(name="Harbour", supervisor=other)
    return other
