"""The numbers on the supervisor dashboard and the home page's queue.

Each function issues a fixed number of queries whatever the team's size:
the SQL lives in QuerySet methods (clients.models), the arithmetic here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import fmean

from django import forms
from django.db.models import Avg, F
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User
from clients import insights
from clients.models import TherapySession
from factors import scoring
from factors.models import Domain
from supervision.models import ReviewNote

QUEUE_PAGE_SIZE = 25
TREND_WEEKS = 8
QUEUE_SORTS = {
    "urgency": [F("attention").desc(), F("last_session_on").desc(nulls_last=True), "label"],
    "client": ["label", "pk"],
    "clinician": ["clinician__last_name", "clinician__first_name", "label"],
    "last": [F("last_session_on").desc(nulls_last=True), "label"],
    "index": [F("latest_index").asc(nulls_last=True), "label"],
}
SORT_LABELS = [
    ("urgency", "Most urgent"),
    ("client", "Client"),
    ("clinician", "Clinician"),
    ("last", "Last session"),
    ("index", "Lowest index"),
]
KIND_CHOICES = [("", "All kinds"), *[(k, v) for k, v in scoring.KIND_LABELS.items()]]


class QueueFilterForm(forms.Form):
    """The flag queue's filters; anything not on the allow-lists is an error and ignored."""

    clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="All clinicians")
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
    domain = forms.ChoiceField(choices=[("", "All domains"), *Domain.choices], required=False)
    since_from = forms.DateField(required=False, label="Raised from", widget=forms.DateInput(attrs={"type": "date"}))
    since_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(choices=SORT_LABELS, required=False)
    sort_choices = SORT_LABELS

    def __init__(self, data, clinicians=None):
        super().__init__(data)
        if clinicians is None:
            del self.fields["clinician"]
        else:
            self.fields["clinician"].queryset = clinicians

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("since_from"), cleaned.get("since_to")
        if start and end and start > end:
            self.add_error("since_to", "The end date is before the start date.")
            cleaned.pop("since_from")  # an inverted range filters on neither end
        return cleaned

    def filters(self):
        """The valid filters, for Client.objects.flag_queue. A field with an error
        is left out of cleaned_data, so a bad value filters nothing."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "kind": data.get("kind", ""),
            "domain": data.get("domain", ""),
            "since_from": data.get("since_from"),
            "since_to": data.get("since_to"),
        }

    def chosen_sort(self):
        self.is_valid()
        return self.cleaned_data.get("sort") or "urgency"

    def chosen_clinician(self):
        self.is_valid()
        return self.cleaned_data.get("clinician")


def queue_rows(clients, today=None):
    """The queue's clients with their flags and which of them a supervisor has
    marked reviewed (one query)."""
    clients = insights.attach_flags(clients, today)
    reviewed = set(
        ReviewNote.objects.filter(client__in=clients, marks_reviewed=True).values_list("client_id", "flag_key")
    )
    for client in clients:
        client.reviewed_keys = {key for cid, key in reviewed if cid == client.pk}
    return clients


@dataclass
class ClinicianRow:
    clinician: User
    active_clients: int = 0
    sessions_30d: int = 0
    mean_index: float | None = None
    trend: float | None = None  # mean change of each client's latest index over 30 days
    open_flags: int = 0
    weekly: list = field(default_factory=list)  # mean index per week, oldest first, for a sparkline


def team_overview(clinicians, clients, today=None):
    """One row per clinician. `clients` is Client.objects.for_dashboard(...)."""
    today = today or timezone.localdate()
    rows = {c.pk: ClinicianRow(clinician=c) for c in clinicians}
    latest, changes = defaultdict(list), defaultdict(list)
    for client in clients:
        row = rows.get(client.clinician_id)
        if row is None:
            continue
        row.active_clients += 1
        row.sessions_30d += client.sessions_30d
        row.open_flags += client.open_flag_count + (1 if client.stalled_flag(today) else 0)
        if client.latest_index is not None:
            latest[row.clinician.pk].append(client.latest_index)
            if client.index_30d_ago is not None:
                changes[row.clinician.pk].append(client.latest_index - client.index_30d_ago)
    weekly = (
        TherapySession.objects.filter(
            client__in=[c.pk for c in clients], date__gte=today - timedelta(weeks=TREND_WEEKS)
        )
        .annotate(week=TruncWeek("date"))
        .values("client__clinician_id", "week")
        .annotate(mean=Avg("overall_score"))
        .order_by("week")
    )
    for item in weekly:
        if item["mean"] is not None and item["client__clinician_id"] in rows:
            rows[item["client__clinician_id"]].weekly.append(_WeekPoint(item["mean"]))
    for pk, row in rows.items():
        row.mean_index = round(fmean(latest[pk]), 1) if latest[pk] else None
        row.trend = round(fmean(changes[pk]), 1) if changes[pk] else None
    return list(rows.values())


@dataclass
class _WeekPoint:
    overall_score: float  # the name the sparkline tag reads
