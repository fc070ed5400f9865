"""Production: everything from the environment; no embedded defaults for secrets."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
# The payment provider's callbacks are signed with a secret that only production knows.
PAYOUT_CALLBACK_SECRET = env("PAYOUT_CALLBACK_SECRET")
COURIER_CALLBACK_SECRET = env("COURIER_CALLBACK_SECRET")
