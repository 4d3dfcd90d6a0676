"""What one API request may carry and one response may hold (README, "Limits").

Each bound is one a client can read in the README and in the answer that enforces it: a batch body
of 10,000 contacts fits with room to spare, other bodies keep Django's 2.5 MiB, a page holds at most
MAX_PAGE_SIZE rows. Plain constants: the settings read them (``outbound.api_defaults`` applies them to DRF).
"""

from __future__ import annotations

from typing import Final

# Django's default DATA_UPLOAD_MAX_MEMORY_SIZE, kept for every body but the batches.
MAX_API_BODY_BYTES: Final = 2_621_440
# A batch of 10,000 contacts with every field at its longest, pretty-printed, is under 10 MB.
MAX_BATCH_BODY_BYTES: Final = 16 * 1024 * 1024
BATCH_PATHS: Final = frozenset({"/api/v1/contacts/", "/api/v1/dnc/", "/api/v1/voice-connector/agent-states/"})
MAX_PAGE_SIZE: Final = 1000
# PostgreSQL's OFFSET is a bigint; anything near it is no page of any real table.
MAX_OFFSET: Final = 2**62


def body_limit(path: str) -> int:
    return MAX_BATCH_BODY_BYTES if path in BATCH_PATHS else MAX_API_BODY_BYTES
