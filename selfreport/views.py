"""The client's one-time self-report link, and the clinician's side of making one.

The public pages need no account, show nothing about the client beyond the
label the clinician chose (initials or a first name), and answer the same
friendly page for an unknown, used or expired link.
"""

import segno
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audit import log
from clients.models import TherapySession
from clients.recording import lock_client, refresh_flags
from measures.answers import save_response
from measures.models import CrisisText, Instrument, MeasureResponse
from selfreport.forms import SelfReportForm
from selfreport.models import Question, SelfReportLink, SelfReportRating


def _get_session_for_clinician(user, pk):
    """A (not voided) session of one of the user's own active clients, else 404."""
    sessions = TherapySession.objects.editable_by(user).counted().filter(client__status="active")
    return get_object_or_404(sessions.select_related("client"), pk=pk)


@require_POST
def create_link(request, pk):
    """Make a one-time link for a session and show it once, with a QR code. If the client
    has already answered for that session, ask first: the new answers will count instead
    (the earlier ones are kept and stay visible on the client page). An earlier link still
    waiting for an answer is named on the page: it works until it expires."""
    session = _get_session_for_clinician(request.user, pk)
    answered = SelfReportLink.objects.answer_shown_for(session.pk)
    if answered and request.POST.get("confirm") != "yes":
        return render(
            request,
            "selfreport/confirm_link.html",
            {"session": session, "client": session.client, "answered": answered},
        )
    link, token = SelfReportLink.create_for(session, request.user)
    url = request.build_absolute_uri(reverse("self_report", args=[token]))
    # An earlier link of this session still waiting (lost, say) keeps working: say so.
    still_open = SelfReportLink.objects.open().filter(session=session).exclude(pk=link.pk).order_by("-created_at")
    return render(
        request,
        "selfreport/link_created.html",
        {
            "session": session,
            "client": session.client,
            "link": link,
            "url": url,
            # A data URI with the SVG namespace (segno's inline SVG has none, and an <img> then draws nothing).
            "qr": segno.make(url, error="m").svg_data_uri(scale=5, dark="#1f2d3d", border=4),
            "is_today": session.date == timezone.localdate(),
            "still_open": list(still_open),
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def respond(request, token):
    link = SelfReportLink.objects.by_token(token) if len(token) < 100 else None
    if _state(link) != SelfReportLink.State.OPEN:
        return render(request, "selfreport/closed.html", {"state": _state(link)})
    # A link made for an earlier session names its date instead of "today".
    past_date = link.session.date if link.session.date != timezone.localdate() else None
    form = SelfReportForm(
        request.POST or None,
        questions=Question.objects.active(),
        past_date=past_date,
        instruments=Instrument.objects.active().with_parts(),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(link, form)
        if saved is None:
            link = SelfReportLink.objects.select_related("session__client").get(pk=link.pk)  # what beat us to it
            return render(request, "selfreport/closed.html", {"state": _state(link)})
        # No clinician reads this in real time: an answer about self-harm gets the organisation's crisis text now.
        crisis = CrisisText.current() if any(r.safety for r in saved) else ""
        return render(request, "selfreport/thanks.html", {"greeting": link.session.client.label, "crisis": crisis})
    log.record(log.Action.VIEW, link, client_id=link.session.client_id, username=_who(link))
    return render(
        request,
        "selfreport/respond.html",
        {
            "form": form,
            "greeting": link.session.client.label,
            "count": len(form.questions),
            "total": form.count,
            "past_date": past_date,
        },
    )


def _who(link):
    """How the trail names the person answering through a link (no account)."""
    return f"client (self-report link {link.pk})"


def _state(link):
    """The link's state for the public page; a link of a discharged client or a voided
    session counts as closed even if it was made before discharges closed links."""
    if link is None:
        return "unknown"
    if link.state == SelfReportLink.State.OPEN and (
        link.session.client.status != "active" or link.session.voided_at is not None
    ):
        return SelfReportLink.State.CLOSED
    return link.state


@transaction.atomic
def _save(link, form):
    """Store the answers once: the UPDATE claims the link, so a second submit saves nothing,
    nor one that arrives after the link closed (discharge, void) or the client was discharged.
    Under the client's lock, like every write to a client's record. The free text is
    clinical text: audited as "(changed)", never with its words. The progress measures
    answered are stored as responses of the link's session. Returns the responses
    stored ([] for none), or None if the link could not be claimed."""
    lock_client(link.session.client_id)
    now = timezone.now()
    comment = form.comment()
    claimed = (
        SelfReportLink.objects.open(now)
        .filter(pk=link.pk, session__client__status="active", session__voided_at__isnull=True)
        .update(used_at=now, comment=comment)
    )
    if not claimed:
        return None
    ratings = SelfReportRating.objects.bulk_create(
        SelfReportRating(link=link, question=q, score=score) for q, score in form.answers()
    )
    who = _who(link)
    changes = {"used_at": [None, str(now)], **({"comment": log.CHANGED} if comment else {})}
    log.record_many(
        [
            log.event(
                log.Action.UPDATE,
                link,
                client_id=link.session.client_id,
                username=who,
                changes=changes,
            )
        ]
        + [
            log.event(
                log.Action.CREATE,
                r,
                client_id=link.session.client_id,
                username=who,
                changes={"question": r.question.key, "score": r.score},
            )
            for r in ratings
        ]
    )
    responses = [
        save_response(
            session=link.session,
            instrument=instrument,
            values=values,
            source=MeasureResponse.Source.CLIENT,
            link=link,
            username=who,
        )
        for instrument, values in form.measures()
    ]
    refresh_flags(link.session.client)
    return responses
