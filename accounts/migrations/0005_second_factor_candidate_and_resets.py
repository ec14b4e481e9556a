from django.db import migrations, models


class Migration(migrations.Migration):
    """A second factor not yet confirmed is kept as a candidate (the rows that exist are all
    confirmed: True for them, False for new ones); a count of resets on the user."""

    dependencies = [
        ("accounts", "0004_second_factor"),
    ]

    operations = [
        migrations.AddField(
            model_name="secondfactor",
            name="confirmed",
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name="secondfactor",
            name="confirmed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="user",
            name="second_factor_resets",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
