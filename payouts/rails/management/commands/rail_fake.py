"""Run a fake rail beside `bin/run` and switch a shop to it (a demo of a real rail end to end).

    python manage.py rail_fake wechat --port 8601 --shop pdd --notify http://127.0.0.1:8000

makes fresh keys, starts the fake WeChat Pay gateway (tests/payouts/rails/fake_wechat.py) on the port,
configures the shop's rail (payout rail WeChat, card rail the fake Alipay on port+1) with the keys, and
settles every transfer after a few seconds, calling the product back at --notify. Ctrl-C stops it; the
shop is switched back to the sandbox unless --keep. The fake Alipay runs in the certificate mode.

The buyer's side (docs/buyer-pages.md): `--wechat-web 8603` also serves the fake WeChat web side (web
authorization, the JS-SDK) for the buyer pages — start bin/run with the WECHAT_OAUTH_* settings it prints —
and `--buyer-confirms` makes every transfer wait for the buyer (WAIT_USER_CONFIRM) until the confirm page's
requestMerchantTransfer confirms it; the fake then calls the product back.
"""

import importlib.util
import secrets
import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Shop
from payouts.rails import crypto
from payouts.rails.models import Rail
from payouts.rails.services import rail_config_set

FAKES = Path(settings.BASE_DIR) / "tests" / "payouts" / "rails"


