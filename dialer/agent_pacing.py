"""PREVIEW and PROGRESSIVE paced by ready agents (section 5b): no more agent requests than ready agents.

Where the voice connector reports a queue's agents, the cycle asks for at most as many
agents as are ready there, less the requests still outstanding; a queue with no known
agents is paced as before (one request per claimed contact). Contacts over the
allowance go back to ``pending`` for NO_AGENT_RETRY, as if no agent had been available.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer.agent_states import known_agents
from dialer.esl.commands import agent_queue_name
from dialer.models import AgentStateName


def queue_of(contact: Contact) -> str:
    """The queue an agent is requested in: the one the agent call would name."""
    return agent_queue_name(
        reserved="",
        contact_queue=contact.queue_name,
        routing_mode=contact.routing_mode,
        resource_id=contact.resource_id,
        campaign_queue=contact.campaign.queue_name,
    )


def over_allowance(claimed: Sequence[Contact], *, now: datetime) -> list[Contact]:
    """The claimed agent contacts that must not be requested now (their queue has too few ready agents)."""
    by_queue: dict[str, list[Contact]] = {}
    for contact in claimed:
        by_queue.setdefault(queue_of(contact), []).append(contact)
    # Queues whose agents are known; the others are paced as before (one request per contact).
    ready = {
        queue: states.get(AgentStateName.READY, 0) for queue in by_queue if (states := known_agents(queue, now=now))
    }
    if not ready:
        return []
    mine = {c.id for c in claimed}
    waiting = Contact.objects.select_related("campaign").filter(status=ContactStatus.AGENT_PENDING).exclude(pk__in=mine)
    outstanding = Counter(queue_of(c) for c in waiting)
    return [c for queue, n in ready.items() for c in by_queue[queue][max(0, n - outstanding[queue]) :]]
