"""The questions clients answer on a self-report link, and prompts for when the
client rates a factor lower than the clinician did. Our own words."""

from django.db import migrations

CLIENT_QUESTIONS = {
    "communication": "How well did your therapist listen to and understand what you said today?",
    "cultural_competence": "How respected did you feel in who you are: your culture, faith and identity?",
    "boundaries": "How comfortable were you with how the session was run: time, contact and roles?",
    "flexibility": "How well did your therapist adjust to what you needed today?",
    "openness": "How able did you feel to share what was on your mind today?",
    "expectations": "How hopeful are you that these sessions can help you?",
    "setting": "How well did the way you met today (in person, video or phone) work for you?",
}
DISCREPANCY_PROMPTS = {
    "communication": "Ask the client what you might have missed today, and reflect it back until they say you have it right.",
    "cultural_competence": "Invite the client to tell you what about their background you may not yet understand, and thank them for it.",
    "boundaries": "Check how the way sessions run (time, contact, roles) feels from their side, and agree together on anything to change.",
    "flexibility": "Ask directly what would help more, and agree on one change you will make next session.",
    "openness": "Name gently that sharing may feel harder than it looks from your chair, and ask what would make it safer.",
    "expectations": "Ask how hopeful they really feel, and revisit together what therapy can offer and how you will both notice progress.",
    "setting": "Ask whether the format works for them, and offer the other one (in person or online) for a trial.",
}


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Factor = apps.get_model("factors", "Factor")
    Prompt = apps.get_model("factors", "Prompt")
    for key, question in CLIENT_QUESTIONS.items():
        Factor.objects.using(alias).filter(key=key).update(client_question=question)
    for key, text in DISCREPANCY_PROMPTS.items():
        Prompt.objects.using(alias).get_or_create(factor=Factor.objects.using(alias).get(key=key), applies_to="discrepancy", text=text)


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    apps.get_model("factors", "Prompt").objects.using(alias).filter(applies_to="discrepancy").delete()
    apps.get_model("factors", "Factor").objects.using(alias).update(client_question="")


class Migration(migrations.Migration):
    dependencies = [("factors", "0005_client_questions")]
    operations = [migrations.RunPython(seed, unseed)]
