"""``python -m bench [name …]`` (``make bench [BENCH=name]``): run benchmarks and print their tables."""

from __future__ import annotations

import importlib
import os
import sys

import django

BENCHES = {
    "intake": "bench.intake",
    "import": "bench.import_contacts",
    "scheduler": "bench.scheduler",
    "originates": "bench.originates",
    "hangups": "bench.hangups",
    "attempts": "bench.attempt_delivery",
    "pacing": "bench.pacing",
    "status_counts": "bench.status_counts",
    "per_call_cost": "bench.per_call_cost",
    "wallboard": "bench.wallboard",
    "console_lists": "bench.console_lists",
}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outbound.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    for name in names or list(BENCHES):
        # Settings a benchmark changes (a receiver URL, the throttle…) end with it, not leak into the next.
        with override_settings():
            importlib.import_module(BENCHES[name]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
