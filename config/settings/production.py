"""Production: everything from the environment; no embedded defaults for secrets."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
TOKEN_PEPPER = env("TOKEN_PEPPER")  # SEC-02: API token digests are keyed with it (docs/DEPLOY.md)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# SEC-07: HTTPS only. Behind a TLS-terminating proxy that talks plain HTTP to gunicorn, set
# DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy must set and strip that header) so Django
# knows the request was HTTPS; DJANGO_SSL_REDIRECT=false only where the proxy already redirects.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # Prometheus scrapes over the private network (OPS-02)
if env("DJANGO_SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env("DJANGO_SECURE_PROXY_SSL_HEADER"), "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
# The payment provider's callbacks are signed with a secret that only production knows.
PAYOUT_CALLBACK_SECRET = env("PAYOUT_CALLBACK_SECRET")
PAYOUT_SANDBOX_ENABLED = env.bool("PAYOUT_SANDBOX_ENABLED", default=False)  # PAY-S11: off unless turned on
PAYOUT_SUBMIT_INLINE = False
COURIER_CALLBACK_SECRET = env("COURIER_CALLBACK_SECRET")
