"""The trend chart's data: an honest picture of one client's alliance over time.

- Time on the x axis: each session sits at its day number since the first
  session, so a six-week gap looks six times as long as a weekly one.
- Dates are formatted here, in the user's locale (DATE_FORMAT), so the chart's
  ticks and tooltips read exactly like the dates in the page's text and tables.
- A reference: the client's usual range, the mean ± 1 SD of the overall index
  over their sessions before the latest (at most BASELINE_WINDOW of them, and
  only from BASELINE_MIN sessions on: fewer say little about a spread).
- Rupture and repair markers from the stored episodes (flags.models.Flag).
- The client's own answers (self-report) as a series of their own.
- Progress (PHQ-9, GAD-7) beside it on the same time axis: one small chart per
  measure answered, its totals at their sessions' days, its severity bands
  shaded and its caseness line (`progress_series`).

Rendered into the page with json_script and drawn by static/js/client-chart.js.
"""

from statistics import fmean, pstdev

from django.utils.formats import date_format

from factors import scoring
from flags import labels, rules

BASELINE_MIN = 3  # sessions before the latest needed for a band
BASELINE_WINDOW = 10  # at most this many sessions before the latest make the band
MAX_TICKS = 7


def baseline(points) -> dict | None:
    """The usual range before the latest session: {"mean", "low", "high", "sessions", "from"} or None."""
    earlier = [p for p in points[:-1] if p.overall is not None][-BASELINE_WINDOW:]
    if len(earlier) < BASELINE_MIN:
        return None
    values = [p.overall for p in earlier]
    mean, sd = fmean(values), pstdev(values)
    return {
        "mean": round(mean, 1),
        "low": round(max(0.0, mean - sd), 1),
        "high": round(min(100.0, mean + sd), 1),
        "sd": round(sd, 1),
        "sessions": len(earlier),
        "from": (earlier[0].date - points[0].date).days,
    }


def ticks(days: list[int], limit: int = MAX_TICKS) -> list[int]:
    """Indices of the sessions whose dates label the x axis: the first, the last and,
    between them, the sessions nearest to evenly spaced days (no two alike)."""
    if len(days) <= limit:
        return list(range(len(days)))
    span = days[-1] - days[0]
    chosen = []
    for k in range(limit):
        target = days[0] + span * k / (limit - 1)
        nearest = min(range(len(days)), key=lambda i: (abs(days[i] - target), i))
        if nearest not in chosen:
            chosen.append(nearest)
    return sorted(chosen)


def chart_data(insight) -> dict:
    """Everything client-chart.js draws, for an Insight (clients.insights)."""
    points = insight.points
    first = points[0].date if points else None
    days = [(p.date - first).days for p in points]
    day_of = {p.id: d for p, d in zip(points, days, strict=True)}
    index_of = {p.id: p.overall for p in points}
    # Named apart: an alliance rupture, a factor drop and a context change each have their marker.
    markers = {"rupture": [], "factor_drop": [], "context_change": [], "repair": []}
    for flag in insight.episodes:
        start = flag.session_ids[0] if flag.session_ids else None
        if start in day_of and all(m["x"] != day_of[start] for m in markers[flag.kind]):  # one per session
            markers[flag.kind].append(
                {"x": day_of[start], "y": index_of[start], "status": flag.status, "detail": insight.detail(flag)}
            )
        if flag.kind != rules.CONTEXT_CHANGE and flag.resolved_session_id in day_of and flag.status in (
            rules.REPAIRED,
            rules.RECOVERED,
        ):
            end = flag.resolved_session_id
            markers["repair"].append({"x": day_of[end], "y": index_of[end], "status": flag.status})
    client_view = [scoring.index(p.client_ratings.values()) for p in points]
    return {
        "labels": [p.date.isoformat() for p in points],
        "dates": [date_format(p.date) for p in points],
        "days": days,
        "ticks": ticks(days),
        "overall": [p.overall for p in points],
        **{domain: [p.domains.get(domain) for p in points] for domain in scoring.DOMAINS},
        "client_view": client_view,  # the client's own answers, None where they gave none
        "self_reported": any(v is not None for v in client_view),
        "baseline": baseline(points),
        "markers": markers,
        "measures": progress_series(insight, day_of),
    }


def progress_series(insight, day_of) -> list[dict]:
    """One entry per measure the client answered: complete totals at their session's day
    (an incomplete response is a gap, not a zero), the bands and the caseness cut-off."""
    series = []
    for progress in insight.progress:
        rule = insight.measures.rules[progress.key]
        latest = {r.session_id: r for r in insight.measures.responses if r.instrument == progress.key and r.counted}
        totals = [
            {"x": day_of[sid], "y": r.total} for sid, r in latest.items() if sid in day_of and r.total is not None
        ]
        series.append(
            {
                "key": progress.key,
                "name": labels.instrument_name(progress.key),
                "max": max((b.high for b in rule.bands), default=27),
                "caseness": rule.caseness,
                "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in rule.bands],
                "points": sorted(totals, key=lambda p: p["x"]),
            }
        )
    return series
