"""Local and demo runs: the embedded default (SQLite, filesystem broker) unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The scenario files of the demo and the tests carry short, readable tokens (tok-dy_admin): allowed here only.
TOKEN_SHORT_KEYS_ALLOWED = env.bool("TOKEN_SHORT_KEYS_ALLOWED", default=True)
