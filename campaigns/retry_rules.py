"""A campaign's retry rules (section 5a), checked and put in one form — pure.

``[{"result": "Busy", "delay": 300, "max_attempts": 3}, …]``: for a result, a delay in
seconds and the attempts a contact may have in all (the first included). One rule per
result; an unknown result name, a negative delay or ``max_attempts`` below 1 is refused
with a message that says which rule and field.
"""

from __future__ import annotations

from typing import Any

from campaigns.choices import RetryResult

# A week: a longer delay is a new campaign, not a retry.
MAX_DELAY_SECONDS = 7 * 86_400
MAX_ATTEMPTS = 100


class InvalidRetryRules(ValueError):
    pass


def _whole(value: Any, name: str, index: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRetryRules(f"rule {index}: {name} must be a whole number from {low} to {high}, not {value!r}")
    return value


def validate_retry_rules(value: Any) -> list[dict[str, Any]]:
    """The rules as stored: one per result, each ``{"result", "delay", "max_attempts"}``."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise InvalidRetryRules("must be a list of {result, delay, max_attempts} rules")
    rules: list[dict[str, Any]] = []
    for index, rule in enumerate(value):
        if not isinstance(rule, dict) or set(rule) != {"result", "delay", "max_attempts"}:
            raise InvalidRetryRules(f"rule {index}: must have exactly result, delay and max_attempts")
        if rule["result"] not in RetryResult.values:
            raise InvalidRetryRules(
                f"rule {index}: result {rule['result']!r} is not one of {', '.join(RetryResult.values)}"
            )
        if any(r["result"] == rule["result"] for r in rules):
            raise InvalidRetryRules(f"rule {index}: a second rule for {rule['result']}")
        rules.append(
            {
                "result": rule["result"],
                "delay": _whole(rule["delay"], "delay", index, 0, MAX_DELAY_SECONDS),
                "max_attempts": _whole(rule["max_attempts"], "max_attempts", index, 1, MAX_ATTEMPTS),
            }
        )
    return rules
