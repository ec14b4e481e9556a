"""Clinical content a supervisor would sign off (issue 11): behavioural anchors and a
revised prompt library with its sources.

Anchors: one short description of what each point 1-5 looks like, from one point
of view per scale (the therapist's own conduct for therapist factors, what the
client did for client factors, what the circumstance did to attending and
engaging for contextual ones).

Prompts: every seeded prompt is revised in place, found by factor key + kind +
its seeded wording, so tried prompts keep their history; where the advice itself
changes (a breach to be owned, not explained; no change of model without
training; no plain reassurance; no partner invited unscreened) and someone has
already tried the old prompt, the old row is deactivated and a new one added. A
prompt an administrator has since edited is left as it is. Prompts for the new
flag kinds (factor drop, client concern, context change) and for content the
article names but no prompt used are added. Contextual factors no longer raise
ruptures, so their rupture prompts become context-change prompts.

Sources: E = the article's example for that factor, A = the article's
description of the factor, P = practice and research beyond the article (named
per prompt in docs/factors.md). The old wordings are read from the frozen data
of migrations 0004 and 0006; nothing here imports app code. Idempotent: the
browser tests run `seed` again after flushing the tables.
"""

import importlib
from importlib import import_module

from django.db import migrations

OLD_LIBRARY = importlib.import_module("factors.migrations.0004_seed_prompts").PROMPTS
OLD_DISCREPANCY = importlib.import_module(
    "factors.migrations.0006_seed_client_questions_and_discrepancy_prompts"
).DISCREPANCY_PROMPTS

E, A, P = "article_example", "article", "practice"

# key -> (description, anchors for 1..5)
FACTORS = {
    "communication": (
        "Did you listen fully, reflect feeling and content, and explain things in plain words?",
        [
            "Missed or talked over what mattered to the client",
            "Replies vague or off the mark; reflected little",
            "Reflected what was said, not the feeling under it",
            "Reflected content and feeling; checked I had it right",
            "As 4, and explained the work in plain words",
        ],
    ),
    "cultural_competence": (
        "Did you respect and ask about the client's culture, faith and identity, and question your own assumptions?",
        [
            "Judged or dismissed the client's background or beliefs",
            "Left background out where it mattered",
            "Acknowledged background when the client raised it",
            "Asked about background with curiosity, without judging",
            "As 4, and checked my own assumptions or bias",
        ],
    ),
    "boundaries": (
        "Did you keep the agreed frame (time, contact, touch, roles)? If holding it rigidly cost warmth, say so in the note.",
        [
            "Crossed a boundary (touch, a dual role, personal contact)",
            "Let the frame slip (overran, overshared, unplanned contact)",
            "A small slip, noticed and put right in the session",
            "Time, contact and roles held as agreed",
            "Held as agreed, and any test of it talked through warmly",
        ],
    ),
    "flexibility": (
        "Did you adapt method, pace and style to this client and act on their feedback?",
        [
            "Kept to the plan despite clear signs it was not working",
            "Saw signs it was not working; changed nothing",
            "Made a small change of pace or style",
            "Adjusted pace or method to what the client needed",
            "As 4, and asked for feedback and acted on it",
        ],
    ),
    "openness": (
        "How much did the client share of their thoughts, feelings and experiences today? Holding back is information, not a fault.",
        [
            "Said very little; turned most questions aside",
            "Shared facts but held back feelings",
            "Shared some feelings when asked",
            "Brought feelings and concerns without being asked",
            "As 4, including hard or new material",
        ],
    ),
    "expectations": (
        "Does the client hope therapy can help, and do their expectations match what it offers?",
        [
            "Said therapy cannot help, or wants what it does not offer",
            "Doubts it will help; goals unclear",
            "Unsure, but goes along with the plan",
            "Hopeful; goals agreed",
            "Hopeful, and working toward the goals between sessions",
        ],
    ),
    "attachment": (
        "How settled was the client in the relationship today: trusting, or pulled by fear of closeness or of being left?",
        [
            "The pattern took over: pleading, testing or shutting out",
            "The pattern often got in the way; hard to settle",
            "The pattern showed at times and eased when named",
            "The pattern barely showed; trust held",
            "Trusted the relationship enough to raise worries about it",
        ],
    ),
    "beliefs": (
        "How well did the work fit the client's beliefs about emotion, help-seeking and faith?",
        [
            "Beliefs and the work pulled apart, not yet talked about",
            "A clash between beliefs and the work, only touched on",
            "Beliefs neither helped nor got in the way",
            "Beliefs talked about openly and respected in the work",
            "The client drew on their own beliefs in the work, as they chose",
        ],
    ),
    "setting": (
        "Did the format (in person, online, phone) support presence, privacy and rapport?",
        [
            "The format broke the session (no privacy, lost connection)",
            "The format got in the way several times",
            "A minor hitch; the session went on",
            "The format worked, with no hitches",
            "The format suited the client and helped them engage",
        ],
    ),
    "socioeconomic": (
        "How much did cost, work, travel or money stress get in the way of attending and engaging?",
        [
            "Cost, work or travel may end therapy soon",
            "Missed or shortened sessions because of cost, work or travel",
            "Came, but money or time stress took attention in the session",
            "Mentioned a strain that did not affect attending or the work",
            "No sign that cost, work or travel affected the work",
        ],
    ),
    "support": (
        "Did the people around the client back the work, or work against it or against the client's safety?",
        [
            "People around the client worked against therapy or their safety",
            "Conflict or lack of support at home set the work back",
            "Mixed: some support, some strain",
            "Someone in the client's life backed the work",
            "People around the client helped them use what they learn",
        ],
    ),
    "stigma": (
        "How much did shame or fear of judgement about being in therapy hold the client back?",
        [
            "Shame about therapy may stop the client coming",
            "Hid therapy from others; shame came up strongly",
            "Worried what others think, but still engaged",
            "Rarely worried about judgement; engaged freely",
            "Spoke about being in therapy openly, without shame",
        ],
    ),
}

