"""END_CHAT (SPEC.md section 5): the voice connector frees an agent reserved for a call that will not reach it."""

from __future__ import annotations

from campaigns.models import Contact
from dialer.models import MessageKind
from dialer.outbox import queue_message


def end_chat_payload(
    *, contact_id: str, call_id: str, campaign_contact_id: str, agent_extension: str, reason: str
) -> dict[str, str]:
    return {
        "id": contact_id,
        "call_id": call_id,
        "campaign_contact_id": campaign_contact_id,
        "agent_extension": agent_extension,
        "reason": reason,
    }


def queue_end_chat(contact: Contact, *, reason: str) -> None:
    """Queue END_CHAT in the current transaction, for a contact that had an agent reserved."""
    if not contact.agent_extension:
        return
    call_id = str(contact.call_id)
    payload = end_chat_payload(
        contact_id=contact.id,
        call_id=call_id,
        campaign_contact_id=contact.campaign_contact_id,
        agent_extension=contact.agent_extension,
        reason=reason,
    )
    queue_message(kind=MessageKind.END_CHAT, contact_id=contact.id, call_id=call_id, payload=payload)
