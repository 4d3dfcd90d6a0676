"""Attempt-record delivery to a local receiver: the product (one keep-alive session per worker) beside one
new connection per record, in the same run. The receiver is a plain HTTP/1.1 server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.table import print_table
from reporting.attempt_records import deliver_due
from reporting.models import AttemptRecord

RECORDS = 2000


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open, as a production web server does

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def queue_records() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reporting_attemptrecord")
    now = timezone.now()
    AttemptRecord.objects.bulk_create(
        AttemptRecord(
            attempt_guid=uuid.uuid4(), sequence=0, contact_id=str(uuid.uuid4()), call_id=uuid.uuid4(),
            campaign_id="bench-records", customer_number=f"+4930{n:07d}", created_at=now, next_attempt_at=now,
            payload={"GSW_OCS_SEQUENCE_NO": 0, "GSW_PHONE": f"+4930{n:07d}"},
        )
        for n in range(RECORDS)
    )  # fmt: skip


def product() -> float:
    queue_records()
    started = time.perf_counter()
    saved = 0
    while saved < RECORDS:
        saved += deliver_due(limit=RECORDS)
    return time.perf_counter() - started


def one_connection_per_record(url: str) -> float:
    payloads = list(AttemptRecord.objects.values_list("payload", flat=True))
    started = time.perf_counter()
    for payload in payloads:
        response = requests.post(url, json=payload, timeout=10, headers={"Connection": "close"})
        assert response.status_code == 200
    return time.perf_counter() - started


def run() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/attempts"
    settings.ATTEMPT_RECORD_URL = url
    try:
        kept_alive = product()
        baseline = one_connection_per_record(url)
    finally:
        server.shutdown()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE reporting_attemptrecord")
    print_table(
        f"attempt records delivered to a local receiver ({RECORDS:,} records, one worker)",
        ["path", "seconds", "records/s"],
        [
            ("deliver_due: claim, POST on a keep-alive session, mark saved", kept_alive, RECORDS / kept_alive),
            ("POST only, one connection per record (baseline)", baseline, RECORDS / baseline),
        ],
    )
