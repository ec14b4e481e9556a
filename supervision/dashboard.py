"""The numbers on the supervisor dashboard and the home page's queue.

Each function issues a fixed number of queries whatever the team's size:
the SQL lives in QuerySet methods (clients.models), the arithmetic here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import fmean

from django import forms
from django.db.models import Avg, Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncWeek
from django.utils import timezone

from accounts.models import User
from calibration import pairs
from calibration.agreement import Agreement
from clients import insights, progress
from clients.forms import QuickSelect
from clients.models import Client, TherapySession
from factors.kinds import URGENCY, FlagKind
from factors.models import Domain
from flags.models import Flag, FlagReview

QUEUE_PAGE_SIZE = 25
TREND_WEEKS = 8
QUEUE_SORTS = {
    # Reviewed flags sort below the others of the same urgency (`pending`).
    "urgency": [F("attention").desc(), F("pending").desc(), F("last_session_on").desc(nulls_last=True), "label"],
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
KIND_CHOICES = [("", "All kinds"), *FlagKind.choices]
REVIEW_CHOICES = [("pending", "Not yet reviewed"), ("reviewed", "Reviewed"), ("all", "All")]


class QueueFilterForm(forms.Form):
    """The flag queue's filters; anything not on the allow-lists is an error and ignored."""

    # The selects are drawn in Python (clients.forms.QuickSelect, the markup Django's Select gives):
    # the dashboard draws the form on every view.
    clinician = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="All clinicians", widget=QuickSelect
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False, label="Flag", widget=QuickSelect)
    domain = forms.ChoiceField(choices=[("", "All domains"), *Domain.choices], required=False, widget=QuickSelect)
    since_from = forms.DateField(required=False, label="Raised from", widget=forms.DateInput(attrs={"type": "date"}))
    since_to = forms.DateField(required=False, label="Raised to", widget=forms.DateInput(attrs={"type": "date"}))
    review = forms.ChoiceField(choices=REVIEW_CHOICES, required=False, label="Review", widget=QuickSelect)
    sort = forms.ChoiceField(
        choices=SORT_LABELS, required=False, label="Sort by", initial="urgency", widget=QuickSelect
    )
    sort_choices = SORT_LABELS

    def __init__(self, data, clinicians=None, default_review="pending"):
        # A filter the request leaves out takes the page's default: it is the one selected (not
        # the first option), and an Apply that changes nothing is no filter (changed_data).
        missing = {name: value for name, value in (("review", default_review), ("sort", "urgency")) if name not in data}
        if missing:
            data = data.copy()
            for name, value in missing.items():
                data[name] = value
        super().__init__(data)
        self.default_review = default_review
        self.fields["review"].initial = default_review
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

    @property
    def in_use(self):
        """How many filters narrow the queue beyond the page's defaults (refused ones left out)."""
        self.is_valid()
        return sum(1 for name in self.changed_data if name in self.cleaned_data)  # refused ones are not in it

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
            "review": data.get("review") or self.default_review,
        }

    def chosen_sort(self):
        self.is_valid()
        return self.cleaned_data.get("sort") or "urgency"

    def ordering(self):
        """The queue's order; "most urgent" among unreviewed flags ranks by the most urgent unreviewed one."""
        sort = self.chosen_sort()
        if sort == "urgency" and self.filters()["review"] == "pending":
            return [F("pending").desc(), *QUEUE_SORTS["urgency"]]
        return QUEUE_SORTS[sort]

    def chosen_clinician(self):
        self.is_valid()
        return self.cleaned_data.get("clinician")


def flag_queue(clients, kind="", domain="", since_from=None, since_to=None, review="pending", today=None):
    """The flag queue's named query: the `clients` (already scoped) with an open
    flag matching every filter (kind, a factor in `domain`, raised between the
    dates, reviewed or not), "stalled" included, with their summaries, their
    open flags and `pending`, the urgency of their most urgent unreviewed flag."""
    today = today or timezone.localdate()
    flags = Flag.objects.in_queue().filter(client=OuterRef("pk"))
    if kind and kind != FlagKind.STALLED:
        flags = flags.filter(kind=kind)
    if domain:
        flags = flags.filter(domains__contains=domain)
    if since_from:
        flags = flags.filter(since__gte=since_from)
    if since_to:
        flags = flags.filter(since__lte=since_to)
    stalled_reviewed = Exists(
        FlagReview.objects.reviews().filter(client=OuterRef("pk"), kind=FlagKind.STALLED, since=OuterRef("idle_since"))
    )
    stalled = Client.objects.stalled(today)
    if since_from:
        stalled &= Q(idle_since__gte=since_from)
    if since_to:
        stalled &= Q(idle_since__lte=since_to)
    if review == "pending":
        flags, stalled = flags.pending_review(), stalled & ~stalled_reviewed  # open safety alerts stay
    elif review == "reviewed":
        flags, stalled = flags.filter(reviewed_at__isnull=False), stalled & stalled_reviewed
    if kind == FlagKind.STALLED:
        match = stalled if not domain else Q(pk__in=[])
    elif kind or domain:
        match = Exists(flags)
    else:
        match = Exists(flags) | stalled
    unreviewed = Flag.objects.in_queue().pending_review().filter(client=OuterRef("pk")).order_by("-urgency")
    stalled_pending = Case(
        When(Client.objects.stalled(today) & ~stalled_reviewed, then=Value(URGENCY[FlagKind.STALLED])),
        default=Value(0),
    )
    return (
        clients.with_summary(today)
        .filter(match)
        .annotate(
            pending=Greatest(
                Coalesce(Subquery(unreviewed.values("urgency")[:1], output_field=IntegerField()), Value(0)),
                stalled_pending,
            )
        )
        .prefetch_related(Prefetch("flags", queryset=Flag.objects.in_queue(), to_attr="open_flags"))
    )


