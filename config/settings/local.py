"""Local and demo runs: the embedded default (SQLite, filesystem broker) unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
