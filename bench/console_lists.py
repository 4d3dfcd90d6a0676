"""The console's long lists at 10,000 and 1,000,000 contacts: the contact list's first page, filtered to one
campaign, searched by a number written with spaces and by a contact's id, and the call history's first page.

These are the pages an operator opens when a customer calls back or a campaign misbehaves, on tables that grow
without bound: a list that sorts, counts or searches every contact costs each operator a scan of all of them per
click. They are measured on the campaigns of ``bench/status_counts.py`` (64 campaigns) grown from 10,000 to
1,000,000 contacts, with the call history held at ``HISTORY`` calls at both sizes (it does not grow with the
contacts, so its page must not either).

Per request, through Django's test client signed in as a superuser (who sees every column and filter): median and
p95 milliseconds over ``REPEAT`` requests, the number of SQL queries and their time (``measure`` of
``bench/wallboard.py``), which of them is slowest (by its median: a COUNT, the distinct values of a filter, or the
page's rows) and how long it takes, and that query's plan as ``EXPLAIN (ANALYZE)`` finds it — the
nodes from the top down to the scans, each scan with the rows it read — so the table says why a page grows: a
``Seq Scan`` reading every contact, or an index reading a few. The searched contact is read from the table at each
size (the same one: it is among the first 10,000), its number written as people write it ("+49 300 000 4242").
Everything added is removed at the end (other benchmarks share the database); the bench campaigns are left empty.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from bench.status_counts import CAMPAIGNS, PREFIX, create_campaigns, grown
from bench.table import print_table
from bench.wallboard import measure, record_history, signed_in
from campaigns.models import Contact
from reporting.models import CallHistory

REPEAT = 10
HISTORY = 50_000  # calls in the call history, the same at both sizes
USER = "bench-console-lists"
CAMPAIGN = f"{PREFIX}7"  # the campaign filtered to
SEARCHED = "c4242"  # campaign_contact_id of the contact searched for, among the first 10,000 (in every size)
CONTACTS = "/admin/campaigns/contact/"
CALLS = "/admin/reporting/callhistory/"
HEADER = (
    "contacts", "request", "GET", "median ms", "p95 ms", "SQL queries", "SQL ms (median)", "slowest query",
    "its ms (median)", "its plan (EXPLAIN ANALYZE)",
)  # fmt: skip


def spaced(number: str) -> str:
    """A stored number as people write it: "+493000004242" as "+49 300 000 4242" (Django's search splits it in
    words, so only the console's number search finds it)."""
    return f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"


def _label(node: dict[str, Any]) -> str:
    label = str(node["Node Type"])
    if "Index Name" in node:
        label += f" using {node['Index Name']}"
    if "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    return label


def summary(node: dict[str, Any]) -> str:
    """A plan node and what it reads from, down to the scans: "Limit > Sort > Seq Scan on t (1,000,000 rows)".

    A scan shows the rows it read (returned plus removed by its filter, over all its loops and workers), which is
    what grows when an index is missing; a node with several inputs lists them in parentheses. Init- and subplans
    are left out (the lists have none that read much).
    """
    children = [c for c in node.get("Plans", []) if c.get("Parent Relationship") not in ("InitPlan", "SubPlan")]
    label = _label(node)
    if not children:
        per_loop = float(node.get("Actual Rows", 0)) + float(node.get("Rows Removed by Filter", 0))
        per_loop += float(node.get("Rows Removed by Index Recheck", 0))
        return f"{label} ({round(per_loop * float(node.get('Actual Loops', 1))):,} rows)"
    if len(children) == 1:
        return f"{label} > {summary(children[0])}"
    return f"{label} ({'; '.join(summary(c) for c in children)})"


def described(sql: str) -> str:
    """What a query asks for, in a few words ("COUNT(*)", "DISTINCT call_result", "rows ORDER BY received_time …
    LIMIT 101"): the plan says how it is read, this says which of the page's queries it is."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return sql.split(maxsplit=1)[0] if sql else ""
    plain = re.sub(r'"\w+"\.', "", sql).replace('"', "")  # columns without their table, names unquoted
    head = plain[: plain.find(" FROM ")]
    if "COUNT(" in head:
        what = "COUNT(*)"
    elif head.startswith("SELECT DISTINCT "):
        what = head.removeprefix("SELECT ")
    else:
        what = "rows"
    tail = re.search(r"( ORDER BY .*?)?( LIMIT \d+)?$", plain)
    return " ".join([what, *(part.strip() for part in (tail.groups() if tail else ()) if part)])


def explained(sql: str) -> str:
    """The plan of one query as sent (its parameters in place), run by ``EXPLAIN (ANALYZE)``: only a SELECT, since
    ANALYZE executes the statement."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return f"(not explained: {sql.split(maxsplit=1)[0]})" if sql else ""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    top = json.loads(plan) if isinstance(plan, str) else plan
    return summary(top[0]["Plan"])


def searched() -> tuple[str, str]:
    """The id and number of the contact searched for, as stored."""
    contact = Contact.objects.filter(campaign__campaign_id__startswith=PREFIX, campaign_contact_id=SEARCHED).get()
    return contact.pk, contact.customer_number


def first_listed(**filters: str) -> str:
    """The id of the contact the list shows first (its order: ``received_time``, then the newest key, as the admin
    makes any ordering total)."""
    return str(Contact.objects.filter(**filters).order_by("received_time", "-pk").values_list("pk", flat=True)[0])


def clear() -> None:
    """Remove what this benchmark adds beside the campaigns."""
    CallHistory.objects.filter(campaign_id__startswith=PREFIX).delete()
    User.objects.filter(username=USER).delete()


def page(console: Client, url: str, params: dict[str, str], shows: str) -> None:
    """One list page, which must list ``shows`` (a row it must find: a search that finds nothing is cheap)."""
    response = console.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    assert shows in response.content.decode(), (url, params, shows)


def run() -> None:
    clear()
    console = signed_in(USER)
    rows: list[tuple[object, ...]] = []
    medians: dict[tuple[str, str], float] = {}
    try:
        record_history(HISTORY)
        newest_call = CallHistory.objects.filter(campaign_id__startswith=PREFIX).latest("dialing_at").contact_id
        for size in grown():
            contact_id, number = searched()
            # What each page must show: its first row, or the contact or call it searches for.
            requests: tuple[tuple[str, str, dict[str, str], str], ...] = (
                ("contacts, first page", CONTACTS, {}, first_listed()),
                ("contacts, one campaign", CONTACTS, {"campaign_id": CAMPAIGN}, first_listed(campaign_id=CAMPAIGN)),
                ("contacts, number search", CONTACTS, {"q": spaced(number)}, contact_id),
                ("contacts, id search", CONTACTS, {"q": contact_id}, contact_id),
                (f"call history ({HISTORY:,}), first page", CALLS, {}, newest_call),
            )
            for name, url, params, shows in requests:
                measured = measure(partial(page, console, url, params, shows), REPEAT)
                medians[size, name] = measured.median_ms
                shown = url + "".join(f"?{key}={value}" for key, value in params.items())
                rows.append(
                    (
                        size, name, shown, measured.median_ms, measured.p95_ms, measured.queries, measured.sql_ms,
                        described(measured.slowest_sql), measured.slowest_ms, explained(measured.slowest_sql),
                    )
                )  # fmt: skip
    finally:
        clear()
        create_campaigns()  # leave the bench database small
    for name in dict.fromkeys(name for _, name in medians):
        ratio = medians["1,000,000", name] / medians["10,000", name]
        rows.append(("1,000,000 / 10,000", f"{name}: median ratio", "", ratio, *[""] * 6))
    print_table(
        f"the contact and call history lists over {CAMPAIGNS} campaigns, {HISTORY:,} calls ({REPEAT} requests each)",
        HEADER,
        rows,
    )
