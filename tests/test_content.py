"""The clinical content a supervisor signs off: the prompt library and its sources,
the behavioural anchors, and the guidance the app gives (issue 11)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Team, User
from clients.models import PromptTrial
from factors.kinds import FlagKind, kinds_for_factor
from factors.models import Factor, Prompt
from selfreport.models import Question
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def active_prompts(**filters):
    return Prompt.objects.active().filter(**filters)


# --- the prompt library ------------------------------------------------------------


def test_every_factor_has_an_active_prompt_for_each_flag_kind_it_can_raise_and_four_in_all():
    asked = Question.objects.asked_factor_keys()
    for factor in Factor.objects.all():
        kinds = set(active_prompts(factor=factor).values_list("applies_to", flat=True))
        missing = set(kinds_for_factor(factor.domain, factor.key in asked)) - kinds
        assert not missing, f"{factor.key} has no prompt for {missing}"
        assert active_prompts(factor=factor).count() >= 4, factor.key


def test_the_client_is_asked_about_seven_factors_so_they_can_raise_concerns_and_discrepancies():
    asked = Question.objects.asked_factor_keys()
    assert asked == {
        "communication",
        "cultural_competence",
        "boundaries",
        "flexibility",
        "openness",
        "expectations",
        "setting",
    }
    for key in asked:
        kinds = set(active_prompts(factor__key=key).values_list("applies_to", flat=True))
        assert {FlagKind.CLIENT_CONCERN, FlagKind.DISCREPANCY} <= kinds, key


def test_contextual_factors_have_context_change_prompts_and_no_rupture_prompts():
    for factor in Factor.objects.filter(domain="contextual"):
        kinds = set(active_prompts(factor=factor).values_list("applies_to", flat=True))
        assert FlagKind.CONTEXT_CHANGE in kinds
        assert FlagKind.RUPTURE not in kinds
        assert FlagKind.FACTOR_DROP not in kinds


def test_a_client_concern_about_goals_or_overall_fit_has_general_prompts():
    general = active_prompts(factor__isnull=True, applies_to=FlagKind.CLIENT_CONCERN)
    assert general.count() >= 1
    assert any("goals" in p.text for p in general)


def test_every_prompt_says_where_it_comes_from_and_every_article_example_is_used():
    assert not Prompt.objects.exclude(source__in=Prompt.Source.values).exists()
    for factor in Factor.objects.all():
        assert active_prompts(factor=factor, source=Prompt.Source.ARTICLE_EXAMPLE).exists(), factor.key
    assert active_prompts(source=Prompt.Source.PRACTICE).filter(applies_to=FlagKind.RUPTURE).exists()


def test_every_outreach_to_a_stalled_client_starts_with_a_risk_check():
    stalled = active_prompts(applies_to=FlagKind.STALLED)
    assert stalled.count() >= 2
    for prompt in stalled:
        assert "risk" in prompt.text, prompt.text


def test_no_prompt_invites_a_partner_or_family_without_screening_for_abuse_or_coercion():
    inviting = [
        p for p in active_prompts() if "invit" in p.text.lower() and ("partner" in p.text or "family" in p.text)
    ]
    assert inviting
    for prompt in inviting:
        assert "abuse" in prompt.text or "coercion" in prompt.text, prompt.text


def test_naming_abuse_comes_with_a_safety_question():
    for prompt in active_prompts(text__icontains="abuse"):
        if "emotional abuse" in prompt.text:
            assert "safe" in prompt.text
            assert "risk procedure" in prompt.text


def test_after_a_boundary_breach_the_therapist_owns_records_and_supervises():
    for kind in (FlagKind.LOW_FACTOR, FlagKind.RUPTURE):
        texts = " ".join(active_prompts(factor__key="boundaries", applies_to=kind).values_list("text", flat=True))
        for step in ("own", "record", "supervision"):
            assert step in texts, (kind, step)
    assert not active_prompts(text__icontains="why the boundary exists").exists()


def test_the_prompts_the_reviewer_objected_to_are_revised():
    texts = " ".join(active_prompts().values_list("text", flat=True))
    assert "reassure them plainly" not in texts
    assert "help them find how their faith" not in texts
    flexibility = " ".join(active_prompts(factor__key="flexibility").values_list("text", flat=True))
    assert "trained" in flexibility
    assert "formulation" in flexibility
    disclosure = active_prompts(text__icontains="self-disclosure").get()
    assert "focus straight back" in disclosure.text
    assert "supervision" in disclosure.text
    setting = " ".join(active_prompts(factor__key="setting").values_list("text", flat=True))
    assert "emergency plan" in setting
    assert "privacy" in setting


@pytest.mark.parametrize(
    ("words", "factor"),
    [
        ("race, sexuality or gender identity", "cultural_competence"),
        ("your own assumptions", "cultural_competence"),
        ("dual relationships", "boundaries"),
        ("earlier experiences of therapy", "openness"),
        ("keeps you at a distance", "attachment"),  # avoidant
        ("swings between seeking you and pulling away", "attachment"),  # disorganised
        ("money worries", "socioeconomic"),
    ],
)
def test_article_content_no_prompt_used_before_now_has_one(words, factor):
    assert active_prompts(factor__key=factor, text__icontains=words).exists()


def test_a_prompt_without_a_factor_must_be_a_general_kind():
    with transaction.atomic(), pytest.raises(IntegrityError):
        Prompt.objects.create(factor=None, applies_to=FlagKind.LOW_FACTOR, text="x", source="practice")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Prompt.objects.create(factor=Factor.objects.first(), applies_to="rupture", text="x", source="folklore")


def test_the_admin_lists_prompts_with_their_source_and_refuses_a_general_low_factor_prompt(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("admin:factors_prompt_changelist")).content.decode()
    assert "From the article&#x27;s example" in html
    assert "From practice and research" in html
    data = {"factor": "", "applies_to": "low_factor", "text": "General advice", "source": "practice", "order": 0}
    response = client.post(reverse("admin:factors_prompt_add"), data)
    assert "only stalled, client-concern and off-track prompts are general" in response.content.decode()
    assert not Prompt.objects.filter(text="General advice").exists()


def test_the_focus_list_says_where_each_prompt_comes_from(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=timezone.localdate(), ratings={"openness": 2})
    html = owner_client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    prompt = Prompt.objects.get(factor__key="openness", applies_to="low_factor")
    assert escape(prompt.text) in html
    focus = html.split('id="focus-title"')[1]
    assert "From the article&#x27;s example" in focus
    assert reverse("guidance") + "#safety" in focus


def test_the_prompt_library_page_shows_every_active_prompt_with_its_source(owner_client):
    retired = Prompt.objects.filter(factor__key="stigma").first()
    Prompt.objects.filter(pk=retired.pk).update(active=False)
    html = owner_client.get(reverse("prompt_library")).content.decode()
    for prompt in active_prompts():
        assert escape(prompt.text) in html
    assert escape(retired.text) not in html
    assert html.count('class="prompt-source"') == active_prompts().count()


# --- the anchors ---------------------------------------------------------------


def test_every_anchor_point_has_a_short_behavioural_text():
    for factor in Factor.objects.all():
        anchors = [text for _, text in factor.scale_labels]
        assert all(anchors), factor.key
        assert len(set(anchors)) == 5, factor.key
        assert all(len(text) <= 80 for text in anchors), factor.key
    assert Factor.objects.get(key="beliefs").label_1 != "Block the work"  # no longer places the problem in faith


def test_the_session_form_shows_every_point_of_every_scale(owner_client, their_client):
    html = owner_client.get(reverse("session_create"), {"client": their_client.pk}).content.decode()
    for factor in Factor.objects.all():
        for value, text in factor.scale_labels:
            assert f'<li data-value="{value}"><b>{value}</b> {escape(text)}</li>' in html
            assert f'title="{escape(text)}"' in html  # the tooltip on the radio


# --- guidance ------------------------------------------------------------------


def test_the_guidance_page_covers_answers_self_rating_safety_and_attachment(owner_client):
    response = owner_client.get(reverse("guidance"))
    html = response.content.decode()
    for anchor in ["client-answers", "self-rating", "boundary-breach", "involving-others", "online", "attachment"]:
        assert f'id="{anchor}"' in html
    for words in ["Do not defend", "must not be used to appraise", "emergency plan", "alone", "Not yet known"]:
        assert words.lower() in html.lower(), words
    assert f'href="{reverse("guidance")}"' in html  # in the navigation bar


def test_the_client_form_tells_how_to_judge_attachment_style(owner_client, their_client):
    html = owner_client.get(reverse("client_edit", args=[their_client.pk])).content.decode()
    assert "“Not yet known” is the honest default" in html
    assert reverse("guidance") + "#attachment" in html


@pytest.fixture
def team_with_a_client(owner):
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="Riverside", supervisor=supervisor)
    owner.save()
    client = ClientFactory(clinician=owner, label="J.M.")
    TherapySessionFactory(client=client, date=timezone.localdate() - timedelta(days=1))
    return supervisor


def test_the_team_pages_say_they_are_for_supervision_not_appraisal(client, team_with_a_client):
    client.force_login(team_with_a_client)
    html = client.get(reverse("team_dashboard")).content.decode()
    assert "not staff appraisal" in html
    assert "not for appraising or comparing staff" in html  # under the factor map
    assert reverse("guidance") + "#self-rating" in html


# --- the revising migration keeps tried prompts' history ---------------------------

REVISION = importlib.import_module("factors.migrations.0008_revise_anchors_and_prompts")


def tried(prompt, their_client):
    session = TherapySessionFactory(client=their_client, date=timezone.localdate())
    return PromptTrial.objects.create(
        client=their_client, prompt=prompt, after_session=session, chosen_by=their_client.clinician
    )


def test_a_tried_prompt_whose_advice_changed_is_kept_inactive_and_a_new_one_added(their_client):
    old_text = REVISION.old_text("attachment", "persistent")  # "reassure them plainly"
    prompt = Prompt.objects.get(factor__key="attachment", applies_to="persistent", order=0)
    Prompt.objects.filter(pk=prompt.pk).update(text=old_text)  # as before the revision
    trial = tried(prompt, their_client)
    REVISION.seed(django_apps, None)
    prompt.refresh_from_db()
    assert (prompt.text, prompt.active) == (old_text, False)
    assert trial.prompt_id == prompt.pk
    assert active_prompts(factor__key="attachment", text__startswith="If the client doubts your commitment").exists()


def test_a_tried_prompt_whose_wording_was_only_improved_is_revised_in_place(their_client):
    old_text = REVISION.old_text("stigma", "persistent")
    prompt = Prompt.objects.get(factor__key="stigma", applies_to="persistent")
    Prompt.objects.filter(pk=prompt.pk).update(text=old_text)
    tried(prompt, their_client)
    REVISION.seed(django_apps, None)
    prompt.refresh_from_db()
    assert prompt.active
    assert "focus straight back" in prompt.text
    assert Prompt.objects.filter(factor__key="stigma", applies_to="persistent").count() == 1


def test_a_prompt_an_administrator_edited_is_left_as_it_is():
    prompt = Prompt.objects.get(factor__key="beliefs", applies_to="low_factor")
    Prompt.objects.filter(pk=prompt.pk).update(text="Our service's own wording.")
    REVISION.seed(django_apps, None)
    prompt.refresh_from_db()
    assert prompt.text == "Our service's own wording."