# (factor key or None, kind, order, source, text, old, replace)
# old: the seeded (kind, wording) this revises, or None for a new prompt;
# replace: the advice changes, so a tried old prompt is kept inactive for its history.
PROMPTS = [
    # --- communication (therapist) ---
    ("communication", "low_factor", 0, A,
     "Slow down: reflect back what the client said and the feeling under it, and check you got it right before offering anything new.",
     "low_factor", False),
    ("communication", "low_factor", 1, A,
     "Explain in plain words what you are doing and why (the method, the plan for today), then ask what made sense and what did not.",
     None, False),
    ("communication", "persistent", 0, P,
     "Take a recent exchange to supervision (a recording, if the client agreed): where did you miss, rush or talk over the client? Practise one plain-word explanation you often need.",
     None, False),
    ("communication", "persistent", 1, E,
     "If the client plays down harm done to them, name gently what you hear (for example emotional abuse or a trauma bond) and that their reaction makes sense; then ask whether they are safe now, and follow your risk procedure if not.",
     "persistent", False),
    ("communication", "rupture", 0, P,
     "Name the moment of misunderstanding openly, own your part in it, and ask how it landed for the client.",
     "rupture", False),
    ("communication", "factor_drop", 0, P,
     "Early next session, ask whether something you said or missed last time did not sit right, and listen without defending.",
     None, False),
    ("communication", "client_concern", 0, P,
     "The client did not feel understood: thank them for saying so, ask what you missed, and reflect it back until they say you have it right.",
     None, False),
    ("communication", "discrepancy", 0, P,
     "You rated this higher than the client did: ask what you might have missed, and treat their view as the better guide until you have talked it through.",
     "discrepancy", False),
    # --- cultural competence (therapist) ---
    ("cultural_competence", "low_factor", 0, A,
     "Ask with curiosity what the client's culture, faith or identity means for the problem they bring, instead of steering around it.",
     "low_factor", False),
    ("cultural_competence", "low_factor", 1, A,
     "If race, sexuality or gender identity may bear on what the client brings, say it is welcome here and ask whether they want to talk about it; follow their lead.",
     None, False),
    ("cultural_competence", "persistent", 0, E,
     "If the client feels pressure from their faith, explore their own relationship to it without judging: what it asks of them, what it gives them, where it weighs on them. Keep it in the room.",
     "persistent", False),
    ("cultural_competence", "persistent", 1, A,
     "Take the case to supervision to question your own assumptions: where might your background, training or bias shape what you hear?",
     None, False),
    ("cultural_competence", "rupture", 0, P,
     "Acknowledge that you may have missed or misjudged something about their background, and ask what you need to understand better.",
     "rupture", False),
    ("cultural_competence", "factor_drop", 0, P,
     "Look back over the last session for a remark or assumption that may have jarred, and raise it with the client, owning your part.",
     None, False),
    ("cultural_competence", "client_concern", 0, P,
     "The client did not feel respected for who they are: thank them, ask what felt disrespectful, and say what you will do differently.",
     None, False),
    ("cultural_competence", "discrepancy", 0, P,
     "Invite the client to tell you what about their background you may not yet understand, and thank them for it.",
     "discrepancy", False),
    # --- boundaries (therapist) ---
    ("boundaries", "low_factor", 0, P,
     "If you crossed a boundary, own it with the client, write it in the record and take it to supervision this week (see Guidance: safety pathways).",
     None, False),
    ("boundaries", "low_factor", 1, A,
     "If the frame only slipped, restate it kindly: session length, contact between sessions, and what you can and cannot offer.",
     "low_factor", False),
    ("boundaries", "persistent", 0, E,
     "If the client seeks more closeness than the role allows, redirect gently: help them put the need into words and look to people in their life who can meet it. Discuss it in supervision.",
     "persistent", False),
    ("boundaries", "persistent", 1, A,
     "Check for dual relationships (shared work, community, friends or social media): name them with the client, agree how to handle meeting outside, and ask your supervisor whether to continue.",
     None, False),
    ("boundaries", "rupture", 0, P,
     "After a breach, own it rather than explain it: say what happened and that it was your responsibility, ask how it affected the client, record it and take it to supervision.",
     "rupture", True),
    ("boundaries", "factor_drop", 0, P,
     "Write down what changed in the frame and why, and talk it over with your supervisor before the next session.",
     None, False),
    ("boundaries", "client_concern", 0, P,
     "The client felt the session was not kept about them: ask what they noticed, own any drift into your own concerns, and bring the focus back to them.",
     None, False),
    ("boundaries", "discrepancy", 0, P,
     "The client saw the session as less about them than you did: ask what they noticed, agree anything to change, and review the session in supervision.",
     "discrepancy", True),
    # --- flexibility (therapist) ---
    ("flexibility", "low_factor", 0, A,
     "Ask for feedback before the session ends: what helped today, and what did not?",
     "low_factor", False),
    ("flexibility", "low_factor", 1, A,
     "Check the pace: ask whether today went too fast, too slow or about right, and shape the next session to the answer.",
     None, False),
    ("flexibility", "persistent", 0, E,
     "If a method is not landing after several sessions (say, CBT while shame dominates), revisit your formulation in supervision and agree with the client how to adapt it; move to another approach only if you are trained in it.",
     "persistent", True),
    ("flexibility", "rupture", 0, P,
     "Take a 'this isn't working' seriously: thank the client for saying it, and agree one change of pace, method or focus for the next session.",
     "rupture", False),
    ("flexibility", "factor_drop", 0, P,
     "Ask the client what they would change about how you work together, and try one change next session.",
     None, False),
    ("flexibility", "client_concern", 0, P,
     "The way you work does not suit the client yet: thank them, ask what would suit them better, and agree one change to try.",
     None, False),
    ("flexibility", "discrepancy", 0, P,
     "Ask directly what would help more, and agree on one change you will make next session.",
     "discrepancy", False),
    # --- openness (client) ---
    ("openness", "low_factor", 0, E,
     "Keep gently asking about the hesitation itself rather than steering away from the client's nervousness.",
     "low_factor", False),
    ("openness", "persistent", 0, A,
     "Let the client set the pace: say that trust takes time and holding back is allowed, and ask what would make sharing feel safer.",
     "persistent", False),
    ("openness", "persistent", 1, A,
     "Ask about earlier experiences of therapy or of asking for help: what went wrong before, and what would need to be different this time?",
     None, False),
    ("openness", "rupture", 0, P,
     "Check whether something in the last session made it feel less safe to speak, and welcome the hesitation as useful information.",
     "rupture", False),
    ("openness", "factor_drop", 0, P,
     "Ask gently whether something in the sessions or at home makes talking harder now, including whether they feel safe; do not press for detail.",
     None, False),
    ("openness", "client_concern", 0, P,
     "The client found it hard to say what was on their mind: thank them for telling you, ask what gets in the way, and agree what would make it easier.",
     None, False),
    ("openness", "discrepancy", 0, P,
     "Name gently that sharing may feel harder than it looks from your chair, and ask what would make it safer.",
     "discrepancy", False),
    # --- expectations (client) ---
    ("expectations", "low_factor", 0, E,
     "Check in on how therapy feels so far and what the client hoped would be different by now.",
     "low_factor", False),
    ("expectations", "persistent", 0, E,
     "Revisit goals together: what therapy can and cannot offer, how long change usually takes, and one sign of progress to watch for.",
     "persistent", False),
    ("expectations", "rupture", 0, P,
     "Ask whether the work still feels worth it, and re-agree a shared purpose before going deeper.",
     "rupture", False),
    ("expectations", "factor_drop", 0, P,
     "Ask what has changed, in therapy or in life, and whether the goals still fit; agree what the next sessions will aim at.",
     None, False),
    ("expectations", "client_concern", 0, P,
     "The client doubts therapy can help: thank them for being honest, ask what would tell them it is helping, and agree a goal you can both track.",
     None, False),
    ("expectations", "discrepancy", 0, P,
     "Ask how hopeful they really feel, and revisit together what therapy can offer and how you will both notice progress.",
     "discrepancy", False),
    ("expectations", "stalled", 0, P,
     "Check the record for risk first: if the client was at risk when last seen, follow your risk procedure today. Otherwise ask how therapy has been feeling and whether a change of goals or pace would help them come back.",
     "stalled", False),
    # --- attachment (client) ---
    ("attachment", "low_factor", 0, A,
     "Be predictable: start and end on time, keep small promises, and announce breaks well in advance.",
     "low_factor", False),
    ("attachment", "persistent", 0, E,
     "If the client doubts your commitment or how you feel about them, explore the fear with them (when it comes, what it says) and stay consistent, so the steady relationship itself becomes the corrective experience.",
     "persistent", True),
    ("attachment", "persistent", 1, A,
     "If the client keeps you at a distance (playing down needs, going quiet near feeling), respect the distance, name it lightly and leave the door open; do not chase.",
     None, False),
    ("attachment", "persistent", 2, A,
     "If the client swings between seeking you and pulling away, or seems frightened in the relationship, slow down, keep sessions predictable, check for trauma and risk, and take it to supervision.",
     None, False),
    ("attachment", "rupture", 0, P,
     "Name the pull to withdraw or to hold on tighter that you notice, without blame, and show that the relationship can survive the strain.",
     "rupture", False),
    ("attachment", "factor_drop", 0, P,
     "Think about what may have felt like rejection or a threat of loss (a break, a late start, a change of plan), and name it with the client.",
     None, False),
    # --- beliefs (client) ---
    ("beliefs", "low_factor", 0, A,
     "Explore how the client sees emotion and asking for help (weakness? taboo?) before pressing on with technique.",
     "low_factor", False),
    ("beliefs", "persistent", 0, E,
     "Meet the client where they are, especially if someone else asked them to come: be curious about their view and validate it alongside others', and help them find where the views meet.",
     "persistent", False),
    ("beliefs", "rupture", 0, P,
     "Ask whether something you said clashed with their beliefs; respect their framework while looking for common ground.",
     "rupture", False),
    ("beliefs", "factor_drop", 0, P,
     "Ask whether something in the work sat badly with what the client believes, and how you could work in a way that respects it.",
     None, False),
    # --- setting (context) ---
    ("setting", "low_factor", 0, A,
     "Check comfort with the format: privacy where they sit, connection quality, ease with the screen or the room.",
     "low_factor", False),
    ("setting", "low_factor", 1, P,
     "For online sessions, agree an emergency plan: where the client is each time, a local emergency contact and number, and what you will do if the call drops at a hard moment.",
     None, False),
    ("setting", "persistent", 0, E,
     "Suggest trying the other format (in person or online) for a few sessions, then compare together how it feels.",
     "persistent", False),
    ("setting", "context_change", 0, A,
     "If the format broke the session (frozen video, no privacy, a cold room), treat it as a practical problem, not the client's doing, and agree a fix before next time.",
     "rupture", False),
    ("setting", "client_concern", 0, A,
     "The way you met did not work for the client: ask what got in the way (privacy, connection, travel) and offer the other format if you can.",
     None, False),
    ("setting", "discrepancy", 0, E,
     "Ask whether the format works for them, and offer the other one (in person or online) for a trial.",
     "discrepancy", False),
    # --- socioeconomic (context) ---
    ("socioeconomic", "low_factor", 0, A,
     "Ask openly, without assumptions, whether cost, work hours or travel are making sessions hard.",
     "low_factor", False),
    ("socioeconomic", "low_factor", 1, A,
     "If money worries are taking the client's attention in the session, name it without judgement and pace the work to what they can take on this week.",
     None, False),
    ("socioeconomic", "persistent", 0, E,
     "Offer a sliding-scale fee or spacing sessions out, and help find community resources that keep support going between sessions.",
     "persistent", False),
    ("socioeconomic", "context_change", 0, E,
     "If hardship hit mid-treatment, discuss reduced-fee or pro-bono sessions so therapy does not end abruptly.",
     "rupture", False),
    ("socioeconomic", "stalled", 0, P,
     "Check the record for risk first: if the client was at risk when last seen, follow your risk procedure today. Otherwise send a short, non-judgemental message asking whether cost, time or travel is getting in the way of booking.",
     "stalled", False),
    # --- support (context) ---
    ("support", "low_factor", 0, A,
     "Map with the client who in their life supports the work and who undermines it.",
     "low_factor", False),
    ("support", "persistent", 0, A,
     "Plan with the client how to handle unsupportive people, and ask them alone whether anyone at home hurts, controls or threatens them; if so, follow your safeguarding procedure.",
     "persistent", True),
    ("support", "persistent", 1, E,
     "With the client's consent, bring the people who support them (family, friends, partner, community) into the plan. Before inviting anyone to a session, ask the client alone about abuse or coercion.",
     None, False),
    ("support", "context_change", 0, A,
     "Ask what has changed at home or in the community, whether the client is safe, and what would help them keep coming.",
     "rupture", False),
    # --- stigma (context) ---
    ("stigma", "low_factor", 0, A,
     "Normalise being in therapy: many people come, and asking for help takes strength.",
     "low_factor", False),
    ("stigma", "low_factor", 1, A,
     "Ask who knows the client is in therapy and whom they fear finding out; agree how appointments and messages are handled to protect their privacy.",
     None, False),
    ("stigma", "persistent", 0, E,
     "Consider a brief, purposeful self-disclosure that models courage about seeking help, if it serves the client; then bring the focus straight back to them, and discuss it in supervision.",
     "persistent", False),
    ("stigma", "context_change", 0, A,
     "Acknowledge the judgement the client fears from family or community, and validate how hard it is to keep coming.",
     "rupture", False),
    # --- general: client concerns about a question with no factor (goals, overall) ---
    (None, "client_concern", 0, P,
     "The client gave a low answer on their self-report: thank them for saying so, ask what is not working for them, listen without defending, and agree one change together.",
     None, False),
    (None, "client_concern", 1, P,
     "If the low answer was about goals, ask what the client wants from therapy now and re-agree what you work on; if about overall fit, ask what would make it right, and offer a referral if they prefer.",
     None, False),
]


