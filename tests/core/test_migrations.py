"""The migrations are complete. The suite builds its test databases from the models (--nomigrations, for
speed), so this is where a model change without its migration is caught."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import PlatformProfile
from accounts.services import profiles_ensure_defaults


@pytest.mark.django_db
def test_every_model_change_has_its_migration(settings):
    settings.MIGRATION_MODULES = {}  # --nomigrations hides every app's migrations; look at them again
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"a model change has no migration (makemigrations --check exited {exc.code})")


@pytest.mark.django_db
def test_the_default_profiles_migration_makes_what_the_loader_makes():
    """accounts/migrations/0002 (run on install) and profiles_ensure_defaults (tests, loader) agree."""
    migration = importlib.import_module("accounts.migrations.0002_default_profiles")

    def rows():
        return [{k: v for k, v in row.items() if k != "id"} for row in PlatformProfile.objects.order_by("code").values()]

    PlatformProfile.objects.all().delete()
    migration.create_default_profiles(apps, None)
    from_migration = rows()
    PlatformProfile.objects.all().delete()
    profiles_ensure_defaults()
    assert from_migration and rows() == from_migration
