"""Production settings are deploy-ready (SEC-07); what merchants read carries no rule IDs (SEC-06)."""

import os
import pathlib
import re
import subprocess
import sys

from django.utils import translation

from core.errors import ApplicationError

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_sec07_check_deploy_is_clean_under_production_settings():
    """SEC-07: `manage.py check --deploy --settings=config.settings.production` reports no issue at all."""
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 20 + "-Production-Like-Secret-Key-0123456789abcdef",
           "PAYOUT_CALLBACK_SECRET": "p" * 32, "COURIER_CALLBACK_SECRET": "c" * 32, "TOKEN_PEPPER": "t" * 32,
           "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    for test_only in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the browser tests set the latter
        env.pop(test_only, None)
    run = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "System check identified no issues" in run.stdout, run.stdout + run.stderr


def test_sec07_production_is_https_only_with_a_csp():
    """SEC-07: HSTS, SSL redirect and secure cookies on by default; scripts only from our own static files."""
    text = (ROOT / "config" / "settings" / "production.py").read_text()
    assert 'SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)' in text
    assert re.search(r'SECURE_HSTS_SECONDS = env.int\("DJANGO_HSTS_SECONDS", default=31536000\)', text)
    from django.conf import settings

    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_sec06_refusals_read_without_rule_ids_in_both_languages():
    """SEC-06: the admin's one renderer (ApplicationError.text) shows the message only; the API keeps `rule`."""
    from payouts.errors import PayoutError

    codes = [getattr(PayoutError, name) for name in dir(PayoutError) if not name.startswith("_")]
    codes = [code for code in codes if getattr(code, "rule", "")]
    assert codes
    for code in codes:
        error = ApplicationError(code, params={k: "1" for k in re.findall(r"{(\w+)}", code.message + code.message_en)})
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert code.rule not in error.text()
        assert error.as_dict()["rule"] == code.rule


def test_sec06_pages_show_no_rule_ids(demo, client):
    """SEC-06: a refusal on the admin's payout page carries no rule ID."""
    from django.urls import reverse

    from accounts.models import User

    client.force_login(User.objects.get(username="dy_admin"))
    page = client.get(reverse("admin:payouts_payout_initiate") + "?order_no=DY1001")
    assert page.status_code == 200
    assert not re.search(r"\bPAY-[A-Z]\d\d\b", page.content.decode().split("data-rule")[0])
