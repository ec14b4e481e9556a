"""The flag refresh after every kind of write (a new session, a back-dated one, an
edited one, a voided one) leaves exactly the flags a recomputation from nothing
writes: it walks the series once and rewrites only the rows that changed, and
neither may change what is stored. A new session after the latest one takes up
the stored walk (clients.models.FlagWalk) and reads only itself: that path too
must leave what a recomputation leaves."""

import json
import random
from datetime import timedelta
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import recording
from clients.models import FlagWalk, TherapySession
from clients.recording import refresh_flags, save_session, void_session
from factors.models import Factor
from flags import rules, state
from flags.models import Flag, FlagReview
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests import teams
from tests.factories import ClientFactory, UserFactory, mark_flag
from tests.measure_data import answer as answer_measure

pytestmark = pytest.mark.django_db
supervisor, owner = teams.supervisor, teams.owner
FIELDS = [f.attname for f in Flag._meta.concrete_fields if f.name != "id"]


def stored(client):
    return sorted(Flag.objects.filter(client=client).values_list(*FIELDS))


def recomputed(client):
    """The flags a refresh writes for the client when none are stored."""
    Flag.objects.filter(client=client).delete()
    refresh_flags(client)
    return stored(client)


def ratings(rng, factors, level):
    return {f: (None if rng.random() < 0.1 else max(1, min(5, round(level + rng.gauss(0, 0.8)))), "") for f in factors}


@pytest.fixture
def taken_up(monkeypatch):
    """Counts the saves that took up the stored walk instead of walking the whole series."""
    calls = []
    load = state.load

    def counting(*args):
        calls.append(args)
        return load(*args)

    monkeypatch.setattr(state, "load", counting)
    return calls


@pytest.fixture
def walked(monkeypatch):
    """The number of sessions each refresh read."""
    reads = []
    series = recording._series  # what refresh_flags reads: the points and their stored co-ratings

    def counting(*args):
        points, stored = series(*args)
        reads.append(len(points))
        return points, stored

    monkeypatch.setattr(recording, "_series", counting)
    return reads


SESSION_WRITES = ("new", "back-dated", "edit", "void")


def write_sessions(rng, action, client, clinician, sessions, step, used, rate):
    """One of the random walks' session writes (SESSION_WRITES) at `step`: a new session a week
    after the last, a back-dated one, an edit or a void of a counted one, rated by `rate()`.
    False when the day drawn already has a session (nothing written)."""
    if action == "edit":
        save_session(rng.choice(sessions), rate())
    elif action == "void":
        void_session(rng.choice(sessions), clinician, "logged in error")
    else:
        day = step * 7 if action == "new" else rng.randrange(0, step * 7 + 1)
        if day in used:
            return False
        used.add(day)
        date = timezone.localdate() - timedelta(days=400 - day)
        save_session(TherapySession(client=client, date=date, setting="online"), rate())
    return True


@pytest.mark.parametrize("seed", range(4))
def test_flags_after_new_back_dated_edited_and_voided_sessions_equal_a_recomputation(seed, taken_up):
    rng = random.Random(seed)
    clinician = UserFactory()
    client = ClientFactory(clinician=clinician)
    factors = list(Factor.objects.in_form_order())
    used, level = set(), 4.0
    for step in range(40):
        level = max(1.5, min(4.8, level + rng.gauss(0, 0.7)))
        sessions = list(client.sessions.counted().order_by("date", "pk"))
        action = rng.choices(["new", "back-dated", "edit", "void"], weights=[6, 2, 2, 1])[0] if sessions else "new"
        rate = partial(ratings, rng, factors, level)
        if not write_sessions(rng, action, client, clinician, sessions, step, used, rate):
            continue
        assert stored(client) == recomputed(client), (step, action)
    assert len(taken_up) >= 5  # most new sessions took up the stored walk


def test_a_new_latest_session_reads_only_itself_and_a_back_dated_one_the_whole_series(walked):
    client = ClientFactory(clinician=UserFactory())
    factors = list(Factor.objects.in_form_order())
    today = timezone.localdate()
    for n in range(30):
        save_session(
            TherapySession(client=client, date=today - timedelta(days=100 - n), setting="online"),
            {f: (1 + (n * f.pk) % 5, "") for f in factors},
        )
    assert walked == [1] * 30  # the first walked its whole (one-session) series, the others took up the walk
    walked.clear()
    save_session(
        TherapySession(client=client, date=today - timedelta(days=200), setting="online"), {f: (2, "") for f in factors}
    )
    assert walked == [31]
    client.refresh_from_db()
    assert (client.session_count, FlagWalk.objects.get(client=client).data["position"]) == (31, 31)
    assert stored(client) == recomputed(client)