def _load(name: str):
    """The fakes live in the test tree (tests/payouts/rails); a repository checkout has them."""
    if str(settings.BASE_DIR) not in sys.path:
        sys.path.insert(0, str(settings.BASE_DIR))
    path = FAKES / f"{name}.py"
    if not path.exists():
        raise CommandError(f"{path} is missing: the fakes come with a checkout of the repository")
    spec = importlib.util.spec_from_file_location(f"tests.payouts.rails.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _load_path(path: Path, name: str):
    if not path.exists():
        raise CommandError(f"{path} is missing: the fakes come with a checkout of the repository")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Command(BaseCommand):
    help = "Run the fake WeChat Pay (and Alipay) rail and switch a shop to it, for a demo beside bin/run."

    def add_arguments(self, parser):
        parser.add_argument("rail", choices=["wechat"])
        parser.add_argument("--port", type=int, default=8601)
        parser.add_argument("--shop", default="pdd", help="the shop key (demo: dy, pdd)")
        parser.add_argument("--notify", default="http://127.0.0.1:8000", help="the running product's base URL")
        parser.add_argument("--settle-after", type=float, default=3.0, help="seconds before a transfer succeeds")
        parser.add_argument("--fail", action="append", default=[], metavar="OPENID=REASON",
                            help="make a buyer's transfers fail, e.g. buyer_invalid=OPENID_INVALID")
        parser.add_argument("--keep", action="store_true", help="leave the shop on the fake rail when stopped")
        parser.add_argument("--no-openids", action="store_true",
                            help="do not give the buyers an openid (their WeChat payouts wait for authorization)")
        parser.add_argument("--wechat-web", type=int, metavar="PORT",
                            help="also serve the fake WeChat web side (authorization, JS-SDK) for the buyer pages")
        parser.add_argument("--buyer-confirms", action="store_true",
                            help="transfers wait for the buyer's confirmation (WAIT_USER_CONFIRM) on the buyer page")

    def handle(self, *args, **options):
        if not crypto.keys_configured():
            raise CommandError("Set PAYMENT_RAIL_KEYS (a Fernet key, e.g. from "
                               "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`) "
                               "in the environment of both bin/run and this command.")
        common, fake_wechat, fake_alipay = _load("fake_common"), _load("fake_wechat"), _load("fake_alipay")
        try:
            shop = Shop.objects.get(key=options["shop"])
        except Shop.DoesNotExist:
            raise CommandError(f"no shop {options['shop']!r}")
        merchant_key, app_key = common.new_key(), common.new_key()
        mch_id, serial, apiv3 = "1900000109", secrets.token_hex(20).upper(), secrets.token_hex(16)
        wechat = fake_wechat.FakeWechatPay(mch_id=mch_id, merchant_serial=serial,
                                           merchant_public_key_pem=common.public_pem(merchant_key), apiv3_key=apiv3,
                                           auto_settle_seconds=options["settle_after"])
        alipay = fake_alipay.FakeAlipay(app_id="2021000000000001", app_public_key_pem=common.public_pem(app_key),
                                        auto_settle_seconds=options["settle_after"], cert_mode=True)
        if options["buyer_confirms"]:
            wechat.confirm_required, wechat.auto_settle_seconds = True, None  # the buyer's confirmation settles
        for item in options["fail"]:
            openid, _, reason = item.partition("=")
            wechat.outcomes[openid] = ("FAIL", reason or "OPENID_INVALID")
        wechat_server, wechat_url = common.serve(wechat, options["port"], quiet=False)
        alipay_server, alipay_url = common.serve(alipay, options["port"] + 1, quiet=False)
        config = rail_config_set(shop=shop, actor=None, values={
            "enabled": True, "rail": Rail.WECHAT, "card_rail": Rail.ALIPAY, "notify_base_url": options["notify"],
            "wechat_base_url": wechat_url, "wechat_mch_id": mch_id, "wechat_appid": "wx8888888888888888",
            "wechat_cert_serial": serial, "wechat_public_key_id": wechat.public_key_id,
            "alipay_base_url": f"{alipay_url}/gateway.do", "alipay_app_id": alipay.app_id,
            "alipay_sign_mode": "cert", "alipay_app_cert": alipay.ca.app_cert_pem,
            "alipay_public_cert": alipay.ca.alipay_cert_pem, "alipay_root_cert": alipay.ca.root_pem,
        }, secrets={"wechat_private_key": common.private_pem(merchant_key),
                    "wechat_platform_public_key": wechat.public_key_pem, "wechat_apiv3_key": apiv3,
                    "alipay_app_private_key": common.private_pem(app_key, pkcs1=True),
                    "alipay_public_key": alipay.public_key_pem})
        web_server = None
        if options["wechat_web"]:
            web_server = self._wechat_web(options["wechat_web"], wechat, config, common)
        if not options["no_openids"]:
            # PAY-B03: WeChat pays an openid under the app; the demo's buyers are authorized up front (the
            # buyer pages learn it by WeChat's web authorization in a real deployment).
            from accounts.models import Role, User
            from payouts.rails.models import buyer_openid_set

            for buyer in User.objects.filter(role=Role.BUYER):
                buyer_openid_set(app_id=config.wechat_appid, buyer_id=buyer.pk, openid=buyer.username)
        self.stdout.write(
            f"fake WeChat Pay at {wechat_url}, fake Alipay at {alipay_url}/gateway.do\n"
            f"shop {shop.key} ({shop}) now pays by WeChat Pay 商家转账 (card retries by Alipay); callbacks go to "
            f"{config.notify_url('wechat')}\n"
            + ("make a payout in the admin (发起打款) for one of its orders: it waits for the buyer (待买家确认收款) "
               "until the buyer confirms on the page of the link in their message; the callback then marks it "
               "打款成功. Ctrl-C stops the fakes." if options["buyer_confirms"] else
               f"make a payout in the admin (发起打款) for one of its orders: it is paid ~{options['settle_after']:g}s "
               f"after submission and the callback marks it 打款成功. Ctrl-C stops the fakes."))
        def stop(*_):
            raise KeyboardInterrupt

        if web_server is not None:
            base = f"http://127.0.0.1:{options['wechat_web']}"
            self.stdout.write(
                f"fake WeChat web side at {base}; bin/run needs WECHAT_OAUTH_AUTHORIZE_URL={base}/connect/oauth2/authorize "
                f"WECHAT_OAUTH_API_BASE_URL={base} WECHAT_JSSDK_URL={base}/open/js/jweixin-1.6.0.js "
                f"BUYER_PAGES_BASE_URL={options['notify']}")
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            seen = 0
            while True:
                time.sleep(1)
                for number, status in (wechat.delivered + alipay.delivered)[seen:]:
                    self.stdout.write(f"callback for {number}: the product answered {status}")
                seen = len(wechat.delivered) + len(alipay.delivered)
        except KeyboardInterrupt:
            pass
        finally:
            wechat_server.shutdown()
            alipay_server.shutdown()
            if web_server is not None:
                web_server.shutdown()
            if not options["keep"]:
                rail_config_set(shop=shop, actor=None, values={"rail": Rail.SANDBOX, "card_rail": ""})
                self.stdout.write(f"shop {shop.key} switched back to the sandbox")

    def _wechat_web(self, port: int, wechat, config, common):
        """The fake WeChat web side of the buyer pages (tests/buyerpages/fake_wechat_oauth.py): the merchant app
        with a fresh AppSecret; the confirm step confirms the bill of the package and calls the product back."""
        import threading

        oauth = _load_path(Path(settings.BASE_DIR) / "tests" / "buyerpages" / "fake_wechat_oauth.py",
                           "tests.buyerpages.fake_wechat_oauth")
        secret = secrets.token_hex(16)

        def on_confirm(mch_id: str, app_id: str, package: str) -> bool:
            numbers = [n for n, bill in wechat.bills.items() if bill.get("package_info") == package
                       and bill.get("mch_id") == mch_id and bill.get("appid") == app_id]
            if len(numbers) != 1 or wechat.confirm(numbers[0])["state"] != "SUCCESS":
                return False
            threading.Thread(target=wechat._auto, args=(numbers[0],), daemon=True).start()  # the callback
            self.stdout.write(f"the buyer confirmed {numbers[0]} in WeChat")
            return True

        fake = oauth.FakeWechatOAuth(apps={config.wechat_appid: secret}, user="demo-wechat-user", on_confirm=on_confirm)
        server, url = common.serve(fake, port, quiet=False)
        fake.base_url = url
        rail_config_set(shop=config.shop, actor=None, values={}, secrets={"wechat_app_secret": secret})
        return server