def old_text(factor_key, kind):
    """The wording migration 0004 or 0006 seeded for this factor and kind."""
    if kind == "discrepancy":
        return OLD_DISCREPANCY.get(factor_key)
    if factor_key == "expectations" and kind == "stalled":
        return OLD_LIBRARY["expectations_stalled"]["stalled"]
    return OLD_LIBRARY.get(factor_key, {}).get(kind)


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Prompt = apps.get_model("factors", "Prompt")
    for key, (description, anchors) in FACTORS.items():
        Factor.objects.using(alias).filter(key=key).update(
            description=description, **{f"label_{i}": text for i, text in enumerate(anchors, start=1)}
        )
    factors = {f.key: f for f in Factor.objects.using(alias).all()}
    for key, kind, order, source, text, old_kind, replace in PROMPTS:
        factor = factors[key] if key else None
        wanted = {"applies_to": kind, "text": text, "source": source, "order": order, "active": True}
        if Prompt.objects.using(alias).filter(factor=factor, applies_to=kind, text=text).update(**wanted):
            continue  # already revised
        old = None
        if old_kind:
            old = Prompt.objects.using(alias).filter(factor=factor, applies_to=old_kind, text=old_text(key, old_kind)).first()
        if old is not None and replace and Prompt.objects.using(alias).filter(pk=old.pk, trials__isnull=False).exists():
            Prompt.objects.using(alias).filter(pk=old.pk).update(active=False)
            old = None
        if old is not None:
            Prompt.objects.using(alias).filter(pk=old.pk).update(**wanted)
        else:
            Prompt.objects.using(alias).create(factor=factor, **wanted)


OLD_KINDS = ["low_factor", "persistent", "rupture", "stalled", "discrepancy"]


def unseed(apps, schema_editor):
    """Back to what migration 0007 can reverse: the old kinds, every prompt with a
    factor, and the old anchors (the old columns hold 40 characters)."""
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    for key, _domain, _name, _description, labels in import_module("factors.migrations.0002_seed_factors").FACTORS:
        Factor.objects.using(alias).filter(key=key).update(**{f"label_{i}": text for i, text in enumerate(labels, 1)})
    Prompt = apps.get_model("factors", "Prompt")
    Prompt.objects.using(alias).filter(applies_to="context_change", factor__domain="contextual").update(applies_to="rupture")
    new = Prompt.objects.using(alias).exclude(applies_to__in=OLD_KINDS) | Prompt.objects.using(alias).filter(factor__isnull=True)
    if new.filter(trials__isnull=False).exists():
        raise RuntimeError("Prompts of the new kinds have been tried; their history cannot go back to the old library.")
    new.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("factors", "0007_prompt_kinds_sources_and_longer_anchors"),
        ("clients", "0005_discrepancy_flags"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
