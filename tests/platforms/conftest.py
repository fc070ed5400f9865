"""Both fake open platforms on a loopback port, the product's settings pointed at them."""

import pytest
from cryptography.fernet import Fernet

from tests.payouts.rails.fake_common import serve
from tests.platforms.fake_platforms import FakePlatforms


@pytest.fixture
def fake(settings):
    platforms = FakePlatforms()
    server, url = serve(platforms)
    settings.PAYMENT_RAIL_KEYS = [Fernet.generate_key().decode()]
    settings.DOUYIN_APP_KEY, settings.DOUYIN_APP_SECRET = platforms.douyin_key, platforms.douyin_secret
    settings.DOUYIN_OPEN_URL = f"{url}/douyin"
    settings.DOUYIN_AUTHORIZE_URL = f"{url}/douyin/authorize"
    settings.PDD_CLIENT_ID, settings.PDD_CLIENT_SECRET = platforms.pdd_id, platforms.pdd_secret
    settings.PDD_OPEN_URL = f"{url}/pdd/router"
    settings.PDD_AUTHORIZE_URL = f"{url}/pdd/authorize"
    settings.PLATFORM_BACKOFF_SECONDS = 0.01
    settings.PLATFORM_SYNC_INLINE = True
    platforms.url = url
    yield platforms
    server.shutdown()
    server.server_close()
