"""Four written vignettes with reference ratings (our own words, built on the article's examples):
a rupture (the article's flexibility example), a cultural misunderstanding (its cultural
competence example), a boundary problem (its boundaries example) and a strong alliance
(its communication and attachment examples). docs/factors.md, "Calibration vignettes"."""

from django.db import migrations

ORDER = [
    "communication",
    "cultural_competence",
    "boundaries",
    "flexibility",
    "openness",
    "expectations",
    "attachment",
    "beliefs",
    "setting",
    "socioeconomic",
    "support",
    "stigma",
]

# (title, theme, text, rationale, {factor key: reference rating or None: the text does not say})
VIGNETTES = [
    (
        "Sixth session: “This isn't working”",
        "A rupture",
        "Your sixth session with a man in his thirties who came for panic attacks. You have been working through "
        "a CBT workbook together. He arrives on time, in person as usual, and hands back the homework half done. "
        "When you start reviewing it he says, quietly, that the worksheets make him feel worse: every time he writes "
        "down a trigger he feels ashamed, and he is not sure this is working. You reassure him that the method is "
        "well tested and suggest he gives it two more weeks. He nods, says little for the rest of the hour and "
        "answers your questions briefly. At the door he says he may need to cancel next week because of work. "
        "His partner drove him and waited outside, as she always does.",
        "He told you the approach was not working and why (shame), and the reply kept to the plan: flexibility "
        "and the feeling of being understood both strain the alliance here. His withdrawal for the rest of the "
        "hour and the possible cancellation point to a rupture rather than a mild wobble. His partner's support "
        "and the in-person setting are not part of the problem.",
        {
            "communication": 2,
            "cultural_competence": None,
            "boundaries": 4,
            "flexibility": 1,
            "openness": 2,
            "expectations": 2,
            "attachment": None,
            "beliefs": None,
            "setting": 4,
            "socioeconomic": None,
            "support": 4,
            "stigma": None,
        },
    ),
    (
        "Faith left at the door",
        "A cultural misunderstanding",
        "A woman in her forties, fourth session, online. She talks about pressure from her religious community "
        "to stay in a marriage that leaves her exhausted. You steer towards her own needs and boundaries and say "
        "that she does not have to do what others expect of her. She pauses, then says that her faith is also what "
        "keeps her going, and that she does not want to be told to drop it. You move on to a breathing exercise. "
        "For the rest of the session she answers politely but does not come back to her community or her marriage. "
        "The video link worked well; she joined from a quiet room at home.",
        "Her faith is both a pressure and a source of strength; the reply framed it only as pressure, and when she "
        "said so the conversation moved away from it. Cultural competence and her sense that her beliefs are "
        "respected are low; she became guarded afterwards (openness). The online setting worked.",
        {
            "communication": 3,
            "cultural_competence": 1,
            "boundaries": 4,
            "flexibility": 2,
            "openness": 2,
            "expectations": 3,
            "attachment": None,
            "beliefs": 2,
            "setting": 4,
            "socioeconomic": None,
            "support": None,
            "stigma": None,
        },
    ),
    (
        "The hand that stayed",
        "A boundary problem",
        "A young woman working through a traumatic loss, ninth session. Early on, in a moment of heavy grief, "
        "you offered your hand and she took it. Since then she reaches for it at the start of each session, and "
        "today she asked whether she could have a hug before leaving and whether she could text you in the evenings "
        "when it gets bad. You hugged her, said yes to the texts, and the session ran twenty minutes over because "
        "she was still upset. She says you are the only person who understands her; her friends have drifted away "
        "since the loss. She pays a reduced fee that you agreed when she lost her job.",
        "Comfort that began as a fitting gesture has become physical and out-of-hours contact, and the time frame "
        "slipped: a boundary problem that feels warm but can confuse and harm. The relationship looks close "
        "(openness is high), but her reliance on the therapist alone and her thin support network are part of "
        "the concern. The sliding-scale fee is a reasonable accommodation.",
        {
            "communication": 3,
            "cultural_competence": None,
            "boundaries": 1,
            "flexibility": 3,
            "openness": 4,
            "expectations": 3,
            "attachment": 2,
            "beliefs": None,
            "setting": None,
            "socioeconomic": 4,
            "support": 2,
            "stigma": None,
        },
    ),
    (
        "Checking in",
        "A strong alliance",
        "A man in his fifties, twelfth session, in person. He starts by saying he wondered all week whether you "
        "were tired of him, because you looked at the clock last time. You thank him for saying so, explain that "
        "you had checked the time to make sure you would not have to rush the end, and ask how it felt to raise it. "
        "He says it was easier than he expected. He then describes how his brother talks to him, minimising what "
        "happened; you name the pattern and explain in plain words how self-blame keeps it going, and he says it "
        "is the first time it has made sense. You agree together to keep the exercise that suits him and drop the "
        "one that does not. He says he is starting to believe this can help. He comes weekly; his employee "
        "programme covers the sessions and his wife encourages him to come.",
        "He could voice a worry about the relationship, and it was met with thanks, openness and repair: an "
        "anxious attachment pattern used as a corrective experience. Clear explanation, joint decisions about "
        "the method, rising hope, good practical and family support: nearly everything supports the alliance.",
        {
            "communication": 5,
            "cultural_competence": None,
            "boundaries": 5,
            "flexibility": 5,
            "openness": 4,
            "expectations": 4,
            "attachment": 3,
            "beliefs": None,
            "setting": 5,
            "socioeconomic": 5,
            "support": 5,
            "stigma": None,
        },
    ),
]


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Vignette = apps.get_model("calibration", "Vignette")
    VignetteReference = apps.get_model("calibration", "VignetteReference")
    factors = {f.key: f for f in Factor.objects.using(alias).all()}
    for order, (title, theme, text, rationale, ratings) in enumerate(VIGNETTES, start=1):
        if Vignette.objects.using(alias).filter(title=title).exists():
            continue
        vignette = Vignette.objects.using(alias).create(
            title=title, theme=theme, text=text, rationale=rationale, order=order
        )
        VignetteReference.objects.using(alias).bulk_create(
            VignetteReference(vignette=vignette, factor=factors[key], rating=ratings[key]) for key in ORDER
        )


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Vignette = apps.get_model("calibration", "Vignette")
    Vignette.objects.using(alias).filter(title__in=[v[0] for v in VIGNETTES], attempts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("calibration", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
