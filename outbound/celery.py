"""The Celery app; tasks live in each app's ``tasks`` module and are found by autodiscovery."""

import gc
import os
from collections.abc import Iterable
from typing import Any

import django
from celery import Celery
from celery.signals import celeryd_init, worker_process_init

from outbound.config import exit_on_configuration_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outbound.settings")
app = Celery("outbound")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Queues whose tasks talk to the switch (cycles and originates; answered predictive calls).
SWITCH_QUEUES = frozenset({"dialing", "answered"})


@app.on_configure.connect
def read_settings_or_exit(**_: Any) -> None:
    """Read Django's settings as Celery first needs them, and stop on a bad one with one line.

    Celery reads them lazily while parsing its own command line; an ``ImproperlyConfigured`` raised
    there came out as a traceback of some ninety lines with the variable's name on the last.
    """
    from django.conf import settings

    with exit_on_configuration_error():
        settings.INSTALLED_APPS  # noqa: B018  (reading a setting loads the settings module)


@celeryd_init.connect
def require_the_switch_for_dialing_queues(options: dict[str, Any], **_: Any) -> None:
    """A worker that will dial refuses to start without switches (rows, or ESL_PASSWORD), in one line.

    Without this it would start, take dialing tasks and fail every one of them. A worker on the
    deliveries and imports queues only never talks to the switch and starts without them.
    """
    if not consumes_switch_queues(options.get("queues"), options.get("exclude_queues")):
        return
    with exit_on_configuration_error():
        django.setup()  # the switches are rows: the models are read before the worker's own set-up
        from dialer.switches import require_switches

        require_switches()


def consumes_switch_queues(queues: Iterable[str] | None, excluded: Iterable[str] | None) -> bool:
    """Whether a worker started with ``-Q queues -X excluded`` takes tasks that talk to the switch (pure)."""
    from django.conf import settings

    consumed = set(queues or settings.CELERY_TASK_QUEUES) - set(excluded or ())
    return bool(consumed & SWITCH_QUEUES)


@worker_process_init.connect
def freeze_startup_objects(**_: Any) -> None:
    """Keep the ~100,000 objects of Django's start-up out of the collector's reach.

    A full collection over them pauses the process for about 30 ms: a worker between its throttle
    slot and its originate would send late, right before the next slot's call.
    """
    gc.freeze()
