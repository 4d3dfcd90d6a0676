"""Django settings, read from the environment (SPEC.md section 3).

Every variable is read through ``outbound.config.Settings`` so that a missing or
malformed value stops start-up with a message naming it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static

from campaigns import alphabets, numbers
from outbound.api_limits import MAX_BATCH_BODY_BYTES
from outbound.config import Settings

BASE_DIR = Path(__file__).resolve().parent.parent
env = Settings()

DEBUG = env.flag("DJANGO_DEBUG", default=False)
SECRET_KEY = env.text("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set: it is required when DJANGO_DEBUG is off")
    # One key for every process of a development run: a key per process would sign a session in one
    # web worker that the next worker rejects (operators logged out at random).
    SECRET_KEY = "django-insecure-outbound-development-only-never-in-production"
ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

# SPEC section 3: the site is served over HTTPS, by gunicorn itself or behind a proxy or load balancer that ends
# TLS and says so in X-Forwarded-Proto (which it must then set on every request, overwriting the client's). Off,
# a loopback install keeps plain HTTP. Load balancers probe the health endpoints over plain HTTP: no redirect.
SECURE_TLS = env.flag("DJANGO_SECURE_TLS", default=False)
if SECURE_TLS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000  # a year
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Not on the browsers' preload list: that binds the whole registrable domain for months and is not ours
    # to decide for an operators' console on an internal host name.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

INSTALLED_APPS = [
    # The operators' console's theme (outbound/console.py): before the admin, whose templates it replaces.
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_htmx",
    "campaigns",
    "dialer",
    "reporting",
    "outbound",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "outbound.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (outbound/login_throttle.py): a user name is locked out from one address after
# DJANGO_LOGIN_FAILURE_LIMIT failed sign-ins in a row, for DJANGO_LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "outbound.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.integer("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("DJANGO_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "outbound.login_throttle.lockout_response"
AXES_VERBOSE = False  # no banner line at the start of every process and command

ROOT_URLCONF = "outbound.urls"
WSGI_APPLICATION = "outbound.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "outbound" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The operators' console (django-unfold): the product's name, the wallboard as the home page (there is no
# public site: "View site" leads to it), and a sidebar ordered as a floor is run (outbound/console.py).
UNFOLD = {
    "SITE_TITLE": "Outbound",
    "SITE_HEADER": "Outbound",
    "SITE_SUBHEADER": "campaign dialer",
    "SITE_SYMBOL": "support_agent",
    "SITE_URL": "/admin/",
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_HISTORY": False,
    "DASHBOARD_CALLBACK": "outbound.console.wallboard_context",
    "STYLES": [lambda request: static("outbound/console.css")],
    "SIDEBAR": {"show_search": True, "show_all_applications": True, "navigation": "outbound.console.navigation"},
}

DATABASES = {"default": env.database("DATABASE_URL")}
# A lost database must surface as 503 quickly, not hang a request or a cycle.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.text("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.text("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}  # filled below, once the dialer settings are read
# Dialing (cycles, the sweep that settles claims) on a queue of its own, deliveries (voice connector,
# attempt records, notifications, agent updates) on another, list imports on a third: a receiver that
# hangs or a million-row import never delays a call. A plain worker consumes all three; production may
# split them with -Q (the demo does).
# Answered predictive calls (the agent request, the hand-over, the abandon) have a queue of their own too: a
# customer waits at most ABANDON_TIMEOUT for an agent, and a dialing worker may spend a second or more in a
# cycle's throttled originates; production runs a worker on it (`-Q answered`).
CELERY_TASK_QUEUES = {
    name: {"exchange": name, "routing_key": name} for name in ("dialing", "answered", "deliveries", "imports")
}
CELERY_TASK_DEFAULT_QUEUE = "deliveries"
CELERY_TASK_ROUTES = {
    "dialer.tasks.dial_cycle": {"queue": "dialing"},
    "dialer.tasks.sweep_stale": {"queue": "dialing"},
    "dialer.tasks.refresh_switch_gateways": {"queue": "dialing"},
    "dialer.tasks.refresh_all_switch_gateways": {"queue": "dialing"},
    "dialer.tasks.*_call": {"queue": "answered"},
    "dialer.tasks.deliver_*": {"queue": "deliveries"},
    "dialer.tasks.prune_*": {"queue": "deliveries"},
    "reporting.tasks.*": {"queue": "deliveries"},
    # Short and periodic: never behind a million-row import on the imports queue.
    "campaigns.tasks.refresh_contact_counts": {"queue": "deliveries"},
    "campaigns.tasks.*": {"queue": "imports"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
# gunicorn serves the admin's assets through WhiteNoise: from STATIC_ROOT after `collectstatic` in
# production, straight from the apps in DEBUG (the demo), which needs no collected copy.
STATIC_ROOT = None if DEBUG else BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
# The admin's CSV upload streams files of millions of rows to disk, never to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# The batch endpoints' limit; RequestGuardMiddleware holds every other endpoint to Django's 2.5 MiB.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BATCH_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["campaigns.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["campaigns.auth.IsApiClient"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "outbound.api_errors.json_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "outbound.api_defaults.CappedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": ["outbound.api_defaults.NestingSafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Outbound dialer API",
    "DESCRIPTION": "Contact intake, campaign control, dialer status and the voice connector callback.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "outbound.openapi.complete_responses"],
    "ENUM_NAME_OVERRIDES": {
        "CampaignStateEnum": "campaigns.choices.CampaignState",
        "AgentStateNameEnum": "dialer.models.AgentStateName",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])},
}

# --- The dialer (SPEC.md section 3) ---
DIALER_SWITCH = env.choice("DIALER_SWITCH", "esl", ["esl", "simulator"])
ESL_HOST = env.text("ESL_HOST", "127.0.0.1")
ESL_PORT = env.integer("ESL_PORT", 8021, minimum=1)
# The simulator accepts FreeSWITCH's stock password; a real switch must be given one. Only the processes that
# talk to the switch need it (the listener, dialing workers, the web's readiness and status): each refuses to
# start without it (dialer.esl.client.configured_switch), while migrate, imports and purges run without.
ESL_PASSWORD = env.text("ESL_PASSWORD", "ClueCon" if DIALER_SWITCH == "simulator" else "")
EFSWITCH_IP = env.text("EFSWITCH_IP", "127.0.0.1", pattern=alphabets.SWITCH_DOMAIN)
MAX_CONCURRENT_CALLS = env.integer("MAX_CONCURRENT_CALLS", 10, minimum=1)
DIALER_CALLS_PER_SECOND = env.number("DIALER_CALLS_PER_SECOND", 5.0, exclusive=True)
DIALER_POLL_INTERVAL = env.number("DIALER_POLL_INTERVAL", 1.0, exclusive=True)
DEFAULT_IVR = env.text("DEFAULT_IVR", pattern=alphabets.EXTENSION)
DEFAULT_REGION = env.text("DEFAULT_REGION", pattern=numbers.REGION_PATTERN)  # national numbers' country
STALE_CALL_TIMEOUT = env.integer("STALE_CALL_TIMEOUT", 3600, minimum=1)
# An agent request the voice connector never answers is put back to pending after this many seconds.
AGENT_RESERVATION_TIMEOUT = env.integer("AGENT_RESERVATION_TIMEOUT", 120, minimum=1)
# Section 5a: seconds before a claim that placed no call is dialable again (gateway down; no agent; voice
# connector unreachable, which also covers a reservation that never came and unanswered pre-dial validation).
GATEWAY_DOWN_RETRY = env.integer("GATEWAY_DOWN_RETRY", 60, minimum=0)
NO_AGENT_RETRY = env.integer("NO_AGENT_RETRY", 10, minimum=0)
VOICE_CONNECTOR_RETRY = env.integer("VOICE_CONNECTOR_RETRY", 30, minimum=0)
# Section 5b, predictive calls: seconds after the answer within which an agent must be reserved; the dialplan
# extension playing the abandon message (empty: the call is hung up); the hard cap on a campaign's overdial rate
# and the window it is measured over; how long a contact whose call was abandoned is not dialed ahead again.
ABANDON_TIMEOUT = env.number("ABANDON_TIMEOUT", 2.0, exclusive=True)
ABANDON_EXTENSION = env.text("ABANDON_EXTENSION", pattern=alphabets.EXTENSION)
ABANDON_RATE_LIMIT = env.number("ABANDON_RATE_LIMIT", 0.03, exclusive=True)
ABANDON_WINDOW = env.integer("ABANDON_WINDOW", 86400, minimum=1)
ABANDON_LOCKOUT = env.integer("ABANDON_LOCKOUT", 259200, minimum=0)
# Section 5b: an agent state the voice connector has not confirmed for this long counts as unknown.
AGENT_STATE_TTL = env.integer("AGENT_STATE_TTL", 60, minimum=1)
VOICE_CONNECTOR_URL = env.url("VOICE_CONNECTOR_URL")
VOICE_CONNECTOR_TOKEN = env.text("VOICE_CONNECTOR_TOKEN")

# --- Reporting (SPEC.md section 7) ---
STATUS_NOTIFICATION_URL = env.url("STATUS_NOTIFICATION_URL")
STATUS_NOTIFICATION_INTERVAL = env.integer("STATUS_NOTIFICATION_INTERVAL", 0)
ATTEMPT_RECORD_URL = env.url("ATTEMPT_RECORD_URL")
HISTORY_HTTP_RESPONSE_TIMEOUT = env.number("HISTORY_HTTP_RESPONSE_TIMEOUT", 10.0, exclusive=True)
HISTORY_WAIT_RECOVERY_TIMEOUT = env.number("HISTORY_WAIT_RECOVERY_TIMEOUT", 60.0)
HISTORY_WAIT_CONDITION_THRESHOLD = env.integer("HISTORY_WAIT_CONDITION_THRESHOLD", 100)
PREDIAL_VALIDATION_URL = env.url("PREDIAL_VALIDATION_URL")
VALIDATION_RACE_CONDITION_CALL_RESULT = env.text("VALIDATION_RACE_CONDITION_CALL_RESULT", "Cancel Record")
TENANT_NAME = env.text("TENANT_NAME", "Unknown")
TENANT_CCID = env.text("TENANT_CCID", "Unknown")
# Days after which delivered outbox rows (voice connector messages, saved attempt records), applied agent updates
# and call and agent history are deleted (hourly, in small batches); 0 keeps everything for ever.
RETENTION_DAYS = env.integer("RETENTION_DAYS", 90, minimum=0)
if RETENTION_DAYS and RETENTION_DAYS * 86400 < ABANDON_WINDOW:
    # Predictive pacing reads the call history of the whole window: pruning inside it would blind the pacing.
    raise ImproperlyConfigured(f"RETENTION_DAYS: {RETENTION_DAYS} days is shorter than ABANDON_WINDOW")
# Seconds between two counts of the large contact statuses (pending, stopped, ended, failed) that the status
# API, /metrics and the admin read with their age (campaigns/counts.py); the live ones are always counted.
CONTACT_COUNTS_INTERVAL = env.number("CONTACT_COUNTS_INTERVAL", 30.0, exclusive=True)

CELERY_BEAT_SCHEDULE.update(
    {
        # A cycle that could not start in time is dropped: the next one does its work.
        "dial-cycle": {
            "task": "dialer.tasks.dial_cycle",
            "schedule": DIALER_POLL_INTERVAL,
            "options": {"expires": DIALER_POLL_INTERVAL * 2},
        },
        # Each enabled switch's gateways read again: dialer.gateways.GATEWAY_REFRESH_SECONDS (a test checks).
        "switch-gateways": {
            "task": "dialer.tasks.refresh_all_switch_gateways",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        "sweep-stale-calls": {"task": "dialer.tasks.sweep_stale", "schedule": 10.0},
        "voice-connector-retries": {"task": "dialer.tasks.deliver_due_voice_connector_messages", "schedule": 5.0},
        "attempt-records": {"task": "reporting.tasks.deliver_attempt_records", "schedule": 1.0},
        "agent-updates": {"task": "reporting.tasks.apply_queued_agent_updates", "schedule": 5.0},
        # A refresh that could not start before the next one is due is dropped: the next one counts.
        "contact-counts": {
            "task": "campaigns.tasks.refresh_contact_counts",
            "schedule": CONTACT_COUNTS_INTERVAL,
            "options": {"expires": CONTACT_COUNTS_INTERVAL},
        },
        "campaign-statistics": {
            "task": "reporting.tasks.refresh_statistics",
            "schedule": CONTACT_COUNTS_INTERVAL,
            "options": {"expires": CONTACT_COUNTS_INTERVAL},
        },
    }
)
if RETENTION_DAYS:
    CELERY_BEAT_SCHEDULE["prune-voice-connector-messages"] = {
        "task": "dialer.tasks.prune_delivered_voice_connector_messages",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    }
    CELERY_BEAT_SCHEDULE["prune-reporting-rows"] = {
        "task": "reporting.tasks.prune_old_reporting_rows",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    }
if STATUS_NOTIFICATION_INTERVAL:
    CELERY_BEAT_SCHEDULE["status-notifications"] = {
        "task": "reporting.tasks.send_periodic_status_notifications",
        "schedule": float(STATUS_NOTIFICATION_INTERVAL),
    }
