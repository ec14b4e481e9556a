"""The client's voice (issue 11): the rewritten questions on the phone page, the
free-text answer and who may read it, and answers given before the rewrite."""

import importlib
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Team, User
from audit.models import AuditEvent
from clients.models import TherapySession
from clients.recording import refresh_flags
from factors.models import Prompt
from measures.models import MeasureResponse
from selfreport.forms import dated
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory
from tests.measure_data import answer as answer_measure

WORDS = "You keep moving on before I finish talking about my sister."
QUESTION_KEYS = [q for q, *_ in importlib.import_module("selfreport.migrations.0005_revise_client_questions").QUESTIONS]


@pytest.fixture
def phone():
    return Browser()


@pytest.fixture
def supervisor(owner):
    boss = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="Riverside", supervisor=boss)
    owner.save()
    return boss


@pytest.fixture
def session(their_client):
    return TherapySessionFactory(client=their_client, date=timezone.localdate() - timedelta(days=1))


@pytest.fixture
def respond_url(owner_client, session):
    response = owner_client.post(reverse("self_report_create", args=[session.pk]))
    return reverse("self_report", args=[re.search(r"/r/([^/]+)/$", response.context["url"]).group(1)])


def all_answers(score="4", comment="", **overrides):
    data = {f"q_{key}": overrides.get(key, score) for key in QUESTION_KEYS}
    return {k: v for k, v in data.items() if v is not None} | {"comment": comment}


# --- the phone page ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_phone_page_asks_every_question_in_order_and_welcomes_criticism(phone, respond_url, session):
    html = phone.get(respond_url).content.decode()
    questions = list(Question.objects.active())
    assert [q.key for q in questions] == QUESTION_KEYS
    positions = [html.index(escape(dated(q.text, session.date))) for q in questions]  # yesterday's, by its date
    assert positions == sorted(positions)
    assert f"Question {len(questions)} of {len(questions)}" in html
    assert html.count('type="radio"') == 5 * len(questions) + (9 + 7) * 4  # then the PHQ-9 and GAD-7 items, 0-3
    assert "even if it is criticism" in html
    assert '<textarea class="form-control" name="comment"' in html
    assert "not straight away" in html  # the box is no emergency line


@pytest.mark.django_db
def test_answering_every_question_stores_them_under_factor_and_question_keys(phone, respond_url, their_client, session):
    response = phone.post(respond_url, all_answers(goals="2", overall="5", setting=None))
    assert "Thank you, J.M." in response.content.decode()
    answers = SelfReportRating.objects.latest_by_session(their_client.pk)[session.pk]
    assert answers["goals"] == 2
    assert answers["overall"] == 5
    assert answers["communication"] == 4
    assert answers["setting"] is None
    assert set(answers) == set(QUESTION_KEYS)


@pytest.mark.django_db
def test_a_comment_alone_is_an_answer(phone, respond_url):
    phone.post(respond_url, all_answers(score="", comment=WORDS))
    link = SelfReportLink.objects.get()
    assert link.used_at is not None
    assert link.comment == WORDS
    assert not SelfReportRating.objects.exclude(score=None).exists()


@pytest.mark.django_db
def test_a_comment_that_is_too_long_is_refused_and_what_was_typed_is_kept(phone, respond_url):
    response = phone.post(respond_url, all_answers(comment="x" * 1001, goals="2"))
    html = response.content.decode()
    assert "Please keep it under 1000 characters." in html
    assert re.search(r'name="q_goals" id="[^"]+" value="2" checked', html)
    assert "x" * 1001 in html
    assert SelfReportLink.objects.get().used_at is None


# --- the free text: clinical text, seen only by those who may see the client -------


@pytest.fixture
def answered(phone, respond_url):
    phone.post(respond_url, all_answers(comment=WORDS, goals="1"))
    return SelfReportLink.objects.get()


