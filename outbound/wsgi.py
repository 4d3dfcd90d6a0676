"""The WSGI entry of the web process (admin, API, health endpoints).

A bad setting stops it with one line naming the variable. The exit status is 4, which gunicorn's
master reads as "the app failed to load" and stops on; on any other status it would start worker
after worker, each dying with a traceback. The web reads the switches (readiness, the status API),
so it needs them configured: switch rows, or ESL_PASSWORD for the settings' switch.
"""

import os

from django.core.wsgi import get_wsgi_application

from outbound.config import exit_on_configuration_error

# gunicorn.arbiter.Arbiter.APP_LOAD_ERROR
APP_LOAD_ERROR = 4

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outbound.settings")
with exit_on_configuration_error(APP_LOAD_ERROR):
    application = get_wsgi_application()  # reads the settings: a bad one stops here
    from dialer.switches import require_switches

    require_switches()  # switch rows, or ESL_PASSWORD for the settings' switch
