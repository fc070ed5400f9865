"""Settings shared by every environment. Values come from the environment (django-environ).

The embedded default needs no server: SQLite and Celery's filesystem:// broker under ./var.
Point DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis for anything real.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN, CSP-clean
    "simple_history",
    "axes",
    "core",
    "accounts",
    "orders",
    "notifications",
    "payouts",
    "payouts.rails",  # real payment rails (WeChat Pay, Alipay) behind payouts.provider, per shop
    "aftersales",
    "logistics",
    "chattools",
    "workbench",
    "platforms",
    "platforms.exports_import",  # CON-08: importing the platforms' order export files (its own templates, command)
    "buyerpages",  # SPEC §14: the buyer's mobile pages under /b/ (signed links, PAY-B01..B04)
    "ops",  # SPEC §15: /healthz, /readyz, /metrics and 系统状态; nothing imports it
]

MIDDLEWARE = [
    "core.observability.RequestLogMiddleware",  # OPS-03: request id, one JSON line per request; first, sees all
    "ops.middleware.ProbeMiddleware",  # OPS-01: /healthz, /readyz before the host check and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RefuseUnsafeTextMiddleware",  # SEC-04: no NUL / lone surrogate in path, query, headers
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # SEC-01: last, as django-axes requires
]

# SEC-01: 5 failed sign-ins for one username from one address within 15 minutes lock that username at that
# address for 15 minutes, even with the right password; a success resets the count. Platform staff see and clear
# lockouts in the admin (accounts.admin). The lockout answer is the login page with a Chinese message.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
# The lock is per username AND address, so failures from elsewhere never lock the owner out at theirs; the
# address is the one the deployment's trusted proxies report (core.net.client_address, TRUSTED_PROXY_COUNT).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.net.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.signin_locked"
AXES_ENABLE_ADMIN = False  # accounts.admin shows lockouts to platform staff with the product's roles
AXES_VERBOSE = False
# SEC-01/SEC-03: how many reverse proxies of our own append to X-Forwarded-For (docs/DEPLOY.md); 0: none, the
# socket's address counts and the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: short OLTP statements whose row estimates cross jit_above_cost paid 300+ ms compiling code
    # (an admin search at 1 M payouts: 375 ms of JIT for 2 rows; issue 14, bench/lists.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # A database that does not answer fails a connection (and /readyz, OPS-01) in seconds, not a TCP timeout.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for the writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "admin:login"

# Chinese by default; English through the admin's language switch (/i18n/setlang/).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Business days and "per day" limits use the Asia/Shanghai calendar day (SPEC intro).
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}

# SEC-02: API token digests are HMAC-SHA256 under this pepper (accounts.tokens.token_digest); production must set
# it (docs/DEPLOY.md), and changing it invalidates every token. Short scenario-file tokens only in demo/tests.
TOKEN_PEPPER = env("TOKEN_PEPPER", default="dev-only-token-pepper")
TOKEN_SHORT_KEYS_ALLOWED = env.bool("TOKEN_SHORT_KEYS_ALLOWED", default=False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # SEC-04/05: bounded nesting, fractions read as Decimal (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.KeysetPagination",  # keyset pages, bounded count (issue 14)
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # SEC-03: failed API authentication per address (accounts.tokens.FailedAuthThrottle), on the cache.
    # API_FAILED_AUTH_RATE=none turns it off (benchmarks).
    "DEFAULT_THROTTLE_RATES": {"failed_auth": None if env("API_FAILED_AUTH_RATE", default="20/min") == "none"
                               else env("API_FAILED_AUTH_RATE", default="20/min")},
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "After-sales back office API",
    "DESCRIPTION": "Small payouts, re-opened after-sales entries, reships and parcel interception "
    "for Douyin and Pinduoduo shops. Errors: {code, message, message_en, rule}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error answers, page objects and CSV answers described once for every operation (core.schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.postprocess"],
    # Request bodies get their own components, so a required text field says it may not be blank (minLength 1)
    # while the same field in an answer may be "" (issue 22 item 2b: the schema says what the server accepts).
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PayoutTypeEnum": "payouts.models.PayoutType",
        "TicketTypeEnum": "aftersales.models.TicketType",
    },
}

# Content-Security-Policy (django-csp): scripts only from our own static files (no inline script, no CDN:
# the admin, the vendored charts and the Swagger UI satisfy it); inline style attributes are allowed
# because the admin's templates use them (they cannot run code).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# Celery. The embedded default is the filesystem broker (folders under var/broker).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task taken by a worker that is killed goes back to the queue after this long (Redis's default is an
    # hour). Every task is safe to run twice and short, and the clocks re-check everything anyway
    # (docs/DEPLOY.md, measured by bench/scaleout.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every periodic sweep of SPEC §8, by name (core.clocks registry). Each runs in its own task so a
# slow sweep does not hold up the others; each is safe to run twice at once.
CELERY_BEAT_SCHEDULE = {
    # Re-adds the shop ledger and compares it with the cached balances; logs drift loudly.
    "ledger_verify": {
        "task": "core.tasks.run_sweep_task",
        "schedule": 3600.0,
        "args": ("ledger_verify",),
    },
    # --- small payouts (SPEC §8) ---
    # PAY-S02: pending payouts submitted at the profile's age (Douyin 30 min) and settled in the same run.
    "payouts_auto_submit": {"task": "core.tasks.run_sweep_task", "schedule": 60.0, "args": ("payouts_auto_submit",)},
    # PAY-S03: processing payouts settled with the rail: the recovery path for lost callbacks and tasks.
    "payouts_settle": {"task": "core.tasks.run_sweep_task", "schedule": 60.0, "args": ("payouts_settle",)},
    # Issue 19.9: reconciliation (对账) of the rails' bills with the payouts, hourly.
    "rails_reconcile": {"task": "core.tasks.run_sweep_task", "schedule": 3600.0, "args": ("rails_reconcile",)},
    # PAY-C03: account cards expire 72 h after they were sent.
    "payout_cards_expire": {"task": "core.tasks.run_sweep_task", "schedule": 300.0, "args": ("payout_cards_expire",)},
    # PAY-S06: payouts still not succeeded 7 days after creation close.
    "payouts_close": {"task": "core.tasks.run_sweep_task", "schedule": 300.0, "args": ("payouts_close",)},
    # PAY-S06: a closed payout's money returns on the 3rd working day after the close.
    "payouts_return": {"task": "core.tasks.run_sweep_task", "schedule": 600.0, "args": ("payouts_return",)},
    # PAY-Q02: scan-to-pay top-ups fail 1 h after the request.
    "payout_top_ups_expire": {"task": "core.tasks.run_sweep_task", "schedule": 60.0, "args": ("payout_top_ups_expire",)},
    # Idempotency keys are kept 7 days, then purged.
    "idempotency_keys_purge": {"task": "core.tasks.run_sweep_task", "schedule": 3600.0, "args": ("idempotency_keys_purge",)},
    # --- logistics (parcel interception, SPEC §8) ---
    # Submit requested interceptions to the courier and apply its results (INT-07); every minute.
    "interception_results": {
        "task": "core.tasks.run_sweep_task",
        "schedule": 60.0,
        "args": ("interception_results",),
    },
    # Ask the courier whether intercepted parcels are back (sandbox: `returned` after 3 days); every 10 min.
    "interception_returns": {
        "task": "core.tasks.run_sweep_task",
        "schedule": 600.0,
        "args": ("interception_returns",),
    },
    # --- aftersales (SPEC §8) ---
    # RS-03: reship requests unanswered for 48 h are approved automatically (set-based batches).
    "reship_auto_approve": {"task": "core.tasks.run_sweep_task", "schedule": 60.0, "args": ("reship_auto_approve",)},
    # CON-02, CON-03: tokens refreshed before they expire; every connected shop's orders synced (one task each)
    "platform_tokens_refresh": {"task": "core.tasks.run_sweep_task", "schedule": 600.0,
                                "args": ("platform_tokens_refresh",)},
    "platform_sync": {"task": "core.tasks.run_sweep_task", "schedule": 300.0, "args": ("platform_sync",)},
    # RS-04..RS-06: missed reship shipment deadlines: penalty, 3.00 coupon, not_received refunded.
    "reship_ship_deadline": {"task": "core.tasks.run_sweep_task", "schedule": 60.0, "args": ("reship_ship_deadline",)},
    # RS-07: intervention windows left unused for 48 h close their tickets.
    "reship_window_close": {"task": "core.tasks.run_sweep_task", "schedule": 300.0, "args": ("reship_window_close",)},
    # ASE-R01: re-opened after-sales entries close 5 days after opening.
    "aftersales_entry_close": {"task": "core.tasks.run_sweep_task", "schedule": 300.0,
                               "args": ("aftersales_entry_close",)},
    # NTF-04: reship requests the clock approves within 6 h: a station message to the main account, once each.
    "reship_auto_approve_soon": {"task": "core.tasks.run_sweep_task", "schedule": 300.0,
                                 "args": ("reship_auto_approve_soon",)},
    # OPS-05: rail-call records (系统状态's recent outcomes) are kept 7 days; the counters stay.
    "rail_calls_purge": {"task": "core.tasks.run_sweep_task", "schedule": 3600.0, "args": ("rail_calls_purge",)},
}

# OPS-03: one JSON line per request and per task (python-json-logger), each with the request id, user and
# shop (core.observability.ContextFilter), every value scrubbed of secrets by the formatter.
# LOG_FORMAT=text gives scrubbed plain lines for a terminal.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.observability.ContextFilter"}},
    "formatters": {
        "json": {"()": "core.observability.JsonFormatter", "timestamp": True,
                 "format": "%(levelname)s %(name)s %(message)s %(request_id)s %(user)s %(shop)s"},
        "text": {"()": "core.observability.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # urllib3's debug lines carry whole request URLs — Douyin's carry the access token (CON-07, SEC): never.
    # django.server repeats each request line of runserver; backoffice.request already logs it.
    "loggers": {"urllib3": {"level": "WARNING"}, "django.server": {"level": "WARNING"}},
}
# Celery workers log through the same LOGGING (JSON lines) instead of replacing the root logger's handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# OPS-02: /metrics answers `Authorization: Bearer <METRICS_TOKEN>`, or any caller from METRICS_ALLOWED_NETWORKS
# (CIDRs, e.g. 10.0.0.0/8 for the Prometheus server's network). Neither set: /metrics answers nobody.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# OPS-04: errors of web requests and tasks go to Sentry when SENTRY_DSN is set (core.observability.sentry_init).
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")

# Small payouts: the payment rail adapter and the shared secret of its signed callbacks (PAY-S07).
PAYOUT_PROVIDER = env("PAYOUT_PROVIDER", default="payouts.provider.SandboxProvider")
PAYOUT_CALLBACK_SECRET = env("PAYOUT_CALLBACK_SECRET", default="sandbox-only-callback-secret")
PAYOUT_CALLBACK_TOLERANCE_SECONDS = 300
# Every call to a rail has explicit (connect, read) timeouts in seconds (PAY-S09: a read timeout is an
# unknown outcome, a connect timeout a certain refusal).
PAYOUT_RAIL_TIMEOUT = (env.float("PAYOUT_RAIL_CONNECT_TIMEOUT", default=3.0), env.float("PAYOUT_RAIL_READ_TIMEOUT", default=10.0))
# The sandbox rail's callback (gateway/callback/) and top-up page (PAY-S11): on here, off in production
# unless the deployment turns it on.
PAYOUT_SANDBOX_ENABLED = env.bool("PAYOUT_SANDBOX_ENABLED", default=True)
# Send remote-rail submissions in the process after the commit instead of through the worker (single-process
# demos only; never in production: a request would wait on the rail).
PAYOUT_SUBMIT_INLINE = env.bool("PAYOUT_SUBMIT_INLINE", default=False)
# Fernet keys sealing the shops' rail credentials (payouts.rails, docs/payment-rails.md): newest first.
PAYMENT_RAIL_KEYS = env.list("PAYMENT_RAIL_KEYS", default=[])
# Platform connections (platforms, API.md "Platform connections", docs/platforms.md): read when a call is made.
DOUYIN_APP_KEY = env("DOUYIN_APP_KEY", default="")
DOUYIN_APP_SECRET = env("DOUYIN_APP_SECRET", default="")
DOUYIN_OPEN_URL = env("DOUYIN_OPEN_URL", default="https://openapi-fxg.jinritemai.com")
DOUYIN_AUTHORIZE_URL = env("DOUYIN_AUTHORIZE_URL", default="https://fuwu.jinritemai.com/authorize")
DOUYIN_SERVICE_ID = env("DOUYIN_SERVICE_ID", default="")
PDD_CLIENT_ID = env("PDD_CLIENT_ID", default="")
PDD_CLIENT_SECRET = env("PDD_CLIENT_SECRET", default="")
PDD_OPEN_URL = env("PDD_OPEN_URL", default="https://gw-api.pinduoduo.com/api/router")
PDD_AUTHORIZE_URL = env("PDD_AUTHORIZE_URL", default="https://fuwu.pinduoduo.com/service-market/auth")
PLATFORM_HTTP_TIMEOUT = (3.05, 20)  # connect, read (seconds)
PLATFORM_RETRIES = 4  # tries of one call while the platform throttles or does not answer
PLATFORM_BACKOFF_SECONDS = 1.0  # base of the exponential backoff (with jitter) between those tries
PLATFORM_FIRST_SYNC_DAYS = 30  # a first sync reads back this many days (CON-03)
PLATFORM_REFRESH_AHEAD = 3600  # seconds before expiry an access token is refreshed (CON-02)
PLATFORM_SYNC_INLINE = False  # the sync clock starts one Celery task per shop; True: runs them in the clock's task
# Parcel interception: the couriers' signed result callbacks (logistics.adapters).
COURIER_CALLBACK_SECRET = env("COURIER_CALLBACK_SECRET", default="sandbox-only-courier-secret")

ADMIN_SITE_HEADER = _("After-sales back office")
ADMIN_INDEX_TITLE = _("Workbench")

# History of admin-edited configuration is an audit trail, not an undo button: a revert would skip the
# services (quota_set) that hold the rules.
SIMPLE_HISTORY_REVERT_DISABLED = True

# The buyer's pages (SPEC §14, buyerpages): the links in the buyer's messages start with this public address;
# every link expires with what it serves and never lives longer than BUYER_LINK_MAX_AGE seconds (PAY-B01).
BUYER_PAGES_BASE_URL = env("BUYER_PAGES_BASE_URL", default="http://127.0.0.1:8000")
BUYER_LINK_MAX_AGE = 8 * 24 * 3600
# WeChat web authorization (snsapi_base, PAY-B03) and the JS-SDK of the confirm-receipt page (PAY-B04).
# Tests and the demo point these at the local fake (tests/buyerpages/fake_wechat_oauth.py).
WECHAT_OAUTH_AUTHORIZE_URL = env("WECHAT_OAUTH_AUTHORIZE_URL", default="https://open.weixin.qq.com/connect/oauth2/authorize")
WECHAT_OAUTH_API_BASE_URL = env("WECHAT_OAUTH_API_BASE_URL", default="https://api.weixin.qq.com")
WECHAT_OAUTH_TIMEOUT = (3.05, 10)  # connect, read (seconds)
WECHAT_JSSDK_URL = env("WECHAT_JSSDK_URL", default="https://res.wx.qq.com/open/js/jweixin-1.6.0.js")
