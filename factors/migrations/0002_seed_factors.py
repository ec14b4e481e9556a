"""Seed the twelve alliance factors.

The texts are our own wording of the article's descriptions (see
shared/reference/factors.md); they can be edited later in the admin.
The data is frozen here on purpose: a migration must not import app code.
"""

from django.db import migrations

# key, domain, name, description, labels for 1..5
FACTORS = [
    (
        "communication",
        "therapist",
        "Communication",
        "Did you listen fully, reflect feeling and content, and explain things in plain words?",
        ["Client felt unheard", "Some misattunement", "Adequate", "Clear and validating", "Fully attuned"],
    ),
    (
        "cultural_competence",
        "therapist",
        "Cultural competence",
        "Did you respect and ask about the client's culture, faith and identity, and check your own bias?",
        ["Background judged", "Background sidelined", "Acknowledged", "Explored with curiosity", "Woven into the work"],
    ),
    (
        "boundaries",
        "therapist",
        "Professional boundaries",
        "Was the frame (time, touch, roles, contact) clear and held with warmth, neither breached nor rigid?",
        ["Frame breached", "Blurred or too rigid", "Mostly held", "Clear and warm", "Secure frame"],
    ),
    (
        "flexibility",
        "therapist",
        "Flexibility",
        "Did you adapt method, pace and style to this client and act on their feedback?",
        ["Stuck despite signals", "Slow to adapt", "Some adjustment", "Responsive", "Tailored to the client"],
    ),
    (
        "openness",
        "client",
        "Openness",
        "How ready was the client to share thoughts, feelings and experiences today?",
        ["Closed off", "Guarded", "Selective", "Open", "Fully engaged"],
    ),
    (
        "expectations",
        "client",
        "Expectations and motivation",
        "Does the client hope therapy can help, and do their expectations match what it offers?",
        ["Sceptical or mismatched", "Doubtful", "Uncertain", "Hopeful", "Motivated and aligned"],
    ),
    (
        "attachment",
        "client",
        "Attachment",
        "How settled was the client's attachment pattern in the relationship (trust vs. fear of abandonment or distance)?",
        ["Strongly activated", "Noticeably activated", "Mixed", "Mostly settled", "Secure base"],
    ),
    (
        "beliefs",
        "client",
        "Cultural and personal beliefs",
        "How did the client's beliefs about emotion, help-seeking and faith sit with the work?",
        ["Block the work", "Cause friction", "Neutral", "Respected in the work", "Support the work"],
    ),
    (
        "setting",
        "contextual",
        "Therapy setting",
        "Did the format (in person, online, phone) support presence, privacy and rapport?",
        ["Undermined it", "Got in the way", "Neutral", "Worked well", "Helped the work"],
    ),
    (
        "socioeconomic",
        "contextual",
        "Socioeconomic access",
        "How much did cost, work, travel or money stress get in the way of attending and engaging?",
        ["Access at risk", "Strained", "Manageable", "Minor concern", "No barrier"],
    ),
    (
        "support",
        "contextual",
        "Support systems",
        "Did family, friends and community reinforce or undermine the work?",
        ["Undermining", "Unsupportive", "Mixed", "Supportive", "Actively reinforcing"],
    ),
    (
        "stigma",
        "contextual",
        "Stigma",
        "How much did shame or fear of judgement about being in therapy hold the client back?",
        ["Shame dominates", "Weighs heavily", "Present", "Mild", "Not a barrier"],
    ),
]


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    for order, (key, domain, name, description, labels) in enumerate(FACTORS, start=1):
        Factor.objects.using(alias).update_or_create(
            key=key,
            defaults={
                "domain": domain,
                "order": order,
                "name": name,
                "description": description,
                **{f"label_{i}": label for i, label in enumerate(labels, start=1)},
            },
        )


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    apps.get_model("factors", "Factor").objects.using(alias).filter(key__in=[f[0] for f in FACTORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("factors", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
