"""The ASGI application the live-update browser test serves with uvicorn: config.asgi,
with static files from the source folders as Django's own test server serves them (no
collectstatic, DEBUG off)."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as django_application

application = ASGIStaticFilesHandler(django_application)
