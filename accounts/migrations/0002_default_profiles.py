from django.db import migrations


def create_default_profiles(apps, schema_editor):
    from accounts.profiles import DEFAULT_PROFILES

    PlatformProfile = apps.get_model("accounts", "PlatformProfile")
    for code, values in DEFAULT_PROFILES.items():
        PlatformProfile.objects.get_or_create(code=code, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_default_profiles, migrations.RunPython.noop)]
