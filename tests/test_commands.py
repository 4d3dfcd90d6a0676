"""The operators' commands: what they need to start, what they print, when they fail and when they ask first."""

from __future__ import annotations

import builtins
import io
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from campaigns.models import ApiClient, Contact
from tests.test_import_contacts import rows, write_csv
from tests.test_settings import start

# --- Only what talks to the switch needs its password ---

PRODUCTION_WITHOUT_SWITCH = {"ESL_PASSWORD": None, "DJANGO_DEBUG": None, "DIALER_SWITCH": None}


@pytest.mark.parametrize("command", ["import_contacts", "purge_contacts", "import_dnc", "create_api_client", "migrate"])
def test_commands_that_never_talk_to_the_switch_start_without_its_password(command):
    result = start(command, "--help", **PRODUCTION_WITHOUT_SWITCH)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_a_token_can_be_created_on_a_host_without_the_switch_password(transactional_db):
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    result = start(
        "create_api_client", "crm", "--role", "campaign_manager", DATABASE_URL=url, **PRODUCTION_WITHOUT_SWITCH
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ob_")
    assert ApiClient.objects.filter(name="crm").exists()


def test_the_listener_refuses_to_start_without_the_switch_password_in_one_line(db):
    """With no switch rows the settings' switch is followed, which needs ESL_PASSWORD (the rows are read first)."""
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    result = start("esl_listener", **PRODUCTION_WITHOUT_SWITCH, DATABASE_URL=url)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "configuration error: ESL_PASSWORD is not set: it is required to talk to the switch when DIALER_SWITCH is esl"
    )


# --- import_contacts: a failure a script notices, progress a log file can hold ---


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as an operator's shell is."""

    def isatty(self) -> bool:
        return True


def import_file(path: Path, *args: str, stderr: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("import_contacts", str(path), "--campaign", "imp", *args, stdout=out, stderr=err, force_color=True)
    return out.getvalue(), err.getvalue()


def test_an_import_of_only_bad_rows_fails_after_listing_them(db, tmp_path):
    items = rows(3)
    for item in items:
        item["priority"] = "11"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="no row was imported"):
        call_command(
            "import_contacts", str(write_csv(tmp_path / "bad.csv", items)), "--campaign", "imp", "--no-progress",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert "3 rows: 0 imported, 0 already present, 3 errors in 3 rows" in out.getvalue()
    assert "line 2: priority" in err.getvalue()
    assert not Contact.objects.exists()


def test_an_empty_file_fails(db, tmp_path):
    with pytest.raises(CommandError, match="the file has no rows"):
        import_file(write_csv(tmp_path / "empty.csv", []), "--no-progress")


def test_importing_the_same_file_again_succeeds(db, tmp_path):
    path = write_csv(tmp_path / "again.csv", rows(2))
    import_file(path, "--no-progress")
    out, _ = import_file(path, "--no-progress")
    assert "2 rows: 0 imported, 2 already present, 0 errors" in out


def test_progress_in_a_log_file_is_a_few_plain_lines(db, tmp_path):
    _, err = import_file(write_csv(tmp_path / "log.csv", rows(2500)))
    assert "\r" not in err
    assert "\x1b[" not in err  # not painted as an error
    lines = err.splitlines()
    assert 1 <= len(lines) <= 3, lines
    assert lines[-1].startswith("2500/2500 rows read (100%)")


def test_progress_on_a_terminal_is_one_bar_redrawn_in_place_not_red(db, tmp_path):
    _, err = import_file(write_csv(tmp_path / "tty.csv", rows(2500)), stderr=Terminal())
    assert "\x1b[" not in err
    assert "2500/2500" in err
    assert err.count("\n") <= 1  # redraws go back to the start of the line; only the finished bar ends it


# --- purge_contacts: a dry run, and a question on a terminal ---


@pytest.fixture
def three_pending(db, tmp_path):
    import_file(write_csv(tmp_path / "p.csv", rows(3)), "--no-progress")


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_contacts", "--campaign", "imp", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def on_a_terminal(monkeypatch):
    """stdin is a terminal; the answers given to the question are returned by ``answers``."""
    monkeypatch.setattr(sys, "stdin", Terminal())
    asked: list[str] = []

    def answer(reply: str) -> None:
        def fake_input(question: str = "") -> str:
            asked.append(question)
            return reply

        monkeypatch.setattr(builtins, "input", fake_input)

    return answer, asked


def never_asked(question: str = "") -> str:
    raise AssertionError(f"asked {question!r}")


def test_a_dry_run_says_how_many_would_go_and_deletes_nothing(three_pending):
    out = purge("--dry-run")
    assert "would purge 3 contacts (pending) of campaign imp; nothing was deleted" in out
    assert Contact.objects.count() == 3


def test_a_dry_run_of_an_unknown_campaign_fails_as_the_purge_does(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("purge_contacts", "--campaign", "nobody", "--dry-run")


def test_on_a_terminal_the_purge_asks_and_no_keeps_everything(three_pending, on_a_terminal):
    answer, asked = on_a_terminal
    answer("n")
    assert "purge cancelled: nothing was deleted" in purge()
    assert asked == ["Delete 3 contacts (pending) of campaign imp? This cannot be undone. [y/N] "]
    assert Contact.objects.count() == 3


def test_on_a_terminal_yes_deletes(three_pending, on_a_terminal):
    answer, _ = on_a_terminal
    answer("yes")
    assert "purged 3 contacts" in purge()
    assert Contact.objects.count() == 0


def test_the_yes_option_skips_the_question(three_pending, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(builtins, "input", never_asked)
    assert "purged 3 contacts" in purge("--yes")
    assert Contact.objects.count() == 0


def test_a_script_is_not_asked(three_pending, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.setattr(builtins, "input", never_asked)
    assert "purged 3 contacts" in purge()
