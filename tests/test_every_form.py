"""Every form a clinician and a supervisor can reach, read from the pages themselves and
posted with every choice it offers, then with hostile values in each field, while the data
holds the worst case the ratings allow: an all-factor rupture (every factor from 5 to 1,
so the longest labels and details). No answer may be a server error. Run on PostgreSQL in
CI, where column lengths and NUL bytes are enforced."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from calibration.models import Vignette
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

pytestmark = pytest.mark.django_db
HOSTILE = ['"><img src=x onerror=alert(1)>', "' OR 1=1 --", "\x00", "x" * 100_000, "-1", "99999999999999999999", "١٢"]


class Forms(HTMLParser):
    """The POST forms of a page: action, and for each field its name and the values it offers."""

    def __init__(self):
        super().__init__()
        self.forms, self.form, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = {"action": a.get("action") or "", "fields": {}, "buttons": []}
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                self.form["fields"].setdefault(a["name"], {"choices": [], "value": None})["choices"].append(
                    a.get("value", "on")
                )
            else:
                self.form["fields"].setdefault(a["name"], {"choices": [], "value": a.get("value", "")})
        elif tag == "textarea" and a.get("name"):
            self.form["fields"][a["name"]] = {"choices": [], "value": ""}
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.form["fields"][a["name"]] = {"choices": [], "value": None}
        elif tag == "option" and self.select:
            self.form["fields"][self.select]["choices"].append(a.get("value", ""))
        elif tag == "button" and a.get("formaction"):
            self.form["buttons"].append(a["formaction"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_on(http, url):
    response = http.get(url)
    assert response.status_code == 200, url
    parser = Forms()
    parser.feed(response.content.decode())
    found = [(form, action or url) for form in parser.forms for action in (form["buttons"] or [form["action"]])]
    return [(form, action) for form, action in found if action != reverse("logout")]  # it would end the walk


def base_data(form):
    data = {}
    for name, field in form["fields"].items():
        if field["value"] is not None:
            data[name] = field["value"]
        elif field["choices"]:
            data[name] = field["choices"][0]
    return data


def post_all(http, url, form):
    """The form as offered, then each choice of each field, then hostile values in each field."""
    data = base_data(form)
    attempts = [data]
    for name, field in form["fields"].items():
        attempts += [{**data, name: choice} for choice in field["choices"]]
    for name in form["fields"]:
        if name != "csrfmiddlewaretoken":
            attempts += [{**data, name: value} for value in HOSTILE]
    for attempt in attempts:
        response = http.post(url, attempt)
        assert response.status_code < 500, (url, {k: str(v)[:40] for k, v in attempt.items()})


@pytest.fixture
def world():
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    team = Team.objects.create(name="Riverside", supervisor=supervisor)
    owner = UserFactory(username="owner", team=team)
    worst = ClientFactory(clinician=owner, label="W.X.")
    today = timezone.localdate()
    for n in (28, 21, 14):
        TherapySessionFactory(client=worst, date=today - timedelta(days=n), default_score=5)
    latest = TherapySessionFactory(client=worst, date=today - timedelta(days=7), default_score=1)
    assert worst.flags.filter(kind="rupture", status="open").exists()
    return {"owner": owner, "supervisor": supervisor, "client": worst, "session": latest}


def pages(world, role):
    client, session = world["client"], world["session"]
    if role == "owner":
        return [
            reverse("client_detail", args=[client.pk]),
            reverse("session_detail", args=[session.pk]),
            reverse("client_edit", args=[client.pk]),
            reverse("session_edit", args=[session.pk]),
            reverse("session_create") + f"?client={client.pk}",
            reverse("client_create"),
            reverse("home"),
            reverse("vignette", args=[Vignette.objects.active().first().pk]),
        ]
    return [
        reverse("client_detail", args=[client.pk]),
        reverse("team_dashboard"),
        reverse("home"),
        reverse("observation", args=[session.pk]),
    ]


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_every_form_survives_every_choice_and_hostile_values_with_an_all_factor_rupture(client, world, role):
    client.force_login(world[role])
    seen = 0
    for page in pages(world, role):
        for form, action in forms_on(client, page):
            post_all(client, action, form)
            seen += 1
    assert seen >= (8 if role == "owner" else 4)


def test_the_forms_were_found_on_the_pages(client, world):
    """The walker must see the flag marks, the review note and the session form."""
    client.force_login(world["supervisor"])
    actions = {action for form, action in forms_on(client, reverse("client_detail", args=[world["client"].pk]))}
    assert reverse("flag_mark", args=[world["client"].pk, "reviewed"]) in actions
    assert reverse("review_note_create", args=[world["client"].pk]) in actions
    client.force_login(world["owner"])
    [(form, _)] = [f for f in forms_on(client, reverse("session_create")) if "score_openness" in f[0]["fields"]]
    assert form["fields"]["score_openness"]["choices"] == ["1", "2", "3", "4", "5", ""]
