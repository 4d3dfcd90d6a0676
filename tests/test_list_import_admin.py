"""Lists uploaded in the admin: stored and queued, imported by a worker with its progress shown, reported by line."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from campaigns.list_imports import queue_list_import, run_list_import
from campaigns.models import Contact, ListImport
from tests.test_import_contacts import FIELDS, rows


def csv_bytes(items: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(items)
    return buffer.getvalue().encode()


def upload(browser: Client, content: bytes) -> str:
    """Submit the admin's import form and follow it to the import's page."""
    response = browser.post(
        "/admin/campaigns/contactlist/import/",
        {"campaign_id": "upl", "list_name": "Leads", "file": SimpleUploadedFile("leads.csv", content, "text/csv")},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    return response.content.decode()


def page_of(browser: Client, job: ListImport) -> str:
    return browser.get(f"/admin/campaigns/listimport/{job.pk}/change/").content.decode()


def test_an_upload_is_queued_then_imported_by_a_worker_with_its_bad_rows_reported(
    operator, django_capture_on_commit_callbacks
):
    items = rows(4)
    items[2]["priority"] = "12"
    with django_capture_on_commit_callbacks() as sent:
        page = upload(operator, csv_bytes(items))
    assert len(sent) == 1  # the import task, sent once the file is stored
    assert "Queued for import: leads.csv." in page
    assert "0 of 4 rows read" in page
    assert 'http-equiv="refresh"' in page
    assert not Contact.objects.exists()

    job = ListImport.objects.get()
    assert run_list_import(job.pk) == "done"
    page = page_of(operator, job)
    assert "4 rows: 3 imported, 0 already present, 1 errors." in page
    assert "<td>4</td>" in page  # the line of the rejected row
    assert "priority" in page
    assert 'http-equiv="refresh"' not in page
    assert Contact.objects.filter(contact_list__name="Leads").count() == 3
    assert bytes(ListImport.objects.get().content) == b""  # the file is dropped once imported
    assert "leads.csv" in operator.get("/admin/campaigns/listimport/").content.decode()


def test_an_import_whose_worker_died_runs_again_and_a_finished_one_never_twice(operator):
    upload(operator, csv_bytes(rows(3)))
    job = ListImport.objects.get()
    ListImport.objects.filter(pk=job.pk).update(state="running")  # its worker died: its transaction rolled back
    assert run_list_import(job.pk) == "done"
    assert run_list_import(job.pk) == "already ended"  # the task redelivered
    assert Contact.objects.count() == 3
    assert ListImport.objects.get().imported == 3


def test_a_file_the_importer_cannot_read_fails_with_its_reason_and_writes_nothing(operator):
    upload(operator, b"id,colour\n1,red\n")
    upload(operator, csv_bytes(rows(2)).replace(b"+49", b"\xff49", 1))
    unknown_column, not_utf8 = ListImport.objects.order_by("pk")
    assert run_list_import(unknown_column.pk) == "failed"
    assert run_list_import(not_utf8.pk) == "failed"
    assert "Unknown column(s): colour" in page_of(operator, unknown_column)
    assert "The file is not UTF-8 text" in page_of(operator, not_utf8)
    assert "Nothing was imported." in page_of(operator, not_utf8)
    assert not Contact.objects.exists()


def test_an_import_stopped_by_an_unexpected_error_shows_it_failed_and_wrote_nothing(operator, monkeypatch):
    upload(operator, csv_bytes(rows(3)))
    job = ListImport.objects.get()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("campaigns.list_imports.import_contacts", broken)
    with pytest.raises(RuntimeError):
        run_list_import(job.pk)
    page = page_of(operator, job)
    assert "The import stopped on an unexpected error: RuntimeError(&#x27;a bug&#x27;)." in page
    assert 'http-equiv="refresh"' not in page
    assert not Contact.objects.exists()


def test_a_second_worker_leaves_an_import_another_one_is_running(transactional_db):
    job = queue_list_import(
        campaign_id="upl", list_name="Leads", file_name="leads.csv", content=csv_bytes(rows(2)), uploaded_by="ops"
    )
    holding, release = threading.Event(), threading.Event()

    def first_worker() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('list-import'), %s)", [job.pk])
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert run_list_import(job.pk) == "running in another worker"
        assert not Contact.objects.exists()
    finally:
        release.set()
        thread.join(10)
    assert run_list_import(job.pk) == "done"
    assert Contact.objects.count() == 2


def test_the_page_shows_rows_read_while_the_worker_imports_and_no_contact_before_the_end(transactional_db):
    User.objects.create_superuser("ops", "ops@example.com", "pw")
    browser = Client()
    browser.login(username="ops", password="pw")
    total = 40_000
    job = queue_list_import(
        campaign_id="upl",
        list_name="Big",
        file_name="big.csv",
        content=csv_bytes(rows(total, "upl")),
        uploaded_by="ops",
    )

    def worker() -> None:
        try:
            run_list_import(job.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    seen: list[tuple[str, int]] = []
    while thread.is_alive():
        page = page_of(browser, job)
        partial = [f"{n:,} of {total:,} rows read" for n in (10_000, 20_000, 30_000)]
        for text in partial:
            if text in page:
                seen.append((text, Contact.objects.filter(campaign_id="upl").count()))
        time.sleep(0.02)
    thread.join()
    assert seen, "no partial progress was shown"
    assert {count for _, count in seen} == {0}  # nothing is written until the whole file is read
    assert f"{total} rows: {total} imported" in page_of(browser, job)
