"""SEC-02 (issue 22 item 5): API token digests become HMAC-SHA256 under settings.TOKEN_PEPPER of the key's
SHA-256 (accounts.tokens.token_digest), so the stored plain SHA-256 digests are re-keyed in place; and no
prefix may hold the whole key, so prefixes of keys that may be short are cut to a quarter of what is known.
Irreversible: the plain digests are not kept."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations

PREFIX_LENGTH = 8


def rekey(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    pepper = settings.TOKEN_PEPPER.encode("utf-8")
    for token in ApiToken.objects.all().only("pk", "digest", "prefix", "name").iterator():
        token.digest = hmac.new(pepper, token.digest.encode("ascii"), hashlib.sha256).hexdigest()
        # Made keys (bo_ + 43 characters) and keys migrated from DRF's tokens (40) are long: their 8 characters
        # are a fifth at most. Any other key is at least as long as its stored prefix, so a quarter of that is safe.
        if not (token.prefix.startswith("bo_") or token.name == "migrated"):
            token.prefix = token.prefix[: len(token.prefix) // 4]
        token.save(update_fields=["digest", "prefix"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_shop_chat_auto_reply_rail_busy_wallet"),
    ]

    operations = [
        migrations.RunPython(rekey),
    ]
