"""Seed the prompt library: three prompts per factor (one for each of low factor,
persistent weakness and rupture) plus prompts for a stalled client.

Our own wording of the article's examples (shared/reference/); editable in the
admin. Frozen here on purpose: a migration must not import app code.
"""

from django.db import migrations

# factor key -> {applies_to: text}
PROMPTS = {
    "communication": {
        "low_factor": "Slow down: reflect back both what the client said and the feeling under it, and check you got it right before offering anything new.",
        "persistent": "If the client plays down harm done to them, name the pattern you hear in plain words (for example emotional abuse or a trauma bond) while validating that their reaction makes sense.",
        "rupture": "Name the moment of misunderstanding openly, own your part in it, and ask how it landed for the client.",
    },
    "cultural_competence": {
        "low_factor": "Ask with curiosity what the client's faith or culture means for the problem they bring, instead of steering around it.",
        "persistent": "Where your training pulls against the client's values, help them find how their faith or culture supports them rather than leaving it out of the room.",
        "rupture": "Acknowledge that you may have missed or misjudged something about their background, and ask what you need to understand better.",
    },
    "boundaries": {
        "low_factor": "Restate the frame kindly: session length, contact between sessions, and what you can and cannot offer.",
        "persistent": "If the client seeks more closeness than the role allows, redirect gently: help them put the need into words and look to people in their life who can meet it.",
        "rupture": "After a breach or a too-rigid moment, talk about it openly: what happened, why the boundary exists, and how it protects the work.",
    },
    "flexibility": {
        "low_factor": "Ask for feedback before the session ends: what helped today, and what did not?",
        "persistent": "If a method is not landing after several sessions (say, CBT homework while shame dominates), consider an emotion-focused or DBT lens, and tell the client why you are changing course.",
        "rupture": "Take a 'this isn't working' seriously: agree with the client on one change of pace, method or focus for the next session.",
    },
    "openness": {
        "low_factor": "Keep gently asking about the hesitation itself rather than steering away from the client's nervousness.",
        "persistent": "Let the client set the pace: say that trust takes time and holding back is allowed, and ask what would make sharing feel safer.",
        "rupture": "Check whether something in the last session made it feel less safe to speak, and welcome the hesitation as useful information.",
    },
    "expectations": {
        "low_factor": "Check in on how therapy feels so far and what the client hoped would be different by now.",
        "persistent": "Revisit goals together: what therapy can and cannot offer, how long change usually takes, and one sign of progress to watch for.",
        "rupture": "Ask whether the work still feels worth it, and re-agree a shared purpose before going deeper.",
    },
    "attachment": {
        "low_factor": "Be predictable: start and end on time, keep small promises, and announce breaks well in advance.",
        "persistent": "If the client doubts your commitment or how you feel about them, reassure them plainly and let the steady relationship itself be the corrective experience.",
        "rupture": "Name the pull to withdraw or to hold on tighter that you notice, without blame, and show that the relationship can survive the strain.",
    },
    "beliefs": {
        "low_factor": "Explore how the client sees emotion and asking for help (weakness? taboo?) before pressing on with technique.",
        "persistent": "Meet the client where they are, especially if someone else asked them to come: be curious about their view and validate it alongside others'.",
        "rupture": "Ask whether something you said clashed with their beliefs; respect their framework while looking for common ground.",
    },
    "setting": {
        "low_factor": "Check comfort with the format: privacy where they sit, connection quality, ease with the screen or the room.",
        "persistent": "Suggest trying the other format (in person or online) for a few sessions, then compare together how it feels.",
        "rupture": "If the format broke the session (frozen video, no privacy, a cold room), name it and agree a fix before next time.",
    },
    "socioeconomic": {
        "low_factor": "Ask openly, without assumptions, whether cost, work hours or travel are making sessions hard.",
        "persistent": "Offer a sliding-scale fee or spacing sessions out, and help find community resources that keep support going between sessions.",
        "rupture": "If hardship hit mid-treatment, discuss reduced-fee or pro-bono sessions so therapy does not end abruptly.",
        "stalled": "Reach out with a short, non-judgemental message asking whether cost, time or travel is getting in the way of booking.",
    },
    "support": {
        "low_factor": "Map with the client who in their life supports the work and who undermines it.",
        "persistent": "Plan how to handle unsupportive people and, with consent, consider inviting a supportive partner or family member to a session.",
        "rupture": "Explore what happened at home or in the community since last time, and how it shapes how therapy feels now.",
    },
    "stigma": {
        "low_factor": "Normalise being in therapy: many people come, and asking for help takes strength.",
        "persistent": "Consider a brief, purposeful self-disclosure that models courage about seeking help, if it serves the client.",
        "rupture": "Acknowledge the judgement the client fears from family or community, and validate how hard it is to keep coming.",
    },
    "expectations_stalled": {
        "stalled": "Contact the client to ask how therapy has been feeling and whether a change of goals or pace would help them come back.",
    },
}


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Prompt = apps.get_model("factors", "Prompt")
    for key, by_kind in PROMPTS.items():
        factor = Factor.objects.using(alias).get(key=key.removesuffix("_stalled"))
        for order, (applies_to, text) in enumerate(by_kind.items()):
            Prompt.objects.using(alias).get_or_create(factor=factor, applies_to=applies_to, text=text, defaults={"order": order})


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    apps.get_model("factors", "Prompt").objects.using(alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("factors", "0003_prompt")]
    operations = [migrations.RunPython(seed, unseed)]
