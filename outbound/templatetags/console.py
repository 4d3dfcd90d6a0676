"""Figures in words and units for the console's pages: "42.5 %", "1 h 05 min", "12,480", a dash when not known."""

from __future__ import annotations

from django import template

register = template.Library()
UNKNOWN = "\u2013"  # an en dash


@register.filter
def percent(rate: float | None, digits: int = 1) -> str:
    """A ratio (0.425) as a percentage ("42.5 %")."""
    return UNKNOWN if rate is None else f"{rate * 100:.{digits}f} %"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as hours and minutes ("1 h 05 min", "12 min", "40 s"); "done" for nothing left."""
    if seconds is None:
        return UNKNOWN
    whole = round(seconds)
    if whole <= 0:
        return "done"
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(round(whole / 60), 60)
    if hours >= 48:
        return f"{hours // 24} d {hours % 24} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@register.filter
def number(value: int | float | None) -> str:
    """Thousands separated ("12,480"); two decimals at most for a fraction."""
    if value is None:
        return UNKNOWN
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


@register.filter
def share(part: int, whole: int) -> float:
    """``part`` of ``whole`` as a fraction of 1 (0 when ``whole`` is 0), for bars drawn to scale."""
    return min(1.0, part / whole) if whole else 0.0
