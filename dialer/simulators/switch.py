"""The simulated switch: plays each originate as FreeSWITCH would and raises its channel events.

Shapes and orders follow the real captures (``tests/fixtures/freeswitch``): an
answered call raises CHANNEL_ANSWER before the BACKGROUND_JOB ``+OK``; a busy one
raises CHANNEL_HANGUP_COMPLETE before ``-ERR USER_BUSY``; GATEWAY_DOWN and
INVALID_GATEWAY raise no channel event at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.esl.wire import serialize_event
from dialer.simulators.gateway_xml import xml_gateway_list, xml_single_gateway
from dialer.simulators.parked import DEAD_SETVAR, PARK, Parking, parse_setvars, parse_transfer, wait_routed
from dialer.simulators.scenario import OriginateRequest, Outcome, Scenario, parse_originate

Q850 = {"NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_ANSWER": 19}
CORE_UUID = str(uuid.uuid4())


@dataclass
class Channel:
    uuid: str
    request: OriginateRequest
    created: float = field(default_factory=time.time)
    answered: float = 0.0
    bridged: float = 0.0
    hangup_requested: asyncio.Event = field(default_factory=asyncio.Event)
    parking: Parking = field(default_factory=Parking)


class SimulatedSwitch:
    """Calls in progress, the originate record, and the event fan-out to subscribers."""

    def __init__(self, scenario: Scenario, record_path: Path | None = None) -> None:
        self.scenario = scenario
        self.channels: dict[str, Channel] = {}
        self.originates: list[dict[str, Any]] = []
        # Transfers of parked calls, each with the call's variables when it was transferred.
        self.transfers: list[dict[str, Any]] = []
        self.record_path = record_path
        self.subscribers: list[Callable[[str, str], None]] = []
        self._sequence = 0
        self._started = time.time()
        self._calls_since_start = 0

    # --- api commands ---------------------------------------------------------------------------
    def receive(self, command: str, args: str) -> None:
        """A command has arrived (before any reply): an originate is in the record from this moment."""
        if command == "originate":
            request = parse_originate(args)
            if request is not None:
                self._record(request.variables.get("origination_uuid") or "", request, args)

    async def api(self, command: str, args: str) -> str:
        if command == "originate":
            return await self.originate(args)
        if command in ("load", "unload") and args.strip() == "mod_sofia":
            self.scenario.sofia_loaded = command == "load"
            return f"+OK module {command}ed\n"
        if command == "sofia" and not self.scenario.sofia_loaded:
            # FreeSWITCH 1.10.12 during `fsctl shutdown` or a reload: mod_sofia is gone, the socket is not.
            return "-ERR sofia Command not found!\n"
        if command == "sofia" and args.startswith("status gateway "):
            return self.gateway_status(args.removeprefix("status gateway ").strip())
        if command == "sofia" and _names_gateways(words := args.lower().split()):
            return self.gateway_xmlstatus(args.split()[2] if len(words) == 3 else "")
        if command == "uuid_exists":
            return "true" if args.strip() in self.channels else "false"
        if command == "uuid_kill":
            channel = self.channels.get(args.strip().split(" ")[0])
            if channel is None:
                return "-ERR No such channel!\n"
            channel.hangup_requested.set()
            return "+OK\n"
        if command == "uuid_setvar_multi":
            call_id, variables = parse_setvars(args)
            if call_id not in self.channels:
                return DEAD_SETVAR
            self.channels[call_id].request.variables.update(variables)
            return "+OK\n"
        if command == "uuid_transfer":
            return self._transfer(*parse_transfer(args))
        if command == "status":
            return f"UP 0 years, 0 days\nFreeSWITCH (simulator) is ready\n{len(self.channels)} session(s)\n"
        if command == "show" and args.split() == ["channels", "as", "json"]:
            return self.channel_list_json()
        if command == "show" and args.strip() == "channels":
            return f"uuid,direction,created\n\n{len(self.channels)} total.\n"
        return f"-ERR {command} Command not found!\n"

    def channel_list_json(self) -> str:
        """``show channels as json`` as mod_commands' ``show_function`` writes it (dialer/esl/channel_list.py):
        ``cJSON_PrintUnformatted`` of ``{"row_count": N, "rows": [...]}``, every value a string, in the
        channels table's column order (``create_channels_sql``, up to ``call_uuid``); with no channel the
        literal ``{"row_count": 0}`` and a newline."""
        if not self.channels:
            return '{"row_count": 0}\n'
        rows = [self._channel_row(channel) for channel in sorted(self.channels.values(), key=lambda c: c.created)]
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"), ensure_ascii=False)

    def _channel_row(self, channel: Channel) -> dict[str, str]:
        request = channel.request
        caller = request.variables.get("origination_caller_id_number", "")
        return {
            "uuid": channel.uuid, "direction": "outbound",
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(channel.created)),
            "created_epoch": str(int(channel.created)), "name": f"sofia/external/{request.number}",
            "state": "CS_EXECUTE", "cid_name": request.variables.get("origination_caller_id_name", ""),
            "cid_num": caller, "ip_addr": "", "dest": request.number, "application": "", "application_data": "",
            "dialplan": "", "context": "", "read_codec": "PCMU", "read_rate": "8000", "read_bit_rate": "64000",
            "write_codec": "PCMU", "write_rate": "8000", "write_bit_rate": "64000", "secure": "",
            "hostname": "simulator", "presence_id": "", "presence_data": "",
            "callstate": "ACTIVE" if channel.answered else "RINGING", "callee_name": "", "callee_num": "",
            "callee_direction": "", "call_uuid": channel.uuid,
        }  # fmt: skip

    def gateway_status(self, name: str) -> str:
        state = self.scenario.gateway_state(name)
        if state == "unknown":
            return "Invalid Gateway!\n"
        rule = "=" * 97
        rows = [("Name", name), ("Profile", "external"), ("State", "NOREG"), ("Status", state.upper())]
        return rule + "\n" + "".join(f"{label:<8}\t{value}\n" for label, value in rows) + rule + "\n"

    def gateway_xmlstatus(self, name: str = "") -> str:
        """``sofia xmlstatus gateway [<name>]`` as mod_sofia's ``cmd_xml_status`` answers it: with no
        name every gateway, else that one or ``Invalid Gateway!``."""
        uptime_usec = int((time.time() - self._started) * 1_000_000)
        ping_epoch = int(time.time())
        if not name:
            listed = self.scenario.configured_gateways()
            return xml_gateway_list(listed, uptime_usec=uptime_usec, ping_epoch=ping_epoch)
        state = self.scenario.gateway_state(name)
        if state == "unknown":
            return "Invalid Gateway!\n"
        return xml_single_gateway(name, up=state == "up", uptime_usec=uptime_usec, ping_epoch=ping_epoch)

    async def originate(self, args: str) -> str:
        request = parse_originate(args)
        if request is None:
            return "-ERR INVALID_URL\n"
        call_id = request.variables.get("origination_uuid") or str(uuid.uuid4())
        if not self.scenario.sofia_loaded:
            return "-ERR CHAN_NOT_IMPLEMENTED\n"  # no "sofia" channel type: no leg is created
        state = self.scenario.gateway_state(request.gateway)
        if state != "up":
            return "-ERR INVALID_GATEWAY\n" if state == "unknown" else "-ERR GATEWAY_DOWN\n"
        channel = Channel(call_id, request)
        self.channels[call_id] = channel
        self._calls_since_start += 1
        outcome = self.scenario.outcome()
        if outcome is Outcome.BUSY:  # a 486 answers the INVITE at once: no ringing
            await self._wait(channel, self.scenario.between(self.scenario.busy_seconds))
            self._hangup(channel, "USER_BUSY")
            return "-ERR USER_BUSY\n"
        await self._wait(channel, self.scenario.progress_seconds)
        self.emit("CHANNEL_PROGRESS", channel, answer_state="ringing")
        # FreeSWITCH gives up after originate_timeout (60 s when the originate sets none).
        timeout = float(request.variables.get("originate_timeout") or 60)
        rings = self.scenario.between(self.scenario.ring_seconds) if outcome is Outcome.ANSWER else None
        if rings is None or rings >= timeout:
            await self._wait(channel, min(timeout, self.scenario.no_answer_seconds))
            cause = "ORIGINATOR_CANCEL" if channel.hangup_requested.is_set() else "NO_ANSWER"
            self._hangup(channel, cause)
            return f"-ERR {cause}\n"
        await self._wait(channel, rings)
        if channel.hangup_requested.is_set():
            self._hangup(channel, "ORIGINATOR_CANCEL")
            return "-ERR ORIGINATOR_CANCEL\n"
        channel.answered = time.time()
        self._write_record({"event": "answer", "time": channel.answered, "call_id": call_id})
        self.emit("CHANNEL_ANSWER", channel)
        if request.destination == PARK:
            return await self._answer_parked(channel)
        asyncio.get_running_loop().create_task(self._talk(channel))
        return f"+OK {call_id}\n"

    # --- predictive calls (dialer/simulators/parked.py) -----------------------------------------
    async def _answer_parked(self, channel: Channel) -> str:
        """The originate's result comes ~20 ms after the answer; a transfer before it cancels the originate."""
        await asyncio.sleep(self.scenario.answer_to_job_seconds)
        channel.parking.job_answered = True
        asyncio.get_running_loop().create_task(self._parked(channel))
        if channel.parking.cancelled_originate:
            return "-ERR ORIGINATOR_CANCEL\n"
        return f"+OK {channel.uuid}\n"

    def _transfer(self, call_id: str, extension: str) -> str:
        channel = self.channels.get(call_id)
        if channel is None:
            return "-ERR No such channel!\n"
        channel.parking.extension = extension
        channel.parking.cancelled_originate = not channel.parking.job_answered
        channel.parking.transferred.set()
        entry = {"event": "transfer", "time": time.time(), "call_id": call_id, "extension": extension}
        self.transfers.append({**entry, "variables": dict(channel.request.variables)})
        self._write_record({**entry, "variables": dict(channel.request.variables)})
        return "+OK\n"

    async def _parked(self, channel: Channel) -> None:
        await asyncio.sleep(0.001)
        if channel.uuid not in self.channels:
            return
        channel.parking.parked_at = time.time()
        self.emit("CHANNEL_PARK", channel)
        patience = self.scenario.between(self.scenario.patience_seconds)
        how = await wait_routed(channel.parking, channel.hangup_requested, patience)
        if how == "killed":
            self._hangup(channel, "NORMAL_CLEARING", disposition="send_bye")
        elif how == "gave up":
            self._hangup(channel, "NORMAL_CLEARING", disposition="recv_bye")
        elif channel.parking.extension == "agent":
            await self._bridged_talk(channel)
        else:  # the abandon message, then the switch hangs up
            await self._wait(channel, self.scenario.abandon_message_seconds)
            self._hangup(channel, "NORMAL_CLEARING", disposition="send_bye")

    async def _bridged_talk(self, channel: Channel) -> None:
        await self._wait(channel, self.scenario.between(self.scenario.bridge_seconds))
        if channel.uuid not in self.channels:
            return
        channel.bridged = time.time()
        self.emit("CHANNEL_BRIDGE", channel, other_leg=str(uuid.uuid4()))
        await self._wait(channel, self.scenario.between(self.scenario.talk_seconds))
        requested = channel.hangup_requested.is_set()
        self._hangup(channel, "NORMAL_CLEARING", disposition="send_bye" if requested else "recv_bye")

    # --- call playing ---------------------------------------------------------------------------
    async def _talk(self, channel: Channel) -> None:
        if channel.request.destination == "agent":
            if self.scenario.drops_before_agent():
                await self._wait(channel, self.scenario.between(self.scenario.bridge_seconds) / 2)
                self._hangup(channel, "NORMAL_CLEARING", disposition="recv_bye")
                return
            await self._wait(channel, self.scenario.between(self.scenario.bridge_seconds))
            if not channel.hangup_requested.is_set():
                channel.bridged = time.time()
                self.emit("CHANNEL_BRIDGE", channel, other_leg=str(uuid.uuid4()))
        await self._wait(channel, self.scenario.between(self.scenario.talk_seconds))
        requested = channel.hangup_requested.is_set()
        self._hangup(channel, "NORMAL_CLEARING", disposition="send_bye" if requested else "recv_bye")

    def hang_up(self, call_id: str, cause: str) -> None:
        """The far end hangs up now with ``cause``, reported as it comes (whatever a switch might say)."""
        channel = self.channels.get(call_id)
        if channel is not None:
            self._hangup(channel, cause, disposition="recv_bye")

    async def _wait(self, channel: Channel, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(channel.hangup_requested.wait(), timeout=seconds)

    def _hangup(self, channel: Channel, cause: str, disposition: str = "recv_refuse") -> None:
        if self.channels.pop(channel.uuid, None) is None:
            return
        self._write_record({"event": "hangup", "time": time.time(), "call_id": channel.uuid, "cause": cause})
        self.emit("CHANNEL_HANGUP_COMPLETE", channel, cause=cause, disposition=disposition)

    def _record(self, call_id: str, request: OriginateRequest, args: str) -> None:
        entry = {
            "event": "originate",
            "time": time.time(),
            "args": args,
            "call_id": call_id,
            "gateway": request.gateway,
            "number": request.number,
            "destination": request.destination,
        }
        self.originates.append(entry)
        self._write_record(entry)

    def _write_record(self, entry: dict[str, Any]) -> None:
        """Append to the JSON-lines record that tests and the demo read (originates and hangups)."""
        if self.record_path is not None:
            with self.record_path.open("a") as handle:
                handle.write(json.dumps(entry) + "\n")

    # --- events ---------------------------------------------------------------------------------
    def emit(self, name: str, channel: Channel | None = None, body: str = "", **extra: str) -> None:
        headers = self._common_headers(name)
        if channel is not None:
            headers += self._channel_headers(name, channel, **extra)
        text = serialize_event(headers, body)
        self._publish(name, text)

    def heartbeat(self) -> None:
        """FreeSWITCH's HEARTBEAT (reference/esl.md): proof of life a listener can time out on."""
        up = int(time.time() - self._started)
        headers = [
            *self._common_headers("HEARTBEAT"),
            ("Event-Info", "System Ready"),
            ("Up-Time", f"0 years, {up // 86400} days, {up // 3600 % 24} hours, {up // 60 % 60} minutes, "
                        f"{up % 60} seconds, 0 milliseconds, 0 microseconds"),
            ("FreeSWITCH-Version", "1.10.12-release~64bit"),
            ("Uptime-msec", str(up * 1000)),
            ("Session-Count", str(len(self.channels))),
            ("Max-Sessions", "1000"),
            ("Session-Per-Sec", "30"),
            ("Session-Since-Startup", str(self._calls_since_start)),
        ]  # fmt: skip
        self._publish("HEARTBEAT", serialize_event(headers))

    def background_job(self, job_uuid: str, command: str, args: str, result: str) -> None:
        headers = self._common_headers("BACKGROUND_JOB")
        headers += [("Job-UUID", job_uuid), ("Job-Command", command), ("Job-Command-Arg", args)]
        text = serialize_event(headers, result)
        self._publish("BACKGROUND_JOB", text)

    def _publish(self, name: str, text: str) -> None:
        for deliver in list(self.subscribers):
            deliver(name, text)

    def _common_headers(self, name: str) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        return [
            ("Event-Name", name),
            ("Core-UUID", CORE_UUID),
            ("FreeSWITCH-Hostname", "simulator"),
            ("FreeSWITCH-Switchname", "simulator"),
            ("FreeSWITCH-IPv4", "127.0.0.1"),
            ("FreeSWITCH-IPv6", "::1"),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", "switch_simulator.py"),
            ("Event-Calling-Function", "emit"),
            ("Event-Calling-Line-Number", "1"),
            ("Event-Sequence", str(self._sequence)),
        ]

    def _channel_headers(self, name: str, channel: Channel, **extra: str) -> list[tuple[str, str]]:
        request = channel.request
        hangup = name == "CHANNEL_HANGUP_COMPLETE"
        cause = extra.get("cause", "")
        micros = {k: str(int(v * 1_000_000)) for k, v in (("a", channel.answered), ("b", channel.bridged))}
        headers = [
            ("Hangup-Cause", cause),
            ("Channel-State", "CS_REPORTING" if hangup else "CS_EXECUTE"),
            ("Channel-Call-State", "HANGUP" if hangup else "RINGING" if name == "CHANNEL_PROGRESS" else "ACTIVE"),
            ("Channel-Name", f"sofia/external/{request.number}"),
            ("Unique-ID", channel.uuid),
            ("Call-Direction", "outbound"),
            ("Answer-State", "hangup" if hangup else extra.get("answer_state", "answered")),
            ("Other-Leg-Unique-ID", extra.get("other_leg", "")),
            ("Caller-Destination-Number", channel.parking.extension or request.number),
            ("Caller-Channel-Created-Time", str(int(channel.created * 1_000_000))),
            ("Caller-Channel-Answered-Time", micros["a"]),
            ("Caller-Channel-Bridged-Time", micros["b"]),
            ("variable_uuid", channel.uuid),
            ("variable_sip_gateway_name", request.gateway),
        ]
        headers += [(f"variable_{k}", v) for k, v in request.variables.items()]
        if hangup:
            ended = time.time()
            headers += [
                ("variable_hangup_cause", cause),
                ("variable_hangup_cause_q850", str(Q850.get(cause, 31))),
                ("variable_sip_hangup_disposition", extra.get("disposition", "")),
                ("variable_sip_term_status", "486" if cause == "USER_BUSY" else "200"),
                ("variable_answer_epoch", str(int(channel.answered))),
                ("variable_bridge_epoch", str(int(channel.bridged))),
                ("variable_duration", str(int(ended - channel.created))),
                ("variable_billsec", str(int(ended - channel.answered)) if channel.answered else "0"),
            ]
            if channel.bridged:
                agent = request.variables.get("sip_h_X-agentExtension", "agent")
                headers += [("variable_last_bridge_to", f"agent-{agent}"), ("variable_bridge_uuid", str(uuid.uuid4()))]
        return headers


def _names_gateways(words: list[str]) -> bool:
    """``xmlstatus gateway`` or ``xmlstatus gateway <name>`` (mod_sofia compares these words ignoring case)."""
    return words[:2] == ["xmlstatus", "gateway"] and len(words) in (2, 3)