def answer(session, clinician, scores):
    """The client answers a self-report link for `session` ({question: score or None})."""
    link, _ = SelfReportLink.create_for(session, clinician)
    SelfReportLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    SelfReportRating.objects.bulk_create(SelfReportRating(link=link, question=q, score=v) for q, v in scores.items())
    refresh_flags(session.client)


def test_a_long_self_reported_history_keeps_a_small_walk_and_the_flags_of_a_recomputation(taken_up):
    """Every self-reported session stays in the stored walk (the client's own voice is
    re-read from it when the marks change), one character per factor: the walk of a
    client who answered 40 times stays a few kilobytes, and the saves that take it up
    leave the flags a recomputation leaves, client concerns and discrepancies included
    (and the off-track flag that names the open ones)."""
    rng = random.Random(7)
    clinician = UserFactory()
    client = ClientFactory(clinician=clinician)
    factors = list(Factor.objects.in_form_order())
    questions = list(Question.objects.filter(active=True))  # "goals" and "overall" are about no factor
    today = timezone.localdate()
    answered = 0
    for n in range(40):
        session = TherapySession(client=client, date=today - timedelta(days=300 - 7 * n), setting="online")
        save_session(session, ratings(rng, factors, 4.0))
        theirs = {q: rng.choice([None, 1, 2, 3, 4, 5]) for q in questions[: rng.randrange(1, len(questions) + 1)]}
        answer(session, clinician, theirs)
        answered += any(v is not None for v in theirs.values())
        if n % 4 == 0:  # a PHQ-9 going up: off track, and "alliance weak too" reads the open client concerns
            answer_measure(session, total=min(23, 10 + n // 3))
            refresh_flags(client)
        assert stored(client) == recomputed(client), n
    kinds = set(Flag.objects.filter(client=client).values_list("kind", flat=True))
    assert {"client_concern", "discrepancy", "off_track"} <= kinds
    data = FlagWalk.objects.get(client=client).data
    assert len(data["answered"]) == answered > 30
    assert all(isinstance(ours, str) for _, _, ours, _ in data["answered"])
    others = {k for _, _, _, theirs in data["answered"] if isinstance(theirs, list) for k in theirs[1]}
    assert others == {"goals", "overall"}
    assert len(json.dumps(data["answered"])) < 40 * 80  # the dict form took about 500 bytes a session
    taken_up.clear()
    for n in range(3):
        session = TherapySession(client=client, date=today - timedelta(days=2 - n), setting="online")
        save_session(session, ratings(rng, factors, 2.0))
        assert stored(client) == recomputed(client), n
    assert len(taken_up) == 3


def test_a_walk_stored_with_ratings_by_name_is_still_taken_up():
    """Walks stored before the compact form (ratings as {factor: value}) load to the same walk."""
    domain_of = dict(Factor.objects.values_list("key", "domain"))
    keys = sorted(domain_of)
    t = rules.Thresholds()
    walk = rules.Walk(t, domain_of)
    rng = random.Random(3)
    for n in range(12):
        ours = {k: rng.choice([None, 1, 2, 3, 4, 5]) for k in keys if rng.random() < 0.9}
        theirs = {k: rng.choice([None, 1, 2, 5]) for k in keys[:5] if rng.random() < 0.7}
        walk.feed(
            rules.Point(
                id=n + 1, date=timezone.localdate() - timedelta(days=99 - n), ratings=ours, client_ratings=theirs
            )
        )
    data = state.dump(walk)
    legacy = {
        **data,
        "answered": [[p.id, p.date.isoformat(), dict(p.ratings), dict(p.client_ratings)] for p in walk.answered],
    }
    assert data["answered"] != legacy["answered"]
    for stored_form in (data, legacy):
        loaded = state.load(json.loads(json.dumps(stored_form)), t, domain_of)
        assert loaded.answered == walk.answered
        assert state.dump(loaded) == data
        assert loaded.flags() == [f for f in walk.flags() if f not in walk.closed]  # closed ones are stored as rows


def test_off_track_names_the_alliance_factors_in_the_order_of_a_recomputation_after_a_taken_up_save(taken_up):
    """An open off-track flag names the relationship factors of the open client concerns
    and weak ratings ("alliance weak too"), in the order the walk gives them: client
    concerns before low factors. A save that takes up the walk reads the open client
    concerns back from their rows, after the walk's low factors: the order must not change."""
    clinician = UserFactory()
    client = ClientFactory(clinician=clinician)
    factors = list(Factor.objects.in_form_order())
    asked = {q.factor.key: q for q in Question.objects.active() if q.factor_id}
    relationship = sorted(f.key for f in factors if f.domain in ("therapist", "client") and f.key in asked)
    concern_on, low_on = relationship[0], relationship[1]  # a concern on one factor, a low rating of another
    today = timezone.localdate()

    def rate(n):
        session = TherapySession(client=client, date=today - timedelta(days=30 - 7 * n), setting="online")
        save_session(session, {f: (1 if f.key == low_on else 4, "") for f in factors})
        return session

    first = rate(0)
    answer_measure(first, total=8)
    second = rate(1)
    answer_measure(second, total=20)  # reliably worse: off track
    answer(second, clinician, {q: (1 if key == concern_on else 4) for key, q in asked.items()})
    off_track = Flag.objects.get(client=client, kind="off_track", status="open")
    assert off_track.factor_keys == [concern_on, low_on]  # a whole walk: the client concern first
    taken_up.clear()
    rate(2)  # a new latest session, not rated by the client: the walk is taken up
    assert len(taken_up) == 1
    off_track = Flag.objects.get(client=client, kind="off_track", status="open")
    assert stored(client) == recomputed(client), off_track.factor_keys


@pytest.mark.parametrize("seed", range(6))
def test_every_write_path_in_any_order_leaves_the_flags_of_a_recomputation(seed, client, owner, supervisor):
    """New, back-dated, edited and voided sessions, self-report answers, marks posted through
    the view (discussed, reviewed) and PHQ-9 answers, mixed at random (a review found the
    voice's order after a taken-up save with a longer run of this)."""
    rng = random.Random(seed)
    c = ClientFactory(clinician=owner)
    factors = list(Factor.objects.in_form_order())
    questions = list(Question.objects.active())
    used, level = set(), 3.0
    for step in range(45):
        level = max(1.5, min(4.8, level + rng.gauss(0, 0.8)))
        sessions = list(c.sessions.counted().order_by("date", "pk"))
        action = (
            rng.choices(
                ["new", "back-dated", "edit", "void", "answer", "discussed", "reviewed", "measure"],
                weights=[8, 1, 1, 0.5, 3, 2, 1, 2],
            )[0]
            if sessions
            else "new"
        )
        if action in SESSION_WRITES:
            if not write_sessions(rng, action, c, owner, sessions, step, used, partial(ratings, rng, factors, level)):
                continue
        elif action == "answer":
            answer(rng.choice(sessions[-3:]), owner, {q: rng.choice([None, 1, 2, 3, 4, 5]) for q in questions})
        elif action == "measure":
            answer_measure(rng.choice(sessions[-2:]), total=rng.randrange(5, 24))
            refresh_flags(c)
        else:
            kinds = (
                ["client_concern", "discrepancy"] if rng.random() < 0.8 else ["low_factor", "persistent", "off_track"]
            )
            opened = list(Flag.objects.filter(client=c, status="open", kind__in=kinds))
            if not opened:
                continue
            who = owner if action == "discussed" else supervisor
            client.force_login(who)
            r = client.post(reverse("flag_mark", args=[c.pk, action]), {"key": rng.choice(opened).key})
            assert r.status_code == 302
        assert stored(c) == recomputed(c), (step, action)


def test_a_discussed_mark_written_without_a_refresh_is_read_at_the_next_save(owner):
    """Every writer of marks refreshes the flags today; a save that takes up the walk still
    re-reads the client's voice when the "discussed" marks differ from the walk's."""
    client = ClientFactory(clinician=owner)
    factors = list(Factor.objects.in_form_order())
    communication = Question.objects.get(active=True, key="communication")
    today = timezone.localdate()
    for n in range(4):
        session = TherapySession(client=client, date=today - timedelta(days=30 - 7 * n), setting="online")
        save_session(session, {f: (4, "") for f in factors})
        answer(session, owner, {communication: 1})
    concern = Flag.objects.get(client=client, kind="client_concern", status="open")
    mark_flag(
        client, concern, owner, FlagReview.Action.DISCUSSED, as_of_session=client.sessions.order_by("-date").first()
    )
    save_session(TherapySession(client=client, date=today, setting="online"), {f: (4, "") for f in factors})
    assert Flag.objects.get(key=concern.key).closed_reason == "discussed"
    assert stored(client) == recomputed(client)
