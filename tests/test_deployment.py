"""The deployment checklist: production's lock holds no test tools, runtime files stay
out of the repository, and production settings pass `check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from config.security import check_shared_cache

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLS = {"pytest", "pytest-django", "schemathesis", "playwright", "hypothesis", "ruff",
              "factory-boy", "time-machine"}  # fmt: skip
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)")


def pins(name: str) -> dict:
    found = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1].lower())] = match[2]
    return found


def test_production_installs_no_test_tools():
    base = pins("base.txt")

    assert {"django", "djangorestframework", "celery", "psycopg", "gunicorn"} <= set(base)
    assert not TEST_TOOLS & set(base)


def test_development_has_production_at_the_same_pins_plus_the_tools():
    base, dev = pins("base.txt"), pins("dev.txt")

    assert {name: dev.get(name) for name in base} == base
    assert TEST_TOOLS | {"honcho"} <= set(dev)


def test_every_line_of_the_locks_is_pinned():
    for name in ("base.txt", "dev.txt"):
        for line in (ROOT / "requirements" / name).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                assert PIN.match(line), f"{name}: {line}"


def test_the_filesystem_broker_keeps_its_control_folder_under_var_dir(tmp_path):
    """kombu's filesystem transport writes `control/` in the working directory unless
    told otherwise; a worker started from the repository would litter it."""
    env = {**os.environ, "CELERY_BROKER_URL": "filesystem://", "VAR_DIR": str(tmp_path)}
    code = (
        "from config.celery import app; conn = app.connection(); "
        "print(conn.transport_options['control_folder'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert Path(result.stdout.strip()) == tmp_path / "broker" / "control"
    assert (tmp_path / "broker" / "control").is_dir()


def test_runtime_files_are_not_in_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    ignored = (ROOT / ".gitignore").read_text().split()

    assert not [path for path in tracked if path.startswith(("control/", ".hypothesis/"))]
    assert {"/control/", ".hypothesis/", "/test-results/", "/var/"} <= set(ignored)


def test_production_settings_pass_check_deploy():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production does not.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "inbox.example.com",
        "CACHE_URL": "redis://127.0.0.1:6379/15",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_the_throttle_cache_is_per_process(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert [warning.id for warning in check_shared_cache()] == ["inbox.W001"]

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    assert check_shared_cache() == []
