"""Settings read from the environment (DESIGN.md §2); every default is safe for a laptop.

Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=true,
and then passes `manage.py check --deploy`.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str
from config.security import caches_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files of the embedded mode: SQLite database, broker folders, beat schedule.
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The default key is flagged by `check --deploy` (the django-insecure prefix) on purpose.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-local-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Behind TLS in production: redirect, secure cookies, HSTS.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "conversations",
    "workflows",
    "inbox",
    "webhooks",
]

MIDDLEWARE = [
    # First: a path or query string with NUL or non-UTF-8 bytes is a 400 before any work.
    "config.middleware.SafeAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out user name before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# Connections live up to CONN_MAX_AGE seconds, in web requests and in Celery tasks alike
# (config/celery.py); before a request's or a task's first query a kept connection is
# checked (CONN_HEALTH_CHECKS), so one a database restart dropped is replaced at once.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The web server, the worker and beat share one file: take the write lock at BEGIN
    # and wait for it rather than failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so a real worker started by the integration tests sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

# The API's failed-token counts live here. Without CACHE_URL: each process's own memory
# (one process is fine; several gunicorn workers or hosts each count apart). With
# CACHE_URL=redis://host:6379/1 every worker shares them. django-axes keeps the login
# lock-outs in the database, shared anyway.
CACHES = caches_from_url(env_str("CACHE_URL", ""))
# Which conversations have a task on its way (conversations/dispatch.py: coalescing).
# Shared by the web server and the workers: the CACHE_URL Redis, or without it a folder
# under VAR_DIR (one host, as `make run`; on several hosts set CACHE_URL).
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["dispatch"] = {**CACHES["default"], "KEY_PREFIX": "dispatch"}
else:
    CACHES["dispatch"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "dispatch-cache"),
        # Past this many files the cache drops a third of them: a dropped marker only
        # costs a task that finds nothing to do.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }

# Live updates (conversations/live.py, README "Live updates"): "conversation X changed",
# pushed to the open pages over server-sent events. LIVE_URL=redis://host:6379/2 fans out
# through Redis pub/sub (any number of web processes and hosts; may be the CACHE_URL or
# broker Redis: it uses one pub/sub channel, no keys). Without it: stamp files under
# VAR_DIR/live, read every LIVE_POLL_SECONDS by each web process (one host, no server).
LIVE_URL = env_str("LIVE_URL", "")
LIVE_REDIS_CHANNEL = env_str("LIVE_REDIS_CHANNEL", "inbox-workflows:live")
LIVE_POLL_SECONDS = 0.25
# A stream says something at least this often (a comment line), so proxies keep it open
# and a closed connection is noticed.
LIVE_KEEPALIVE_SECONDS = 15
# The Messenger shows "…" while a customer's message waits for the workflows, at most
# this long (a stopped worker must not leave it typing for ever).
LIVE_TYPING_SECONDS = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "conversations.Teammate"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm (package-lock.json); only their built files are served.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if (d[1] if isinstance(d, tuple) else d).exists()]

# --- brute force (README "Security") --------------------------------------------------
# The client's address: REMOTE_ADDR, or, behind a reverse proxy you trust, the header it
# sets (e.g. HTTP_X_FORWARDED_FOR; its right-most entry). Used by the login lock-out and
# the API's failed-token throttle alike (config.security.client_address).
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
# Login page and admin login (django-axes, attempts stored in the database, so shared by
# every worker): this many failures for one user name from one address lock that user
# name out from that address, even with the right password, for this long.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.security.client_address"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_USERNAME_CALLABLE = "config.security.username_tried"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Teammates' DRF tokens and contacts' messenger tokens, then the browser session.
        "conversations.api_auth.TokenOrMessengerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["conversations.api_auth.IsTeammate"],
    # One JSON parser with the input bounds of issue 11 (depth, NUL, surrogates, NaN).
    # JSON only (API.md), through the one bounded parser: a form-encoded body would skip
    # its checks and silently lose nested values. Anything else is a 415.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "config.api_input.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Failed token authentications per client address (conversations.api_auth): past the
    # burst a guesser waits out the minute, past the sustained rate the hour. Valid
    # tokens are never counted. Counted in the default cache (CACHE_URL below).
    "DEFAULT_THROTTLE_RATES": {
        "failed_token_burst": env_str("API_FAILED_TOKEN_BURST_RATE", "10/min"),
        "failed_token_sustained": env_str("API_FAILED_TOKEN_SUSTAINED_RATE", "60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Inbox Workflows API",
    "DESCRIPTION": "Contacts, conversations and workflows (see shared/API.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The API speaks JSON (API.md): request bodies are documented as JSON only.
    "PARSER_WHITELIST": ["config.parsers.BoundedJSONParser"],
    # Every operation documents its 400/401/403/404 answers (config/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_answers",
    ],
}

# While a customer-facing workflow runs, its conversation sits in the bot inbox.
BOT_INBOX_ENABLED = env_bool("BOT_INBOX_ENABLED", True)
MESSENGER_DEMO_PICKER = env_bool("MESSENGER_DEMO_PICKER", DEBUG)
OFFICE_HOURS_TIME_ZONE = env_str("OFFICE_HOURS_TIME_ZONE", "UTC")

# --- Celery: all background work (DESIGN.md §2) ---------------------------------------
# Default broker: kombu's filesystem transport, so `make run` needs no server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR = VAR_DIR / "broker"
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Exchange tables; kombu's default is `control/` in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # The transport polls its folder; the default 1s would take a task per second.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis redelivers an unacknowledged task after this long (a worker that died).
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
        # A broker that does not answer fails a connection attempt in seconds, not minutes.
        "socket_connect_timeout": 2,
    }
# Broker outages (README "How it runs"): workers and beat reconnect on their own, however
# long the broker is away; a web request publishes with a short, bounded retry and, if
# the broker is still away, logs and leaves the event to the redispatch sweep.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # never give up (the default stops at 100)
# Celery 5.7.0's consumer exits on a Redis restart; this one reconnects (config/celery.py).
CELERY_WORKER_CONSUMER = "config.celery:Consumer"
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}
# A task running when the connection drops cannot be acknowledged: it is delivered again.
# Stop it rather than let the two run side by side (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Acknowledge after the task ran, one message at a time: a task whose worker dies is
# delivered again. The orchestrator is idempotent, so a second delivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Workers keep their database connection from one task to the next. Celery's Django
# fix-up closes it after every task unless this is set: a new PostgreSQL session per task
# (6–7 ms, issue 12). With it, the fix-up closes only every this many tasks, and
# CONN_MAX_AGE and the health checks above decide per task (config/celery.py).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# How long a conversation counts as queued once its task is sent: neither its new events
# nor the sweeps send it again meanwhile (the task clears it when it starts). Longer than
# a task waits in the queue under load; a task the broker lost is sent again by the
# sweep after at most this long.
QUEUED_MARKER_SECONDS = env_int("QUEUED_MARKER_SECONDS", 30)
# How long an event may wait for its dispatched task before the sweep sends it again.
EVENT_REDISPATCH_AFTER = timedelta(seconds=env_int("EVENT_REDISPATCH_AFTER_SECONDS", 5))
# How often the sweeps run; bounds how late a lost task or timer can be.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 5)
# A timer gets its ETA task when it is set only if it falls due within this long: Redis
# hands a held ETA message to a worker again every visibility_timeout, so a week-long
# snooze would pile up copies. Later timers get theirs from the sweep, one interval ahead.
TIMER_ETA_HORIZON_SECONDS = env_int("TIMER_ETA_HORIZON_SECONDS", 240)

# Poison work: a conversation whose processing raises is retried by the sweeps after
# base × 2^(failures-1) seconds, at most the cap; from this many failures in a row it is
# shown as failing in the inbox and the admin until a retry succeeds.
PROCESSING_FAILURES_BEFORE_FAILING = env_int("PROCESSING_FAILURES_BEFORE_FAILING", 5)
PROCESSING_RETRY_BASE_SECONDS = env_int("PROCESSING_RETRY_BASE_SECONDS", 5)
PROCESSING_RETRY_MAX_SECONDS = env_int("PROCESSING_RETRY_MAX_SECONDS", 3600)

# Webhooks and the HTTP request step refuse private, loopback and link-local destinations
# unless their host (name or address) is listed here (config/outbound.py).
OUTBOUND_ALLOWED_HOSTS = env_list("OUTBOUND_ALLOWED_HOSTS", [])

# Webhooks (webhooks/): a failed delivery is retried after the base, then twice as long
# each time (at most base × 512), 14 retries: about a day with the default 30 s.
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# An endpoint whose every attempt failed for this long is switched off (admins see why).
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24)
# A pending delivery this late for its attempt has lost its task: the sweep sends it.
WEBHOOK_SWEEP_GRACE_SECONDS = env_int("WEBHOOK_SWEEP_GRACE_SECONDS", 60)
WEBHOOK_SWEEP_INTERVAL_SECONDS = env_int("WEBHOOK_SWEEP_INTERVAL_SECONDS", 30)

# Replay (workflows/replay.py): the facts of processed events are kept this many days;
# a replay over more events than REPLAY_SYNC_EVENTS runs as a Celery task.
REPLAY_RETENTION_DAYS = env_int("REPLAY_RETENTION_DAYS", 30)
REPLAY_SYNC_EVENTS = env_int("REPLAY_SYNC_EVENTS", 10_000)

# E-mail (notifications to teammates away from the inbox; docs/operations.md "E-mail").
# `make run` prints them on the console; production names an SMTP server. The password
# is read here only: never logged, never shown.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Inbox Workflows <inbox@localhost>")
# A notification is e-mailed when its teammate's inbox has not been open (no page asked
# for the bell, which an open page does every 20 s) for this many minutes.
NOTIFICATION_EMAIL_AWAY_MINUTES = env_int("NOTIFICATION_EMAIL_AWAY_MINUTES", 5)
# The address the e-mails link to (the inbox as teammates reach it).
INBOX_BASE_URL = env_str("INBOX_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Task names are explicit (`@shared_task(name=...)`), so moving code never strands the
# messages already queued or this schedule.
CELERY_BEAT_SCHEDULE = {
    "redispatch-unprocessed-events": {
        "task": "workflows.redispatch_unprocessed_events",
        "schedule": SWEEP_INTERVAL_SECONDS,
    },
    # Waits, snoozes, silences and SLA targets: one table, one sweep (workflows/timers.py).
    "fire-due-timers": {
        "task": "workflows.fire_due_timers",
        "schedule": SWEEP_INTERVAL_SECONDS,
    },
    # Webhook deliveries whose task message was lost (webhooks/tasks.py).
    "resend-overdue-webhook-deliveries": {
        "task": "webhooks.resend_overdue_deliveries",
        "schedule": WEBHOOK_SWEEP_INTERVAL_SECONDS,
    },
    "delete-old-replay-snapshots": {
        "task": "workflows.delete_old_replay_snapshots",
        "schedule": 3600,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "routine_tasks": {"()": "config.log_filters.RoutineTasksAtDebug"},
        "permission_denied": {"()": "config.log_filters.PermissionDeniedWithoutTraceback"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default logging gives "django" a console handler of its own when DEBUG
        # is on; with the root's handler every request warning was printed twice. Here it
        # has none and propagates to the root, once.
        "django": {"level": "INFO"},
        "django.request": {"filters": ["permission_denied"]},
        "django.db.backends": {"level": "INFO"},
        # httpx logs each request's full URL at INFO; a webhook URL may carry a token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # The periodic sweeps' "sending", "received" and "succeeded" lines at DEBUG.
        "celery.beat": {"filters": ["routine_tasks"]},
        "celery.worker.strategy": {"filters": ["routine_tasks"]},
        "celery.app.trace": {"filters": ["routine_tasks"]},
    },
}
# django-axes prints a "BEGIN version" banner to the console in every process.
AXES_VERBOSE = False