@pytest.mark.django_db
def test_the_clinician_reads_the_free_text_beside_the_clients_answers(owner_client, their_client, answered):
    html = owner_client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    section = html.split('id="self-report"')[1]
    assert "In J.M.'s own words" in section
    assert WORDS in section
    assert "Goals agreed" in section
    assert "Overall fit" in section
    assert "{#" not in html
    assert "Going over the answers with J.M." in section
    assert "Do not defend" in section


@pytest.mark.django_db
def test_the_clinicians_supervisor_reads_it_too(client, supervisor, their_client, answered):
    client.force_login(supervisor)
    html = client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    assert WORDS in html
    section = html.split('id="self-report"')[1]
    # The ratings beside the client's are the clinician's, not the supervisor's; the advice on
    # going over the answers is for the clinician who will.
    assert "beside Olive Owner's ratings" in section
    assert '<th scope="col" class="num">Clinician</th>' in section
    assert "beside your ratings" not in section
    assert ">You<" not in section
    assert "Going over the answers" not in section


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["colleague", "other_supervisor", "administrator"])
def test_nobody_else_reads_it(client, colleague, their_client, answered, who):
    users = {
        "colleague": colleague,
        "other_supervisor": UserFactory(username="elsewhere", role=User.Role.SUPERVISOR),
        "administrator": UserFactory(username="root", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
    }
    client.force_login(users[who])
    response = client.get(reverse("client_detail", args=[their_client.pk]))
    assert response.status_code == 404
    assert "sister" not in response.content.decode()


@pytest.mark.django_db
def test_the_free_text_never_appears_in_lists_or_queues(client, owner_client, supervisor, their_client, answered):
    pages = [reverse("home"), reverse("caseload"), reverse("caseload_export_csv"), reverse("session_create")]
    for url in pages:
        assert "sister" not in owner_client.get(url).content.decode(), url
    client.force_login(supervisor)
    caseload = reverse("caseload") + f"?clinician={their_client.clinician_id}"
    for url in [reverse("home"), reverse("team_dashboard"), caseload]:
        assert "sister" not in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_the_free_text_is_audited_without_its_words(answered):
    event = AuditEvent.objects.get(object_type="selfreport.selfreportlink", action="update")
    assert event.changes["comment"] == "(changed)"
    assert event.actor_username.startswith("client (self-report link")
    assert not any("sister" in json.dumps(e.changes) for e in AuditEvent.objects.all())


# --- answers given before the rewrite ---------------------------------------------

BEFORE = [("selfreport", "0001_initial"), ("factors", "0006_seed_client_questions_and_discrepancy_prompts")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_self_report_answers_readable(client):
    # Today's seeded prompts include general ones (no factor) that the older schema's
    # check constraint refuses: unapplying to BEFORE would fail on a freshly migrated
    # database (it passed only after another transactional test had flushed the tables).
    # The forward migrations below seed them again.
    Prompt.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    for seed in ["0002_seed_factors", "0006_seed_client_questions_and_discrepancy_prompts"]:
        importlib.import_module(f"factors.migrations.{seed}").seed(old, None)  # idempotent; tables may be flushed
    factor = {f.key: f for f in old.get_model("factors", "Factor").objects.all()}
    # The record's own tables are not migrated here: made with today's models, linked by id.
    clinician = UserFactory(username="dana")
    person = ClientFactory(clinician=clinician, label="K.L.")
    session = TherapySession.objects.create(client=person, date=timezone.localdate() - timedelta(days=2))
    link = old.get_model("selfreport", "SelfReportLink").objects.create(
        session_id=session.pk,
        token_hash="0" * 64,
        created_by_id=clinician.pk,
        expires_at=timezone.now(),
        used_at=timezone.now(),
    )
    rating = old.get_model("selfreport", "SelfReportRating")
    for key, score in [("communication", 2), ("openness", 5), ("setting", None)]:
        rating.objects.create(link=link, factor=factor[key], score=score)

    executor = MigrationExecutor(connection)  # the graph as it is now
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert SelfReportRating.objects.latest_by_session(person.pk) == {
        session.pk: {"communication": 2, "openness": 5, "setting": None}
    }
    answered = Question.objects.get(key="communication", active=False)
    assert answered.text == "How well did your therapist listen to and understand what you said today?"
    assert Question.objects.get(key="communication", active=True).text != answered.text
    client.force_login(clinician)
    html = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "K.L.'s self-report on the session" in html


# --- the self-report section of the client page (selfreport_tags.self_report_section) --


def _link(session, clinician, made, answered=None, comment="", scores=None):
    """A link made `made` minutes ago, answered `answered` minutes ago (or not) with `scores`."""
    link, _ = SelfReportLink.create_for(session, clinician)
    now = timezone.now()
    SelfReportLink.objects.filter(pk=link.pk).update(
        created_at=now - timedelta(minutes=made),
        used_at=None if answered is None else now - timedelta(minutes=answered),
        comment=comment,
    )
    questions = {q.key: q for q in Question.objects.filter(active=True)}
    SelfReportRating.objects.bulk_create(
        SelfReportRating(link=link, question=questions[key], score=score) for key, score in (scores or {}).items()
    )
    return link


@pytest.mark.django_db
def test_the_client_page_lists_the_five_newest_links_newest_first(owner_client, owner, their_client):
    sessions = [
        TherapySessionFactory(client=their_client, date=timezone.localdate() - timedelta(days=d)) for d in (9, 2)
    ]
    links = [_link(sessions[n % 2], owner, made=100 - 10 * n) for n in range(7)]  # the last made is the newest
    shown = owner_client.get(reverse("client_detail", args=[their_client.pk])).context["self_report"].links
    assert [k.pk for k in shown] == [k.pk for k in reversed(links)][:5]


@pytest.mark.django_db
def test_the_own_words_shown_are_those_of_the_latest_answered_link_of_the_session(
    owner_client, owner, their_client, django_assert_num_queries
):
    """An earlier answer set of the same session keeps its own words under "Earlier answers"."""
    session = TherapySessionFactory(client=their_client, date=timezone.localdate() - timedelta(days=1))
    first = _link(session, owner, made=60, answered=50, comment="The first time.", scores={"communication": 2})
    answer_measure(session, total=14, source=MeasureResponse.Source.CLIENT, link=first)
    _link(session, owner, made=40, answered=30, comment="Second thoughts.", scores={"communication": 4})
    _link(session, owner, made=20)  # made after, never answered
    refresh_flags(their_client)
    url = reverse("client_detail", args=[their_client.pk])
    # 1 session, 2 user, 3 client, 4 the audit row, 5 factors, 6 session count, 7 sessions of the
    # page, 8-10 the series (ratings, self-reports, sessions), 11 stored flags, 12 their marks,
    # 13-15 the measure responses, the instruments in use and their bands, 16 tried prompts,
    # 17 review notes, 18 the heat map's ratings; the self-report section: 19 the links, 20 the
    # earlier set's ratings with their questions, 21 its progress measures with their
    # instruments, 22 the question names (20-22 only because answers are shown)
    with django_assert_num_queries(22):
        response = owner_client.get(url)
    section = response.context["self_report"]
    assert section.words == "Second thoughts."
    assert [k.comment for k in section.superseded] == ["The first time."]
    html = response.content.decode().split('id="self-report"')[1]
    assert html.index("Second thoughts.") < html.index("Earlier answers, no longer counted (1)")
    assert "The first time." in html.split("Earlier answers")[1]
    assert "PHQ-9 14" in html.split("Earlier answers")[1]  # the measures answered with them too
    listed = re.findall(r"<li>Session of [^<]*</li>", html)
    assert [("no longer counted" in item) for item in listed] == [False, False, True]  # newest first
    # Two answer sets of one session: each says when it came (date and time), as its safety alert would.
    # (Django's time format: "6:03 p.m.", or "6 p.m." on the hour, "noon", "midnight".)
    at = r", (\d{1,2}(:\d{2})? [ap]\.m\.|noon|midnight)"
    assert [bool(re.search(at, item)) for item in listed] == [False, True, True]
    assert re.search(r"answered [^<]*" + at, html.split("Earlier answers")[1])
