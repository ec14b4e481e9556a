"""The client's questions become rows of their own (`Question`), so the self-report
can ask about things that are not factors (goals, overall fit), and a link keeps
the client's free-text answer. Answers move onto questions in 0003; 0004 then
drops their factor column. (Split in three so PostgreSQL never alters a table
with row changes pending in the same transaction.)
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("factors", "0007_prompt_kinds_sources_and_longer_anchors"),
        ("selfreport", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Question",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "key",
                    models.SlugField(
                        blank=True,
                        help_text="The name its answers go by: set to the factor's key for a question about a factor; otherwise a key of its own that no factor has (e.g. goals).",
                        max_length=40,
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        blank=True,
                        help_text="Short name clinicians see beside the answer; blank: the factor's name.",
                        max_length=60,
                    ),
                ),
                (
                    "text",
                    models.CharField(
                        help_text="Plain words, one idea, for a reading age of about 11. To change what is asked, add a new question and untick this one: answers keep the wording the client saw.",
                        max_length=200,
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                ("active", models.BooleanField(default=True, help_text="Asked on new self-report links.")),
                (
                    "factor",
                    models.ForeignKey(
                        blank=True,
                        help_text="The factor the answer is set beside; blank for a question about no factor.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="client_questions",
                        to="factors.factor",
                    ),
                ),
            ],
            options={
                "ordering": ["order", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("active", True)),
                        fields=("key",),
                        name="selfreport_one_active_question_per_key",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="selfreportlink",
            name="comment",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="What the client wrote in the free-text box: clinical text, shown only on the client page.",
                max_length=1000,
            ),
        ),
        migrations.AddField(
            model_name="selfreportrating",
            name="question",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="selfreport.question"
            ),
        ),
        # Nullable for the move (and for moving back when reversing); 0004 removes it.
        migrations.AlterField(
            model_name="selfreportrating",
            name="factor",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="factors.factor"
            ),
        ),
    ]
