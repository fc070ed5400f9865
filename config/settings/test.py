"""The test suite: real PostgreSQL and Redis by default (SPEC: SQLite proves nothing about locks)."""

from .base import *  # noqa: F403
from .base import env

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/backoffice"),
}
CACHES = {"default": env.cache("CACHE_URL", default="rediscache://127.0.0.1:6379/1")}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/2")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# Static files come from the finders in tests (live_server serves them); no collectstatic needed.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# pytest-xdist: each worker (gw0, gw1 …) has its own test database (pytest-django adds the suffix); give it
# its own Redis keys too, for the cache and for the Celery broker's queues, so workers never see each other's.
# TEST_NAMESPACE separates two suites run at once on one machine (say two checkouts): give each its own
# DATABASE_URL name too.
XDIST_WORKER = env("PYTEST_XDIST_WORKER", default="")
_NAMESPACE = env("TEST_NAMESPACE", default="") + XDIST_WORKER
if _NAMESPACE:
    CACHES["default"]["KEY_PREFIX"] = _NAMESPACE
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{_NAMESPACE}:"}
# The scenario files of the demo and the tests carry short, readable tokens (tok-dy_admin): allowed here only.
TOKEN_SHORT_KEYS_ALLOWED = env.bool("TOKEN_SHORT_KEYS_ALLOWED", default=True)
