"""PHQ-9 and GAD-7 with their standard wording, options, bands, caseness and
reliable-change thresholds and LOINC codes (/work/shared/reference/measures.md,
docs/factors.md "Progress measures"), and the neutral default crisis text."""

from django.db import migrations

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
OPTIONS = [
    (0, "Not at all", "LA6568-5"),
    (1, "Several days", "LA6569-3"),
    (2, "More than half the days", "LA6570-1"),
    (3, "Nearly every day", "LA6571-9"),
]
SOURCE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an "
    "educational grant from Pfizer Inc. No permission required to reproduce, translate, display or "
    "distribute. Caseness and reliable change: NHS Talking Therapies."
)
INSTRUMENTS = [
    {
        "key": "phq9",
        "name": "PHQ-9",
        "title": "Depression (Patient Health Questionnaire)",
        "order": 1,
        "loinc_panel": "44249-1",
        "loinc_total": "44261-6",
        "caseness": 10,
        "reliable_change": 6,
        "items": [
            ("Little interest or pleasure in doing things", "44250-9"),
            ("Feeling down, depressed, or hopeless", "44255-8"),
            ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
            ("Feeling tired or having little energy", "44254-1"),
            ("Poor appetite or overeating", "44251-7"),
            (
                "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
                "44258-2",
            ),
            (
                "Trouble concentrating on things, such as reading the newspaper or watching television",
                "44252-5",
            ),
            (
                "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
                "fidgety or restless that you have been moving around a lot more than usual",
                "44253-3",
            ),
            ("Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
        ],
        "safety_items": [9],
        "bands": [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe"),
        ],
    },
    {
        "key": "gad7",
        "name": "GAD-7",
        "title": "Anxiety (Generalized Anxiety Disorder 7)",
        "order": 2,
        "loinc_panel": "69737-5",
        "loinc_total": "70274-6",
        "caseness": 8,
        "reliable_change": 4,
        "items": [
            ("Feeling nervous, anxious, or on edge", "69725-0"),
            ("Not being able to stop or control worrying", "68509-9"),
            ("Worrying too much about different things", "69733-4"),
            ("Trouble relaxing", "69734-2"),
            ("Being so restless that it is hard to sit still", "69735-9"),
            ("Becoming easily annoyed or irritable", "69689-8"),
            ("Feeling afraid, as if something awful might happen", "69736-7"),
        ],
        "safety_items": [],
        "bands": [(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 21, "Severe")],
    },
]
CRISIS_TEXT = (
    "Thank you for telling us. If you are thinking about hurting yourself, or feel you might act on these "
    "thoughts, please do not wait for your next session: contact your clinician, call your local emergency "
    "services, or call a crisis line now."
)


def seed(apps, schema_editor):
    """Idempotent (tests re-run it after a transactional test flushed the tables)."""
    Instrument = apps.get_model("measures", "Instrument")
    Item = apps.get_model("measures", "Item")
    ResponseOption = apps.get_model("measures", "ResponseOption")
    Band = apps.get_model("measures", "Band")
    CrisisText = apps.get_model("measures", "CrisisText")
    for spec in INSTRUMENTS:
        fields = {k: v for k, v in spec.items() if k not in ("key", "items", "safety_items", "bands")}
        instrument, _ = Instrument.objects.update_or_create(
            key=spec["key"], defaults={"stem": STEM, "source": SOURCE, **fields}
        )
        for value, label, code in OPTIONS:
            ResponseOption.objects.update_or_create(
                instrument=instrument, value=value, defaults={"label": label, "loinc": code}
            )
        for number, (text, code) in enumerate(spec["items"], start=1):
            Item.objects.update_or_create(
                instrument=instrument,
                number=number,
                defaults={"text": text, "loinc": code, "is_safety_item": number in spec["safety_items"]},
            )
        for low, high, label in spec["bands"]:
            Band.objects.update_or_create(instrument=instrument, low=low, defaults={"high": high, "label": label})
    if not CrisisText.objects.exists():
        CrisisText.objects.create(text=CRISIS_TEXT)


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]  # 0001 reversed drops the tables
