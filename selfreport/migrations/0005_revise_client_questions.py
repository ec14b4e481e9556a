"""The client's questions, rewritten (issue 11): one idea each, plain words for a
reading age of about 11, in our own words; plus a question on agreeing the goals
and one on overall fit, which client-rated alliance measures cover (bond, goals,
tasks) and the first seven did not.

A reworded question is a new row; the old wording is kept, inactive, so earlier
answers still point at the words the client saw. Idempotent: the browser tests
run `seed` again after flushing the tables.
"""

from django.db import migrations

# (key, factor key or None, label for clinicians (blank: the factor's name), text)
QUESTIONS = [
    ("communication", "communication", "", "Did your therapist understand what you told them today?"),
    ("cultural_competence", "cultural_competence", "", "Did you feel respected for who you are today?"),
    ("openness", "openness", "", "Did you feel you could say what was really on your mind today?"),
    ("goals", None, "Goals agreed", "Do you and your therapist agree on what you are working on?"),
    ("flexibility", "flexibility", "", "Did the way you worked together today suit you?"),
    ("boundaries", "boundaries", "", "Did your therapist keep today's session focused on you?"),
    ("setting", "setting", "", "Did the way you met today (in person, by video or by phone) work for you?"),
    ("expectations", "expectations", "", "Do you think these sessions can help you?"),
    ("overall", None, "Overall fit", "Overall, does working with this therapist feel right for you?"),
]


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Question = apps.get_model("selfreport", "Question")
    for order, (key, factor_key, label, text) in enumerate(QUESTIONS, start=1):
        factor = Factor.objects.using(alias).get(key=factor_key) if factor_key else None
        wanted = {"factor": factor, "label": label, "order": order}
        if Question.objects.using(alias).filter(key=key, text=text, active=True).update(**wanted):
            continue
        Question.objects.using(alias).filter(key=key, active=True).update(active=False)  # the old wording, kept for its answers
        Question.objects.using(alias).create(key=key, text=text, active=True, **wanted)


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Question = apps.get_model("selfreport", "Question")
    SelfReportRating = apps.get_model("selfreport", "SelfReportRating")
    for key, _, _, text in QUESTIONS:
        new = Question.objects.using(alias).filter(key=key, text=text).first()
        if new is None:
            continue
        if SelfReportRating.objects.using(alias).filter(question=new).exists():
            Question.objects.using(alias).filter(pk=new.pk).update(active=False)
        else:
            new.delete()
        previous = Question.objects.using(alias).filter(key=key).exclude(text=text).order_by("-pk").first()
        if previous is not None:
            Question.objects.using(alias).filter(pk=previous.pk).update(active=True)


class Migration(migrations.Migration):
    dependencies = [("selfreport", "0004_answers_point_at_questions")]
    operations = [migrations.RunPython(seed, unseed)]
