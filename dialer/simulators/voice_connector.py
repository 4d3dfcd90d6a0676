"""The voice connector simulator: receives the dialer's requests and answers reservations from a pool of agents.

It plays the voice connector's side of seed 001: an agent request is answered on
the dialer's callback API with AGENT_RESERVED (a free agent, held until the call
result or END_CHAT arrives, plus a handling time) or NO_AGENT_AVAILABLE. With a
``states_queue`` it also reports its agents' states (section 5b) to the dialer: each
change as it happens (ready; talking from the reservation, as it does not see the
bridge; wrap-up when the call result comes; ready after the handling time) and every
agent's current state again every ``states_every`` seconds, as a voice connector must.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

logger = logging.getLogger(__name__)


class VoiceConnectorSimulator:
    def __init__(
        self,
        *,
        dialer_url: str,
        token: str,
        agents: int = 5,
        answer_delay: tuple[float, float] = (0.05, 0.2),
        handling: tuple[float, float] = (0.5, 2.0),
        expected_token: str = "",
        seed: int | None = None,
        states_queue: str = "",
        states_every: float = 30.0,
    ) -> None:
        self.dialer_url = dialer_url.rstrip("/")
        self.token = token
        self.expected_token = expected_token
        self.answer_delay = answer_delay
        self.handling = handling
        self.random = random.Random(seed)
        self.free_agents = [str(1001 + n) for n in range(agents)]
        self.busy: dict[str, str] = {}  # contact id -> agent extension
        self.received: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.states_queue = states_queue
        self.states_every = states_every
        # Each agent's state and when it entered it (ISO 8601), reported as they change and re-sent.
        self.states: dict[str, tuple[str, str]] = {}
        self._stopped = threading.Event()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                authorised = not simulator.expected_token or (
                    self.headers.get("Authorization") == f"Bearer {simulator.expected_token}"
                )
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    body = None
                status = 401 if not authorised else 400 if not isinstance(body, dict) else 202
                if status == 202:
                    simulator.receive(self.path.strip("/"), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                data = json.dumps(simulator.stats()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug(format, *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        if self.states_queue:
            for agent in self.free_agents:
                self._enter(agent, "ready")
            threading.Thread(target=self._resend_states, daemon=True).start()
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self._stopped.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"received": dict(self.received), "free_agents": len(self.free_agents), "busy": len(self.busy)}

    def receive(self, kind: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.received[kind] += 1
            self.requests.append((kind, body))
        if kind == "agent-requests":
            self._later(self.random.uniform(*self.answer_delay), self._answer, body)
        elif kind in ("call-results", "end-chat"):
            delay = self.random.uniform(*self.handling) if kind == "call-results" else 0.0
            if kind == "call-results":
                self._wrap_up(str(body.get("id")))
            self._later(delay, self._release, str(body.get("id")))

    def _answer(self, request: dict[str, Any]) -> None:
        contact_id = str(request.get("id"))
        with self.lock:
            agent = self.free_agents.pop(0) if self.free_agents else None
            if agent is not None:
                self.busy[contact_id] = agent
        if agent is not None:
            # The simulator does not see the bridge: its agent is engaged with the call from the reservation.
            self._enter(agent, "talking")
        answer: dict[str, Any] = {"id": contact_id, "status": "NO_AGENT_AVAILABLE"}
        if agent is not None:
            answer = {
                "id": contact_id,
                "status": "AGENT_RESERVED",
                "agent_extension": agent,
                "service_identifier": request.get("resource_id") or "service",
                "queue_name": request.get("queue_name") or "",
                "queue_type": request.get("routing_mode") or "ACD",
            }
        outcome = self._post_to_dialer("agent-reservations", answer, f"reservation {answer['status']}")
        if agent is not None and not outcome.startswith("2"):
            self._release(contact_id)

    def _release(self, contact_id: str) -> None:
        with self.lock:
            agent = self.busy.pop(contact_id, None)
            if agent is not None:
                self.free_agents.append(agent)
        if agent is not None:
            self._enter(agent, "ready")

    # --- agent states (section 5b) -------------------------------------------------------------
    def _wrap_up(self, contact_id: str) -> None:
        with self.lock:
            agent = self.busy.get(contact_id)
        if agent is not None:
            self._enter(agent, "wrapup")

    def _enter(self, agent: str, state: str) -> None:
        """The agent enters ``state`` now: reported at once."""
        if not self.states_queue:
            return
        entered = datetime.now(UTC).isoformat()
        with self.lock:
            self.states[agent] = (state, entered)
        self._post_states([(agent, state, entered)])

    def _resend_states(self) -> None:
        """Every agent's current state again (with the time it entered it), so none goes stale at the dialer."""
        while not self._stopped.wait(self.states_every):
            with self.lock:
                current = [(agent, state, entered) for agent, (state, entered) in self.states.items()]
            self._post_states(current)

    def _post_states(self, states: list[tuple[str, str, str]]) -> None:
        body = [
            {"agent_extension": agent, "queue_name": self.states_queue, "state": state, "occurred_at": entered}
            for agent, state, entered in states
        ]
        self._post_to_dialer("agent-states", body, "agent states")

    def _post_to_dialer(self, endpoint: str, body: Any, what: str) -> str:
        """POST to the dialer's voice connector API; the status (or the failure) is counted under ``what``."""
        try:
            response = requests.post(
                f"{self.dialer_url}/api/v1/voice-connector/{endpoint}/",
                json=body,
                headers={"Authorization": f"Token {self.token}"},
                timeout=10,
            )
            outcome = str(response.status_code)
        except requests.RequestException as exc:
            outcome = f"failed: {exc.__class__.__name__}"
        with self.lock:
            self.received[f"{what} -> {outcome}"] += 1
        return outcome

    def _later(self, seconds: float, function: Any, *args: Any) -> None:
        timer = threading.Timer(seconds, function, args)
        timer.daemon = True
        timer.start()
