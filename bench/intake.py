"""Contact intake throughput: ``POST /api/v1/contacts/`` with lists, against one contact per request.

Requests go through the whole Django stack in this process (middleware, token
authentication, DRF parsing, per-field validation, the all-or-nothing intake),
without a network hop. The one-contact-per-request row is what an integration
that sends each contact as it comes pays; the ``bulk_create`` row stores the same
rows with no HTTP, no validation and no replay check: the ceiling of this path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from bench.table import print_table
from campaigns.auth import create_api_client
from campaigns.choices import ApiRole
from campaigns.intake import build_contacts
from campaigns.models import ApiClient, Contact
from campaigns.samples import sample_contacts
from campaigns.validation import ContactInput, validate_contact

BATCHED = 20_000
BATCH = 500
SINGLE = 2_000
CAMPAIGN = "bench-intake"


def contacts(count: int, first_number: int) -> list[dict[str, Any]]:
    start = timezone.now() - timedelta(hours=1)
    return list(sample_contacts(count, campaign_id=CAMPAIGN, start=start, first_number=first_number))


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_contact WHERE campaign_id = %s", [CAMPAIGN])


def through_api(api: APIClient, items: list[dict[str, Any]], per_request: int) -> int:
    stored = 0
    for first in range(0, len(items), per_request):
        chunk = items[first : first + per_request]
        response = api.post("/api/v1/contacts/", chunk if per_request > 1 else chunk[0], format="json")
        assert response.status_code == 201, response.content[:300]
        stored += len(chunk)
    return stored


def with_bulk_create(valid: list[ContactInput]) -> int:
    return len(Contact.objects.bulk_create(build_contacts(valid, received_at=timezone.now()), batch_size=BATCH))


def timed(run: Callable[[], int]) -> tuple[int, float]:
    reset()
    started = time.perf_counter()
    stored = run()
    return stored, time.perf_counter() - started


def run() -> None:
    client, token = create_api_client(name=f"bench-intake-{time.time()}", role=ApiRole.CAMPAIGN_MANAGER)
    api = APIClient(SERVER_NAME="127.0.0.1")  # an allowed host
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    batched, single = contacts(BATCHED, 4917000000000), contacts(SINGLE, 4918000000000)
    valid = [c for c in map(validate_contact, contacts(BATCHED, 4919000000000)) if isinstance(c, ContactInput)]
    paths: list[tuple[str, Callable[[], int]]] = [
        (f"API, {BATCH} contacts per request (product)", lambda: through_api(api, batched, BATCH)),
        ("API, one contact per request (baseline)", lambda: through_api(api, single, 1)),
        ("bulk_create, no HTTP, no validation (ceiling)", lambda: with_bulk_create(valid)),
    ]
    rows = []
    try:
        for name, path in paths:
            stored, seconds = timed(path)
            rows.append((name, stored, seconds, stored / seconds))
    finally:
        reset()
        ApiClient.objects.filter(pk=client.pk).delete()
    print_table(
        "contact intake through the REST API (in process, no network)",
        ["path", "contacts", "seconds", "contacts/s"],
        rows,
    )
