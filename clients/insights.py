"""What the app tells a clinician about one client's alliance.

Glue between the database and the pure rules in factors.scoring: it gathers
a client's series, stored flags, prompts and tried prompts with a fixed
number of queries, and shapes them for the client and session pages.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.formats import date_format

from clients.models import Client, Flag, PromptTrial, Rating
from factors import scoring
from factors.models import Domain, Factor, Prompt

FOCUS_LIMIT = 5
WEAKEST_PER_COLUMN = 2


@dataclass
class FocusItem:
    prompt: Prompt
    flag: object  # a stored Flag or the time-derived scoring.Flag for "stalled"
    trial: PromptTrial | None  # set when the clinician chose it after the latest session


@dataclass
class TrialResult:
    trial: PromptTrial
    outcome: str
    before: int | None
    after: list[int]


@dataclass
class Insight:
    points: list[scoring.Point]
    flags: list  # open flags, most urgent first (stored ones plus "stalled")
    ruptures: list[Flag]  # every rupture episode, for the chart markers
    summary: scoring.Summary
    focus: list[FocusItem] = field(default_factory=list)
    trials: list[TrialResult] = field(default_factory=list)
    factor_names: dict[str, str] = field(default_factory=dict)

    @property
    def latest_session_id(self):
        return self.points[-1].id if self.points else None

    @property
    def client_view(self):
        """The latest session the client rated themselves: (point, [(factor name, ours, theirs, gap)])."""
        answered = [p for p in self.points if any(v is not None for v in p.client_ratings.values())]
        if not answered:
            return None
        latest = answered[-1]
        rows = [
            (
                self.factor_names.get(key, key),
                latest.ratings.get(key),
                theirs,
                (latest.ratings.get(key) or 0) - theirs >= 2
                if theirs is not None and latest.ratings.get(key)
                else False,
            )
            for key, theirs in latest.client_ratings.items()
        ]
        return latest, rows

    @property
    def session_dates(self):
        return {p.id: p.date for p in self.points}

    def label(self, flag):
        return flag_label(flag, self.factor_names)


def for_client(client: Client, factors: list[Factor]) -> Insight:
    """Everything the client page shows about the alliance (five queries)."""
    points = client.points()  # 2 queries
    stored = list(client.flags.all())  # 1
    flags = flags_by_urgency(client, stored)
    trials = list(client.prompt_trials.select_related("prompt__factor", "after_session", "chosen_by"))  # 1
    insight = Insight(
        points=points,
        flags=flags,
        ruptures=[f for f in stored if f.kind == Flag.Kind.RUPTURE],
        summary=scoring.summarise(points),
        factor_names={f.key: f.name for f in factors},
    )
    insight.focus = focus_prompts(flags, _prompts_for(flags), trials, insight.latest_session_id)  # 1
    insight.trials = [_trial_result(t, points) for t in trials]
    return insight


def flags_by_urgency(client, stored, today=None):
    """A client's `stored` open flags plus "stalled" if it applies, most urgent first."""
    stalled = client.stalled_flag(today)
    return scoring.by_urgency([*stored, *([stalled] if stalled else [])])


def attach_flags(clients, today=None):
    """Give each client (from a query with open_flags prefetched) a `flag_list`:
    stored and stalled, most urgent first."""
    clients = list(clients)
    for client in clients:
        client.flag_list = flags_by_urgency(client, client.open_flags, today)
    return clients


def flag_label(flag, names):
    """How a flag reads in a list: "Persistent weakness: Openness, since 3 Mar 2026"."""
    kind = scoring.KIND_LABELS[flag.kind]
    factors = ", ".join(names.get(k, k) for k in flag.factors) if flag.kind != scoring.STALLED else ""
    return f"{kind}{': ' + factors if factors else ''}, since {date_format(flag.since)}"


def _prompts_for(flags):
    """The active prompts that could answer these flags (one query)."""
    if not flags:
        return []
    kinds = {f.kind for f in flags}
    wanted = Q(applies_to__in=kinds - {scoring.STALLED}, factor__key__in={k for f in flags for k in f.factors})
    if scoring.STALLED in kinds:
        wanted |= Q(applies_to=scoring.STALLED)
    return list(Prompt.objects.active().filter(wanted).select_related("factor"))


def focus_prompts(flags, prompts, trials, latest_session_id, limit=FOCUS_LIMIT) -> list[FocusItem]:
    """At most `limit` prompts for the open flags, most urgent flag first.

    For each flag and each factor it names, one prompt of that kind: one the
    clinician already chose after the latest session, else one never tried
    with this client, else the library's first.
    """
    ticked = {t.prompt_id: t for t in trials if t.after_session_id == latest_session_id}
    tried_before = {t.prompt_id for t in trials}
    by_target: dict[tuple[str, str], list[Prompt]] = {}
    for p in prompts:
        target = ("*", p.applies_to) if p.applies_to == scoring.STALLED else (p.factor.key, p.applies_to)
        by_target.setdefault(target, []).append(p)

    def preference(p):
        return (0 if p.pk in ticked else 1 if p.pk not in tried_before else 2, p.order, p.pk)

    chosen: list[FocusItem] = []
    for flag in flags:
        targets = [("*", flag.kind)] if flag.kind == scoring.STALLED else [(k, flag.kind) for k in flag.factors]
        for target in targets:
            candidates = [p for p in by_target.get(target, []) if all(p != c.prompt for c in chosen)]
            if candidates:
                best = min(candidates, key=preference)
                chosen.append(FocusItem(prompt=best, flag=flag, trial=ticked.get(best.pk)))
            if len(chosen) == limit:
                return chosen
    return chosen


