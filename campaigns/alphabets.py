"""The alphabet of every value that can end up inside an ESL command.

FreeSWITCH splits the originate's ``{}`` block on commas, its arguments on spaces,
ends a command at a newline, and strips quotes (``reference/esl.md``), so escaping
protects nothing: each value is whitelisted here, once, and checked both when a
contact is received and when a setting is read.
"""

from __future__ import annotations

from typing import Final

# Digits with an optional leading '+': what a SIP gateway dials.
CUSTOMER_NUMBER: Final = r"\+?[0-9]{2,19}"
# FreeSWITCH gateway names: letters, digits, dot, dash, underscore.
GATEWAY_ID: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
# Dialplan extensions (IVR numbers, agent extensions): no separators of any kind.
EXTENSION: Final = r"[A-Za-z0-9*#+][A-Za-z0-9*#+._-]{0,19}"
# Queue, agent and resource identifiers; '@' allows agent URIs such as 1001@domain.
RESOURCE_ID: Final = r"[A-Za-z0-9][A-Za-z0-9._@-]{0,39}"
QUEUE_NAME: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"
# Identifiers that travel in URLs and reports.
CAMPAIGN_ID: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
CAMPAIGN_CONTACT_ID: Final = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}"
LIST_NAME: Final = r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}"
# An IP address or host name: the domain and dialplan context of originate commands.
SWITCH_DOMAIN: Final = r"[A-Za-z0-9][A-Za-z0-9.:-]{0,99}"
