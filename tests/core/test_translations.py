"""No English on a Chinese page (SPEC §9): the project's catalog is complete and compiled, and every admin
page a role can open shows the Chinese names of apps, models and fields."""

import gettext
import pathlib
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from accounts.models import User

LOCALE = pathlib.Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PROJECT_APPS = ("core", "accounts", "orders", "notifications", "payouts", "aftersales", "logistics", "workbench",
                "platforms", "platforms_import")


def po_entries(path: pathlib.Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of a .po file; plural entries report their first form."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block or re.search(r"^#,.*\bfuzzy\b", block, re.M) is not None
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r'^(msgid|msgstr|msgid_plural|msgstr\[0\])\s+"(.*)"$', line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if "msgid" in fields and fields["msgid"]:
            entries.append((fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", "")), fuzzy))
    return entries


def catalogs() -> list[pathlib.Path]:
    """The project's catalog and each app's own (`<app>/locale/zh_Hans/LC_MESSAGES/django.po`)."""
    found = [LOCALE / "django.po"]
    for label in PROJECT_APPS:
        path = pathlib.Path(apps.get_app_config(label).path) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        if path.exists():
            found.append(path)
    return found


def test_catalog_has_no_untranslated_or_fuzzy_entry_and_the_mo_is_compiled_from_it():
    assert len(po_entries(LOCALE / "django.po")) > 150
    for po in catalogs():
        entries = po_entries(po)
        assert [e[0] for e in entries if not e[1] or e[2]] == [], po
        with open(po.with_suffix(".mo"), "rb") as fh:
            compiled = gettext.GNUTranslations(fh)
        stale = [msgid for msgid, _, _ in entries if "msgid_plural" not in msgid and compiled.gettext(msgid) == msgid]
        assert stale == [], f"{po}: run compilemessages"


def english_names() -> set[str]:
    """The English verbose names of the project's apps, models and fields (what a page would show untranslated)."""
    names = set()
    with translation.override("en"):
        for label in PROJECT_APPS:
            config = apps.get_app_config(label)
            names.add(str(config.verbose_name))
            for model in config.get_models():
                names.update({str(model._meta.verbose_name), str(model._meta.verbose_name_plural)})
                for field in model._meta.get_fields():
                    if hasattr(field, "verbose_name") and not field.auto_created:
                        names.add(str(field.verbose_name))
    # Single words shorter than 4 letters (ID, …) and names identical in Chinese are not checked.
    return {n for n in names if len(n) >= 4 and re.search(r"[A-Za-z]{4,}", n)}


def english_shown(text: str, names: set[str]) -> set[str]:
    """The names that appear in `text` as whole words (any case). One combined pattern finds whether any
    does (a page is scanned once, not once per name); only then is each name looked up, for the message."""
    combined = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, sorted(names, key=len, reverse=True)))})(?![\w-])",
                          re.I)
    if not combined.search(text):
        return set()
    return {name for name in names if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I)}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_lead", "ops1", "yto_hz_01_user"])
def test_every_admin_page_a_role_opens_is_chinese_and_no_500(demo, client, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    english = english_names()
    request = type("R", (), {"user": user})()
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model_admin.get_queryset(type("R", (), {"user": user, "GET": {}})()).first()
        if first is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[first.pk]))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert len(pages) > 5
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", response.content.decode(), flags=re.S)
        assert english_shown(text, english) == set(), url
