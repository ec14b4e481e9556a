"""Existing answers stay readable: the seven factor questions as they were worded
(Factor.client_question) become Question rows keyed by their factor's key, and
every existing answer is moved onto the row of its factor. Frozen data, no app
code: a migration must not import the models it migrates.
"""

from django.db import migrations


def questions_from_factors(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Question = apps.get_model("selfreport", "Question")
    SelfReportRating = apps.get_model("selfreport", "SelfReportRating")
    question_of = {}
    for factor in Factor.objects.using(alias).exclude(client_question="").order_by("order"):
        question_of[factor.pk], _ = Question.objects.using(alias).get_or_create(
            key=factor.key,
            factor=factor,
            text=factor.client_question,
            defaults={"order": factor.order, "active": True},
        )
    # An answer whose factor is no longer asked keeps a (retired) question of its own.
    answered = SelfReportRating.objects.using(alias).values_list("factor_id", flat=True).distinct()
    for factor in Factor.objects.using(alias).filter(pk__in=answered).exclude(pk__in=question_of):
        question_of[factor.pk] = Question.objects.using(alias).create(
            key=factor.key, factor=factor, text=f"(no longer asked) {factor.name}", order=factor.order, active=False
        )
    for factor_id, question in question_of.items():
        SelfReportRating.objects.using(alias).filter(factor_id=factor_id).update(question=question)


def factors_from_questions(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    SelfReportRating = apps.get_model("selfreport", "SelfReportRating")
    SelfReportRating.objects.using(alias).filter(question__factor__isnull=True).delete()  # goals, overall: no factor to go back to
    for rating in SelfReportRating.objects.using(alias).select_related("question"):
        rating.factor_id = rating.question.factor_id
        rating.save(update_fields=["factor"])


class Migration(migrations.Migration):
    dependencies = [("selfreport", "0002_questions_and_free_text")]
    operations = [migrations.RunPython(questions_from_factors, factors_from_questions)]