def queue_rows(clients, today=None, filters=None):
    """The queue's clients with their flags, most urgent first (no query); with the queue's
    `filters` (QueueFilterForm.filters), the flags that match them come first, so a row of a
    filtered queue leads with (and its first "Mark reviewed" is for) what it was found by."""
    rows = insights.attach_flags(clients, today)
    if filters and any(filters.get(name) for name in ("kind", "domain", "since_from", "since_to")):
        for client in rows:  # stable sorts: urgency order kept within each group
            client.flag_list.sort(key=lambda f: not matches(f, **filters))
            client.flag_cards.sort(key=lambda c: not any(matches(f, **filters) for f in [c.flag, *c.members]))
    return rows


def matches(flag, kind="", domain="", since_from=None, since_to=None, review="all"):
    """Whether one open flag (stored, or "stalled") meets the queue's filters, as flag_queue reads them."""
    reviewed = getattr(flag, "reviewed_at", None) is not None
    return (
        (not kind or flag.kind == kind)
        and (not domain or domain in (getattr(flag, "domains", "") or "").split())
        and (not since_from or flag.since >= since_from)
        and (not since_to or flag.since <= since_to)
        and (review != "pending" or not reviewed or flag.kind == FlagKind.SAFETY)
        and (review != "reviewed" or reviewed)
    )


def team_flag_counts(supervisor, today=None):
    """(open flags, of which not yet reviewed) across the team's active clients (four queries at most)."""
    today = today or timezone.localdate()
    clients = Client.objects.supervised_by(supervisor).active()
    stored = Flag.objects.in_queue().filter(client__in=clients)
    open_count = stored.count()
    pending = stored.pending_review().count()
    stalled = list(clients.filter(Client.objects.stalled(today)).values_list("pk", "idle_since"))
    reviewed_stalled = (
        set(
            FlagReview.objects.reviews()
            .filter(client_id__in=[pk for pk, _ in stalled], kind=FlagKind.STALLED)
            .values_list("client_id", "since")
        )
        if stalled
        else set()
    )
    return open_count + len(stalled), pending + sum(1 for item in stalled if item not in reviewed_stalled)


@dataclass
class ClinicianRow:
    clinician: User
    active_clients: int = 0
    sessions_30d: int = 0
    mean_index: float | None = None
    trend: float | None = None  # mean change of each client's latest index over 30 days
    open_flags: int = 0
    weekly: list = field(default_factory=list)  # mean index per week, oldest first, for a sparkline
    # Calibration: ratings against clients' self-reports and against observers; the mean
    # difference, its interval and the counts only (calibration.agreement.summary).
    against_clients: Agreement | None = None
    against_observers: Agreement | None = None


def team_overview(clinicians, clients, today=None):
    """One row per clinician. `clients` is Client.objects.for_dashboard(...): the active
    clients of `clinicians` (the weekly trend reads their sessions by clinician)."""
    today = today or timezone.localdate()
    rows = {c.pk: ClinicianRow(clinician=c) for c in clinicians}
    latest, changes = defaultdict(list), defaultdict(list)
    for client in clients:
        row = rows.get(client.clinician_id)
        if row is None:
            continue
        row.active_clients += 1
        row.sessions_30d += client.sessions_30d
        row.open_flags += client.open_flag_count + (1 if client.stalled else 0)
        if client.latest_index is not None:
            latest[row.clinician.pk].append(client.latest_index)
            if client.index_30d_ago is not None:
                changes[row.clinician.pk].append(client.latest_index - client.index_30d_ago)
    # The same sessions as those of `clients` (the active clients of these clinicians), read
    # from the clinicians' clients by index rather than through a list of every client's id.
    weekly = (
        TherapySession.objects.counted()
        .filter(
            client__clinician_id__in=list(rows),
            client__status=Client.Status.ACTIVE,
            date__gte=today - timedelta(weeks=TREND_WEEKS),
        )
        .annotate(week=TruncWeek("date"))
        .values("client__clinician_id", "week")
        .annotate(mean=Avg("overall_score"))
        .order_by("week")
    )
    for item in weekly:
        if item["mean"] is not None and item["client__clinician_id"] in rows:
            rows[item["client__clinician_id"]].weekly.append(_WeekPoint(item["mean"]))
    # Calibration: two queries whatever the team's size, one row per co-rated session (calibration.pairs).
    for pk, (against_clients, against_observers) in pairs.summaries(rows).items():
        rows[pk].against_clients, rows[pk].against_observers = against_clients, against_observers
    for pk, row in rows.items():
        row.mean_index = round(fmean(latest[pk]), 1) if latest[pk] else None
        row.trend = round(fmean(changes[pk]), 1) if changes[pk] else None
    return list(rows.values())


