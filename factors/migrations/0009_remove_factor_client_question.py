"""The client's questions now live in selfreport.Question (moved there, wording
and answers kept, by selfreport 0003), so the factor no longer carries one."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("factors", "0008_revise_anchors_and_prompts"),
        ("selfreport", "0003_move_answers_onto_questions"),
    ]

    operations = [
        migrations.RemoveField(model_name="factor", name="client_question"),
    ]
