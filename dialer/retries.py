"""When a finished call's contact is dialed again: the campaign's retry rules (section 5a) — pure.

A rule names a result, a delay and a maximum of attempts (every attempt counted, the
first included). A call that ends with such a result, for a contact with attempts
left whose window is still open after the delay, makes the contact pending again
from then; without a rule the contact ends, as seed 001 says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from campaigns.choices import RetryResult
from dialer.results import ResultCode

RULE_RESULTS: Final = {
    ResultCode.BUSY: RetryResult.BUSY,
    ResultCode.NO_ANSWER: RetryResult.NO_ANSWER,
    ResultCode.ANSWERING_MACHINE: RetryResult.ANSWERING_MACHINE,
    ResultCode.ALL_TRUNKS_BUSY: RetryResult.ALL_TRUNKS_BUSY,
    ResultCode.ABANDONED: RetryResult.ABANDONED,
    ResultCode.DROPPED: RetryResult.DROPPED,
    ResultCode.GENERAL_ERROR: RetryResult.GENERAL_ERROR,
}


def retry_time(
    rules: Sequence[dict[str, Any]], *, result_code: int, attempts: int, ended_at: datetime, window_end: datetime
) -> datetime | None:
    """The retry time for a call that ended with ``result_code`` after ``attempts`` attempts, or None."""
    name = next((n for code, n in RULE_RESULTS.items() if code == result_code), None)
    rule = next((r for r in rules if r.get("result") == name), None) if name else None
    if rule is None or attempts >= int(rule["max_attempts"]):
        return None
    at = ended_at + timedelta(seconds=int(rule["delay"]))
    return at if at < window_end else None