@dataclass
class _WeekPoint:
    overall_score: float  # the name the sparkline tag reads


# --- Alliance x progress -----------------------------------------------------------------

# Whether the alliance is flagged: Flag.objects.about_the_alliance(), the one rule the
# off-track flag's "alliance weak too" uses as well (flags.rules.ALLIANCE_WEAK_KINDS).
FLAGGED, NOT_FLAGGED = "flags", "none"
ALLIANCE_ROWS = [(FLAGGED, "Open alliance flags"), (NOT_FLAGGED, "No open alliance flags")]


@dataclass
class AllianceProgressRow:
    """One clinician's clients (or the whole team's) counted per (alliance, progress) cell."""

    clinician: User | None
    counts: dict = field(default_factory=dict)  # (alliance, place) -> count
    total: int = 0

    def cells(self):
        """[(alliance, alliance label, place, place label, count)] in the page's order."""
        return [
            (a, a_label, p, p_label, self.counts.get((a, p), 0))
            for a, a_label in ALLIANCE_ROWS
            for p, p_label in progress.PLACES
        ]

    def by_place(self):
        """[(place, label, [(alliance, count)])]: the team grid, progress down, alliance across."""
        return [(p, label, [(a, self.counts.get((a, p), 0)) for a, _ in ALLIANCE_ROWS]) for p, label in progress.PLACES]


@dataclass
class AllianceProgress:
    team: AllianceProgressRow
    rows: list  # one AllianceProgressRow per clinician
    clients: list  # every active client of the team, with .alliance, .progress and .clinician_name
    instruments: list  # [(key, name)] of the instruments in use, for the columns of a cell's list

    def clients_in(self, alliance, place, clinician_id=None):
        return [
            c
            for c in self.clients
            if c.alliance == alliance
            and c.progress.place == place
            and (clinician_id is None or c.clinician_id == clinician_id)
        ]


def alliance_by_progress(supervisor, clinicians):
    """The "alliance x progress" view's named query: each active client of `supervisor`'s
    team placed by alliance (an open alliance flag in the queue, or none) and progress
    (improving, no change, off track, not measured: clients.progress), counted per
    clinician. Six queries whatever the team's size: the clients with an Exists for
    their alliance flags, two for the instruments' rules, the responses, the sessions."""
    flagged = Flag.objects.in_queue().about_the_alliance().filter(client=OuterRef("pk"))
    clients = list(
        Client.objects.supervised_by(supervisor)
        .active()
        .annotate(alliance_flagged=Exists(flagged))
        .only("pk", "label", "clinician_id", "latest_index")
        .order_by("label", "pk")
    )
    rules = progress.scored_rules()
    instruments = progress.names(rules)
    found = progress.for_clients([c.pk for c in clients], rules)
    names = {c.pk: str(c) for c in clinicians}
    team = AllianceProgressRow(clinician=None)
    rows = {c.pk: AllianceProgressRow(clinician=c) for c in clinicians}
    for client in clients:
        client.alliance = FLAGGED if client.alliance_flagged else NOT_FLAGGED
        client.progress = found[client.pk]
        client.clinician_name = names.get(client.clinician_id, "")
        client.measures = [(name, client.progress.get(key)) for key, name in instruments]
        cell = (client.alliance, client.progress.place)
        for row in (team, rows.get(client.clinician_id)):
            if row is not None:
                row.counts[cell] = row.counts.get(cell, 0) + 1
                row.total += 1
    return AllianceProgress(team=team, rows=list(rows.values()), clients=clients, instruments=instruments)


class CellForm(forms.Form):
    """Which cell's clients to list; a value off the allow-lists is an error and lists none."""

    alliance = forms.ChoiceField(choices=ALLIANCE_ROWS)
    progress = forms.ChoiceField(choices=progress.PLACES)
    clinician = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data, clinicians):
        super().__init__(data)
        self.fields["clinician"].choices = [("", "Whole team"), *((c.pk, str(c)) for c in clinicians)]
