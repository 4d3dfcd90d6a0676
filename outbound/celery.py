"""The Celery app; tasks live in each app's ``tasks`` module and are found by autodiscovery."""

import gc
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outbound.settings")
app = Celery("outbound")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_startup_objects(**_: Any) -> None:
    """Keep the ~100,000 objects of Django's start-up out of the collector's reach.

    A full collection over them pauses the process for about 30 ms: a worker between its throttle
    slot and its originate would send late, right before the next slot's call.
    """
    gc.freeze()
