"""General prompts for a client who is off track on a progress measure (PHQ-9, GAD-7).

From routine-outcome-monitoring practice: Lambert's clinical support tools for
clients not on track review, in order, the alliance, the client's motivation,
their social support and what else is happening in their life, then the plan
(Harmon et al. 2007; Lambert, Whipple & Kleinstäuber 2018; docs/factors.md).
Where the alliance is also weak or ruptured, the flag names those factors and
their own prompts come first (clients.insights.focus_prompts)."""

from django.db import migrations

PROMPTS = [
    (
        1,
        "Show the client their scores since the start and ask what they make of them: what has helped, what has "
        "not, and whether therapy is working on what matters most to them now.",
    ),
    (
        2,
        "Review the plan together: motivation, support around them and anything new in their life; agree one "
        "change (focus, frequency or approach), and consider a review with your supervisor or a referral if "
        "nothing moves.",
    ),
]


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Prompt = apps.get_model("factors", "Prompt")
    for order, text in PROMPTS:
        Prompt.objects.using(alias).get_or_create(
            factor=None, applies_to="off_track", text=text, defaults={"source": "practice", "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("factors", "0010_measures_flag_kinds")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
