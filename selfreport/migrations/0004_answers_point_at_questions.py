"""Every answer now points at the question the client saw; the factor column goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("selfreport", "0003_move_answers_onto_questions")]

    operations = [
        migrations.RemoveConstraint(model_name="selfreportrating", name="selfreport_one_rating_per_factor"),
        migrations.RemoveField(model_name="selfreportrating", name="factor"),
        migrations.AlterField(
            model_name="selfreportrating",
            name="question",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="selfreport.question"
            ),
        ),
        migrations.AddConstraint(
            model_name="selfreportrating",
            constraint=models.UniqueConstraint(fields=("link", "question"), name="selfreport_one_rating_per_question"),
        ),
    ]