def _trial_result(trial, points) -> TrialResult:
    key = trial.prompt.factor.key if trial.prompt.factor_id else None  # a general prompt follows no factor
    anchor = (trial.after_session.date, trial.after_session_id)
    before_values = [p.ratings.get(key) for p in points if (p.date, p.id) <= anchor]
    before = next((v for v in reversed(before_values) if v is not None), None)
    after = [p.ratings.get(key) for p in points if (p.date, p.id) > anchor]
    return TrialResult(
        trial=trial,
        outcome=scoring.trial_outcome(before, after),
        before=before,
        after=[v for v in after if v is not None][:3],
    )


def chart_data(insight: Insight) -> dict:
    """The trend chart's data, rendered into the page with json_script."""
    points = insight.points
    index_of = {p.id: i for i, p in enumerate(points)}
    markers = {"rupture": [], "repair": []}
    for flag in insight.ruptures:
        start = index_of.get(flag.session_ids[0]) if flag.session_ids else None
        if start is not None:
            markers["rupture"].append({"i": start, "status": flag.status, "detail": flag.detail})
        if flag.resolved_session_id in index_of:
            markers["repair"].append({"i": index_of[flag.resolved_session_id], "status": flag.status})
    return {
        "labels": [p.date.isoformat() for p in points],
        "overall": [p.overall for p in points],
        **{domain: [p.domains.get(domain) for p in points] for domain in scoring.DOMAINS},
        "client_view": [scoring.index(p.client_ratings.values()) for p in points],
        "markers": markers,
    }


def session_changes(points, session_id, factor_names):
    """How a session differs from the one before it: index change and factor moves."""
    ids = [p.id for p in points]
    if session_id not in ids:
        return None
    i = ids.index(session_id)
    if i == 0:
        return {"first": True}
    here, before = points[i], points[i - 1]
    moves = [
        (factor_names.get(key, key), before.ratings[key], score)
        for key, score in here.ratings.items()
        if score is not None and before.ratings.get(key) is not None and score != before.ratings[key]
    ]
    delta = None
    if here.overall is not None and before.overall is not None:
        delta = round(here.overall - before.overall, 1)
    return {
        "first": False,
        "previous_date": before.date,
        "delta": delta,
        "up": [m for m in moves if m[2] > m[1]],
        "down": [m for m in moves if m[2] < m[1]],
    }


@dataclass
class FactorMap:
    """Factors down, columns across (clinicians or clients); each cell the mean
    of the latest ratings, with how many ratings it rests on."""

    columns: list
    rows: list  # [(domain label, [(factor, [cell or None per column])])]


@dataclass
class Cell:
    mean: float
    count: int
    weakest: bool = False  # among the column's weakest factors

    @property
    def band(self):
        return max(1, min(5, round(self.mean)))


def factor_map(clients, columns, by):
    """Heat map of the ratings in each client's latest session, one column per
    clinician (by="clinician") or per client (by="client"); one query."""
    column_of = {
        c.latest_session_id: (c.clinician_id if by == "clinician" else c.pk) for c in clients if c.latest_session_id
    }
    sums = defaultdict(lambda: [0, 0])  # (factor, column) -> [total, count]
    # Only the latest sessions' rating rows, by primary key: no join, whatever the organisation's size.
    for session_id, factor_id, score in Rating.objects.filter(
        session_id__in=column_of, score__isnull=False
    ).values_list("session_id", "factor_id", "score"):
        total = sums[(factor_id, column_of[session_id])]
        total[0] += score
        total[1] += 1
    cells = defaultdict(dict)
    for (factor_id, column), (total, n) in sums.items():
        cells[factor_id][column] = Cell(mean=round(total / n, 1), count=n)
    for column in {key for by_column in cells.values() for key in by_column}:
        ranked = sorted((c for by_column in cells.values() if (c := by_column.get(column))), key=lambda c: c.mean)
        for cell in ranked[:WEAKEST_PER_COLUMN]:
            if cell.mean < 4:  # a column of strong factors has nothing to single out
                cell.weakest = True
    factors = list(Factor.objects.in_form_order())
    rows = [
        (label, [(f, [cells[f.pk].get(col.pk) for col in columns]) for f in factors if f.domain == value])
        for value, label in Domain.choices
    ]
    return FactorMap(columns=columns, rows=rows)
