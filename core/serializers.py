"""Output shapes shared by every app's API."""

from rest_framework import serializers


class DomainEventSerializer(serializers.Serializer):
    """One row of a timeline (core.models.DomainEvent): `type`, `actor` (username), `at`, `params`."""

    type = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    at = serializers.DateTimeField()
    params = serializers.JSONField()
