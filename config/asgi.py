"""The web server's entry point (uvicorn config.asgi:application): ASGI, so the live
updates' server-sent-event streams (inbox/live_views.py) are held open without a thread."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# WhiteNoise answers static files with a file iterator, which Django reads in a thread
# under ASGI and warns about; for small static files that is fine.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

application = get_asgi_application()
