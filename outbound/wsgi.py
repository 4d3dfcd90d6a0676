"""The WSGI entry of the web process (admin, API, health endpoints).

A bad setting stops it with one line naming the variable. The exit status is 4, which gunicorn's
master reads as "the app failed to load" and stops on; on any other status it would start worker
after worker, each dying with a traceback. The web reads the switch (readiness, the status API),
so it needs the switch's settings too.
"""

import os

from django.core.wsgi import get_wsgi_application

from outbound.config import exit_on_configuration_error

# gunicorn.arbiter.Arbiter.APP_LOAD_ERROR
APP_LOAD_ERROR = 4

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outbound.settings")
with exit_on_configuration_error(APP_LOAD_ERROR):
    from dialer.esl.client import configured_switch  # reads the settings: a bad one stops here

    configured_switch()  # before the app is built, whose start-up warnings would bury the line
    application = get_wsgi_application()
