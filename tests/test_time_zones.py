"""The user's own "today": each user's time zone, at both edges of the date line.

The organisation's zone (settings.TIME_ZONE) is UTC in the suite. The clock is
frozen (time-machine) at a local hour of *today* in a far zone, so the UTC
date and the user's date differ by one.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from clients.models import Client, TherapySession
from factors.models import Factor
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

pytestmark = pytest.mark.django_db

SYDNEY, KIRITIMATI, PAGO_PAGO = "Australia/Sydney", "Pacific/Kiritimati", "Pacific/Pago_Pago"  # UTC+10/11, +14, -11


def local_moment(zone, hour):
    """Today's date (in the organisation's zone) at `hour` o'clock in `zone`."""
    return datetime.combine(timezone.localdate(), time(hour), tzinfo=ZoneInfo(zone))


def logged_in(zone):
    """A clinician working in `zone`, logged in (inside the frozen clock), with one client."""
    user = UserFactory(username=f"clinician-{zone}", time_zone=zone)
    ClientFactory(clinician=user, label="J.M.", intake_date=timezone.localdate() - timedelta(days=365))
    http = HttpClient()
    http.force_login(user)
    return http, user


def session_data(client, day):
    keys = Factor.objects.values_list("key", flat=True)
    return {
        "client": client.pk,
        "date": day.isoformat(),
        "setting": "in_person",
        **{f"score_{key}": "4" for key in keys},
        **{f"note_{key}": "" for key in keys},
    }


@pytest.mark.parametrize(("zone", "hour"), [(SYDNEY, 6), (KIRITIMATI, 6), (KIRITIMATI, 13)])
def test_a_clinician_east_of_utc_logs_todays_session_early_in_their_morning(zone, hour):
    moment = local_moment(zone, hour)
    with time_machine.travel(moment, tick=False):
        local_today = moment.date()
        assert timezone.now().date() == local_today - timedelta(days=1)  # still yesterday in UTC
        http, user = logged_in(zone)
        form = http.get(reverse("session_create"))
        assert form.context["form"]["date"].value() == local_today  # the form offers their today
        response = http.post(reverse("session_create"), session_data(user.clients.get(), local_today))
        assert response.status_code == 302, response.context["form"].errors
        assert TherapySession.objects.get().date == local_today


def test_the_same_moment_in_the_organisations_zone_is_still_yesterday():
    moment = local_moment(SYDNEY, 6)
    with time_machine.travel(moment, tick=False):
        http, user = logged_in("UTC")
        response = http.post(reverse("session_create"), session_data(user.clients.get(), moment.date()))
        assert response.status_code == 200
        assert "cannot be in the future" in response.content.decode()
        assert not TherapySession.objects.exists()


def test_a_clinician_in_pago_pago_cannot_log_tomorrow_in_utc_terms():
    moment = local_moment(PAGO_PAGO, 20)  # 07:00 UTC the next day
    with time_machine.travel(moment, tick=False):
        utc_today = timezone.now().date()
        assert utc_today == moment.date() + timedelta(days=1)
        http, user = logged_in(PAGO_PAGO)
        client = user.clients.get()
        refused = http.post(reverse("session_create"), session_data(client, utc_today))
        assert refused.status_code == 200
        assert "The session date cannot be in the future." in refused.content.decode()
        assert not TherapySession.objects.exists()
        accepted = http.post(reverse("session_create"), session_data(client, moment.date()))
        assert accepted.status_code == 302
        assert TherapySession.objects.get().date == moment.date()


@pytest.mark.parametrize(("zone", "hour", "accepted"), [(KIRITIMATI, 6, True), (PAGO_PAGO, 20, False)])
def test_the_intake_date_is_checked_against_the_users_today(zone, hour, accepted):
    moment = local_moment(zone, hour)
    with time_machine.travel(moment, tick=False):
        day = moment.date() if accepted else timezone.now().date()  # their today / UTC's today (their tomorrow)
        http, _ = logged_in(zone)
        data = {
            "label": "New",
            "intake_date": day.isoformat(),
            "status": "active",
            "attachment_style": "unknown",
            "usual_setting": "in_person",
            "fee_arrangement": "standard",
        }
        response = http.post(reverse("client_create"), data)
        assert Client.objects.filter(label="New").exists() == accepted
        if not accepted:
            assert "The intake date cannot be in the future." in response.content.decode()


