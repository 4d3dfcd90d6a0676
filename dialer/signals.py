"""Signals the dialer sends about call attempts.

Both are sent *inside* the transaction of the state change: their receivers
(reporting's history, and its outbox) write rows that must commit or roll back
together with it. They carry ids and plain values, never model instances.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: contact_id, call_id, change ("dialed"), at (datetime)
call_attempt_changed = Signal()
# kwargs: ends, a list of dicts with contact_id, call_id, at, call_result, hangup_cause, result_code (OCS code),
# answered (bool), agent_extension — every call a batch ended, each exactly once
call_attempts_ended = Signal()
# Asked before pre-dial validation. kwargs: contact_id. A receiver answers True when an earlier attempt
# record of the contact is still unsaved (seed 004's race condition).
predial_race_check = Signal()
# Sent when the dialer status is read. kwargs: campaign_ids. A receiver answers {campaign_id: {...}} with
# what it knows of those campaigns (reporting: their statistics), merged into each campaign's entry.
status_requested = Signal()
# Sent inside the transaction that applied agent states. kwargs: changes, a list of (agent_extension, queue_name,
# state, occurred_at) — the reports applied (new states and confirmations alike).
agent_states_applied = Signal()
# Sent inside the listener's transaction for a batch of events that time attempts: a call rang
# (CHANNEL_PROGRESS / _MEDIA) or reached its agent (CHANNEL_BRIDGE). kwargs: progress, a list of
# (call_id, stage "ringing" or "agent_answered", at); each call's first report of a stage counts.
call_progressed = Signal()
# Asked by the cycle for each campaign it paces ahead of agents. kwargs: campaign_id, queue_name, since, now. A
# receiver answers a dict of ``dialer.pacing.History``'s fields (reporting: from the calls and agent states of
# the window); no answer means no history, and the campaign is dialed progressively.
pacing_history_requested = Signal()
