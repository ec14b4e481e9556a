"""The Privacy officers group: its members, and only they, read the audit trail."""

from django.db import migrations

GROUP = "Privacy officers"  # audit.readers.AUDIT_READERS


def create_group(apps, schema_editor):
    alias = schema_editor.connection.alias if schema_editor else "default"
    Group = apps.get_model("auth", "Group")
    Group.objects.using(alias).get_or_create(name=GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