@pytest.mark.parametrize(("zone", "days", "stalled"), [(KIRITIMATI, 21, True), ("UTC", 20, False)])
def test_stalled_and_days_ago_count_from_the_users_today(zone, days, stalled):
    """Last session 20 days before the UTC date: in Kiritimati it is already 21 days,
    the stalled threshold."""
    moment = local_moment(KIRITIMATI, 6)
    with time_machine.travel(moment, tick=False):
        http, user = logged_in(zone)
        client = user.clients.get()
        TherapySessionFactory(client=client, date=timezone.localdate() - timedelta(days=20))
        html = http.get(reverse("caseload")).content.decode()
        assert f"{days} days ago" in html
        assert ("Stalled" in html) == stalled
        queue = http.get(reverse("home")).context["rows"]  # the flag queue on the home page
        assert [c.label for c in queue] == (["J.M."] if stalled else [])
        page = http.get(reverse("client_detail", args=[client.pk]))
        assert any(f.kind == "stalled" for f in page.context["insight"].flags) == stalled


def test_the_team_dashboard_counts_stalled_clients_in_the_supervisors_zone():
    moment = local_moment(KIRITIMATI, 6)
    with time_machine.travel(moment, tick=False):
        supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR, time_zone=KIRITIMATI)
        team = Team.objects.create(name="Line islands", supervisor=supervisor)
        clinician = UserFactory(username="member", team=team)
        client = ClientFactory(clinician=clinician, label="Q.Q.")
        TherapySessionFactory(client=client, date=timezone.localdate() - timedelta(days=20), default_score=4)
        http = HttpClient()
        http.force_login(supervisor)
        response = http.get(reverse("team_dashboard"))
        [row] = response.context["overview"]
        assert row.open_flags == 1  # stalled, by Kiritimati's date
        assert "Q.Q." in response.content.decode()


def test_times_shown_to_a_user_are_in_their_zone():
    moment = local_moment(KIRITIMATI, 6)
    with time_machine.travel(moment, tick=False):
        http, _ = logged_in(KIRITIMATI)
        html = http.get(reverse("profile")).content.decode()
        assert "Pacific/Kiritimati" in html
        assert "<strong>06:00</strong>" in html


def test_the_zone_does_not_outlive_the_request():
    http, _ = logged_in(KIRITIMATI)
    http.get(reverse("caseload"))
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_zone_this_server_does_not_know_falls_back_to_the_organisations():
    http, user = logged_in(KIRITIMATI)
    User.objects.filter(pk=user.pk).update(time_zone="Mars/Olympus_Mons")
    assert http.get(reverse("caseload")).status_code == 200


# --- the profile page ------------------------------------------------------------------


def test_a_new_user_starts_in_the_organisations_zone(settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    assert UserFactory(username="new").time_zone == "Europe/Lisbon"


def test_a_user_sets_their_time_zone_from_the_nav(owner_client, owner):
    home = owner_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("profile")}"' in home
    page = owner_client.get(reverse("profile"))
    assert page.status_code == 200
    assert '<optgroup label="Pacific">' in page.content.decode()
    response = owner_client.post(reverse("profile"), {"time_zone": SYDNEY}, follow=True)
    assert "Your time zone is now Australia/Sydney." in response.content.decode()
    owner.refresh_from_db()
    assert owner.time_zone == SYDNEY


@pytest.mark.parametrize(
    "value", ["", "Mars/Olympus_Mons", "localtime", "Factory", "A\x00B", "<script>x</script>", "x" * 100_000]
)
def test_a_time_zone_not_in_the_list_is_refused(owner_client, owner, value):
    before = owner.time_zone
    response = owner_client.post(reverse("profile"), {"time_zone": value})
    assert response.status_code == 200
    assert "Choose a time zone from the list." in response.content.decode() or "This field is required." in (
        response.content.decode()
    )
    owner.refresh_from_db()
    assert owner.time_zone == before


def test_changing_ones_zone_touches_nothing_else(owner_client, owner):
    User.objects.filter(pk=owner.pk).update(first_name="Changed elsewhere")
    owner_client.post(reverse("profile"), {"time_zone": PAGO_PAGO})
    owner.refresh_from_db()
    assert (owner.time_zone, owner.first_name) == (PAGO_PAGO, "Changed elsewhere")
