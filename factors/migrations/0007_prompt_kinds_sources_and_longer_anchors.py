"""The prompt library speaks the flag kinds of factors/kinds.py (two of them too long
for the old column), says where each prompt comes from, and may hold general
prompts (no factor) for stalled clients and client concerns; anchors get room
for a short behavioural description."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("factors", "0006_seed_client_questions_and_discrepancy_prompts"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="prompt",
            options={
                "ordering": [models.OrderBy(models.F("factor__order"), nulls_last=True), "applies_to", "order", "pk"]
            },
        ),
        migrations.RemoveConstraint(
            model_name="prompt",
            name="prompt_applies_to_valid",
        ),
        migrations.AddField(
            model_name="prompt",
            name="source",
            field=models.CharField(
                choices=[
                    ("article_example", "From the article's example"),
                    ("article", "From the article"),
                    ("practice", "From practice and research"),
                ],
                default="practice",
                help_text="The article's example for this factor, the article's description of it, or rupture-repair, feedback and safety practice (named in docs/factors.md).",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="factor",
            name="label_1",
            field=models.CharField(max_length=80, verbose_name="anchor for 1"),
        ),
        migrations.AlterField(
            model_name="factor",
            name="label_2",
            field=models.CharField(max_length=80, verbose_name="anchor for 2"),
        ),
        migrations.AlterField(
            model_name="factor",
            name="label_3",
            field=models.CharField(max_length=80, verbose_name="anchor for 3"),
        ),
        migrations.AlterField(
            model_name="factor",
            name="label_4",
            field=models.CharField(max_length=80, verbose_name="anchor for 4"),
        ),
        migrations.AlterField(
            model_name="factor",
            name="label_5",
            field=models.CharField(max_length=80, verbose_name="anchor for 5"),
        ),
        migrations.AlterField(
            model_name="prompt",
            name="applies_to",
            field=models.CharField(
                choices=[
                    ("rupture", "Alliance rupture"),
                    ("client_concern", "Client concern"),
                    ("factor_drop", "Factor drop"),
                    ("discrepancy", "Client rated lower"),
                    ("persistent", "Persistent weakness"),
                    ("low_factor", "Low factor"),
                    ("stalled", "Stalled"),
                    ("context_change", "Context change"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="prompt",
            name="factor",
            field=models.ForeignKey(
                blank=True,
                help_text="Blank: a general prompt of its kind (only for stalled and client concern).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="prompts",
                to="factors.factor",
            ),
        ),
        migrations.AddConstraint(
            model_name="prompt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "applies_to__in",
                        [
                            "rupture",
                            "client_concern",
                            "factor_drop",
                            "discrepancy",
                            "persistent",
                            "low_factor",
                            "stalled",
                            "context_change",
                        ],
                    )
                ),
                name="prompt_applies_to_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="prompt",
            constraint=models.CheckConstraint(
                condition=models.Q(("source__in", ["article_example", "article", "practice"])),
                name="prompt_source_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="prompt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("factor__isnull", False), ("applies_to__in", ("stalled", "client_concern")), _connector="OR"
                ),
                name="prompt_factor_unless_general",
            ),
        ),
    ]
