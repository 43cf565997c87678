"""The alert pipeline, assembled in one place: detector verdicts (``Condition``) in, alert lifecycle records
(``AlertRecord``) and notification intents (``Notification``) out, on an explicit clock, with no I/O.

    verdict ─▶ fingerprint ─▶ dedup ─▶ hold-down ─▶ tier change ─▶ record
                                                                     └─▶ mute (inhibit, silence, window)
                                                                          ─▶ route ─▶ group ─▶ notification
    timers (tick) ─▶ hold-down expiry, stale resolve, ack timeout, escalation, silence expiry, group flush

Every stage is its own module (``alerts/dedup.py`` … ``alerts/escalate.py``) with its own doctest; this
class only wires them. Records carry their event time, so a replay of the same verdicts gives the same
records byte for byte, and ``state_dict()`` / ``from_state()`` let the live worker checkpoint everything.

>>> from yujing.records import Condition
>>> p = AlertPipeline(AlertsConfig())
>>> [r.status for r in p.process(Condition("receive_lag", {"order_id": "W1", "region": "north"}, "red", 0.0,
...                                        summary="客户13812345678催办"))]
['firing']
>>> p.active()[0]["summary"], [n.receiver for n in p.drain_notifications()]
('客户138****5678催办', ['staff'])
>>> [(r.status, r.extra.get("escalated_to")) for r in p.tick(900.0)]
[('escalated', 'team_lead')]
>>> [(r.status, r.extra["reason"]) for r in p.process(Condition("receive_lag", {"order_id": "W1",
...                                                             "region": "north"}, None, 1000.0))]
[('resolved', 'cleared')]
"""
from __future__ import annotations

import heapq
from functools import lru_cache
from typing import Any, Iterable

from alerts.config import AlertsConfig
from alerts.dedup import is_duplicate, is_older_view, last_per_instant
from alerts.escalate import Escalation
from alerts.group import Grouper
from alerts.holddown import HoldDown
from alerts.inhibit import Inhibitor
from alerts.late import LateVerdicts
from alerts.matchers import alert_labels
from alerts.mute import MuteWindows
from alerts.route import Router
from alerts.silence import Silences
from alerts.state import Alert, Notification
from yujing.masking import safe_text
from yujing.records import SCOPE_KEYS, TIER_RANK, AlertRecord, Condition, fmt_ts

LABELS = ("useful", "false_alarm", "missed_incident")
MAX_LABELS = 10_000
_ASK = object()
"""``_hold_escalation``'s default: find out whether the alert is muted."""
INHIBIT_RECHECK_S = 60.0
"""An inhibition has no known end: an inhibited alert with an escalation step pending looks again this often."""


_safe_text_cached = lru_cache(maxsize=8192)(safe_text)
"""Evidence strings repeat (categories, departments, the same customer texts): mask each once."""


class CommandError(ValueError):
    """A board command that cannot be applied (unknown alert, missing field); the worker audits it."""


def mask_evidence(value: Any, limit: int = 500) -> Any:
    """Evidence with every string masked and bounded (numbers and structure unchanged)."""
    if isinstance(value, str):
        return _safe_text_cached(value, limit)
    if isinstance(value, dict):
        return {str(k): mask_evidence(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_evidence(v, limit) for v in value]
    return value


class AlertPipeline:
    def __init__(self, config: AlertsConfig, utc_offset_h: float = 8.0):
        self.config = config
        self.utc_offset_h = utc_offset_h
        self.holddown = HoldDown(config)
        self.inhibitor = Inhibitor(config.inhibit)
        self.silences = Silences()
        self.windows = MuteWindows(config.mute_windows, utc_offset_h)
        self.router = Router(config)
        self.grouper = Grouper(config)
        self.escalation = Escalation(config)
        self.late = LateVerdicts(config.late_settle_s)
        self.alerts: dict[str, Alert] = {}
        """Open episodes (pending or firing) by fingerprint."""
        self.clock = float("-inf")
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._last_id: dict[str, int] = {}
        self._manual: dict[str, str] = {}
        self._labels: list[dict[str, Any]] = []
        self._labels_out: list[dict[str, Any]] = []
        self._outbox: list[Notification] = []
        self._quiet_until = float("-inf")
        """No timer is due before this time, as long as the grouper and the silences are at ``_quiet_versions``
        (a new alert timer lowers it in :meth:`_schedule`): ``tick`` is called before every event and every
        verdict, and nearly always has nothing to do."""
        self._quiet_versions = (-1, -1)

    # ---- the verbs -------------------------------------------------------------------------------------------
    def process(self, cond: Condition) -> list[AlertRecord]:
        """Apply one detector verdict at its event time ``cond.ts`` (timers due before it run first); a late one
        (older than its alert's last record) is held to settle first (``alerts/late.py``)."""
        t = cond.ts
        out = self.tick(t)
        fp = cond.fingerprint   # a hash of kind and scope: computed once per verdict
        if self.config.late_settle_s > 0 and self.late.hold(self.alerts.get(fp), cond, self.clock, fp):
            due = self.late.next_due()
            if due is not None and due < self._quiet_until:
                self._quiet_until = due
            return out
        out += self._apply(cond, fp)
        self._flush(t)
        return out

    def _apply(self, cond: Condition, fp: str) -> list[AlertRecord]:
        """The verdict's effect on its alert ``fp`` at ``cond.ts``: open, refresh, change tier, clear."""
        t = cond.ts
        out: list[AlertRecord] = []
        a = self.alerts.get(fp)
        if cond.tier is None:
            self._manual.pop(fp, None)
            if a is not None:
                a.last_seen = t
                action = self.holddown.on_clear(a, t)
                if action == "drop":
                    self._forget(a)
                elif action == "resolve":
                    out += self._resolve(a, t, "cleared")
                else:
                    self._schedule(a)
        else:
            if a is None:
                if TIER_RANK.get(cond.tier, 0) <= TIER_RANK.get(self._manual.get(fp), 0):
                    return out  # manually resolved: wait for a clear (or a worse tier) before a new episode
                self._manual.pop(fp, None)
                a = self.alerts[fp] = Alert(fp, self._new_id(fp, t), cond.kind, cond.stage, dict(cond.scope),
                                            cond.tier, cond.score, "", {}, t, t)
            a.last_seen = t
            if is_older_view(a, cond.evidence):   # an order's older view (a replaced worker catching up)
                self._schedule(a)
                return out
            a.score, a.stage = float(cond.score), cond.stage
            a.summary = safe_text(cond.summary, self.config.max_summary_chars)
            a.evidence = mask_evidence(cond.evidence)
            duplicate = is_duplicate(a, cond.tier)
            action = self.holddown.on_active(a, t)
            if not duplicate:
                if a.phase == "pending":
                    a.tier = cond.tier
                    if action == "fire":
                        out += self._fire(a, t)
                else:
                    out += self._change_tier(a, cond.tier, t)
            self._schedule(a)
        return out

    def process_all(self, conds: list[Condition]) -> list[AlertRecord]:
        """Apply a batch of verdicts in order, each with :meth:`process`; of several on one alert that would be
        recorded at one instant only the last counts (an instant has one state).

        A verdict older than its alert's last record (a worker that took over an order, catching up) counts at
        that record's time here, so two of them in one batch are one instant; across batches the settle stage
        (``alerts/late.py``) holds them and applies only the newest."""
        alerts = self.alerts

        def instant(c: Condition) -> float:
            a = alerts.get(c.fingerprint)
            return c.ts if a is None or c.ts >= a.last_record_ts else a.last_record_ts

        out: list[AlertRecord] = []
        for cond in last_per_instant(conds, instant):
            out += self.process(cond)
        return out

    def tick(self, now: float) -> list[AlertRecord]:
        """Run every timer due up to ``now``, each at its own due time (so records carry the exact time)."""
        if now < self._quiet_until and self._quiet_versions == (self.grouper.version, self.silences.version):
            if now > self.clock:
                self.clock = now
            return []
        out: list[AlertRecord] = []
        for _ in range(1_000_000):
            t = self.next_due()
            if t is None or t > now:
                # nothing due up to ``t`` (the earliest timer), unless a group or a silence is added meanwhile
                self._quiet_until = float("inf") if t is None else t
                self._quiet_versions = (self.grouper.version, self.silences.version)
                break
            out += self._run_due(max(t, self.clock))
        self.clock = max(self.clock, now)
        return out

    def apply_command(self, cmd: dict[str, Any], now: float) -> list[AlertRecord]:
        """Apply a board command: ``ack``, ``unack``, ``assign``, ``silence``, ``unsilence``, ``label``,
        ``resolve``. ``by`` names the user. Raises :class:`CommandError` when it cannot be applied."""
        out = self.tick(now)
        action, by = cmd.get("action"), str(cmd.get("by") or "")
        if not by:
            raise CommandError("command without 'by'")
        if action == "silence":
            out += self._silence(cmd, by, now)
        elif action == "unsilence":
            sid = str(cmd.get("silence_id", ""))
            if not self.silences.remove(sid):
                raise CommandError(f"unknown silence {sid!r}")
            out += self._lift_silence(sid, now, "removed", by)
        elif action == "label":
            self._label(cmd, by, now)
        elif action in ("ack", "unack", "assign", "resolve"):
            a = self._find(cmd)
            if action == "ack":
                if a.acked_by != by:
                    a.acked_by, a.acked_at = by, now
                    out.append(a.record("acknowledged", now, acknowledged=True, by=by,
                                        **self._note(cmd)))
                    if a.phase == "firing":
                        self._notify(a, now)   # no news, but the group's repeats stop for a taken alert
            elif action == "unack":
                if a.acked_by is not None:
                    a.acked_by = a.acked_at = None
                    self.escalation.restart(a, now)
                    self._hold_escalation(a, now)
                    out.append(a.record("acknowledged", now, acknowledged=False, by=by, reason="unack"))
                    if a.phase == "firing":
                        self._notify(a, now)   # nobody's again: the group's repeats remind of it
            elif action == "assign":
                to = str(cmd.get("to") or cmd.get("assignee") or "")   # the board sends ``assignee``
                if not to:
                    raise CommandError("assign without 'to'")
                a.assignee = to
                note = self._note(cmd)
                out.append(a.record("escalated", now, assigned_to=to, by=by, reason="assigned",
                                    escalation_step=a.escalation_step, **note))
                self._outbox += self._handover(a, to, by, now, note)
            else:
                self._manual[a.fingerprint] = a.tier
                # the board's why (its form asks for it) stays with the record, for the quality team
                out += self._resolve(a, now, "manual", by=by,
                                     note=self._note({"note": cmd.get("note") or cmd.get("reason")}))
            if a.phase != "resolved":
                self._schedule(a)
        else:
            raise CommandError(f"unknown action {action!r}")
        self._flush(now)
        return out

    def drain_notifications(self) -> list[Notification]:
        """Notification intents produced since the last call (grouped, routed; rate limiting is notify.py's)."""
        out, self._outbox = self._outbox, []
        return out

    def next_due(self) -> float | None:
        """Earliest pending timer (alerts, groups, silences), so a shell can sleep or advance exactly."""
        heap, due = self._heap, self._due
        while heap and due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        best = heap[0][0] if heap else None
        # called before every event (tick): plain comparisons, no temporary lists
        for t in (self.grouper.next_due(), self.silences.next_due() if self.silences.silences else None,
                  self.late.next_due() if len(self.late) else None):
            if t is not None and (best is None or t < best):
                best = t
        return best

    def active(self) -> list[dict[str, Any]]:
        """Snapshots of firing alerts, most severe first (with why each is muted, if it is)."""
        rows = []
        for a in self.alerts.values():
            if a.phase != "firing":
                continue
            snap = a.snapshot(max(self.clock, a.last_seen), self.utc_offset_h)
            snap["muted_by"] = self._mute_reason(a.labels, a.fingerprint, self.clock, firing=True)
            rows.append(snap)
        rows.sort(key=lambda s: (-TIER_RANK.get(s["tier"], 0), s["since"], s["alert_id"]))
        return rows

    def labels(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Quality-team labels (feedback for detectors), oldest first."""
        return [lb for lb in self._labels if kind is None or lb.get("kind") == kind]

    def drain_labels(self) -> list[dict[str, Any]]:
        """Labels added since the last call, as ``{"record": "label", ...}`` dicts for ``AlertStore.apply``."""
        out, self._labels_out = self._labels_out, []
        return out

    def silences_active(self) -> list[dict[str, Any]]:
        return list(self.silences.silences.values())

    # ---- checkpoint ------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"version": 1, "clock": self.clock if self.clock != float("-inf") else None,
                "alerts": [a.to_state() for a in self.alerts.values()], "silences": self.silences.state_dict(),
                "groups": self.grouper.state_dict(), "last_id": dict(self._last_id), "manual": dict(self._manual),
                "labels": list(self._labels), "labels_out": list(self._labels_out),
                "outbox": [n.to_dict() for n in self._outbox], "late": self.late.state_dict()}

    @classmethod
    def from_state(cls, config: AlertsConfig, state: dict[str, Any], utc_offset_h: float = 8.0) -> "AlertPipeline":
        p = cls(config, utc_offset_h)
        p.clock = state["clock"] if state.get("clock") is not None else float("-inf")
        for d in state.get("alerts", []):
            a = Alert.from_state(d)
            p.alerts[a.fingerprint] = a
            p.inhibitor.update(a.fingerprint, a.alert_id, a.labels, a.phase == "firing")
            p._schedule(a)
        p.silences.load(state.get("silences", {}))
        p.grouper.load(state.get("groups", {}))
        p._last_id = {k: int(v) for k, v in state.get("last_id", {}).items()}
        p._manual = dict(state.get("manual", {}))
        p._labels = list(state.get("labels", []))
        p._labels_out = list(state.get("labels_out", []))
        p._outbox = [Notification.from_dict(n) for n in state.get("outbox", [])]
        p.late.load(state.get("late", []))
        return p

    # ---- lifecycle steps -------------------------------------------------------------------------------------
    def _new_id(self, fp: str, t: float) -> str:
        """``<fingerprint>-<episode>``: the episode is its start second, bumped if a previous episode of the
        same fingerprint already used it (deterministic, unique, needs no memory of old episodes)."""
        n = int(t)
        last = self._last_id.get(fp)
        if last is not None and n <= last:
            n = last + 1
        self._last_id[fp] = n
        if len(self._last_id) > 4096:
            self._last_id = {k: v for k, v in self._last_id.items() if v >= int(t) - 1}
        return f"{fp}-{n}"

    def _fire(self, a: Alert, t: float) -> list[AlertRecord]:
        a.phase, a.fired_at = "firing", t
        self.escalation.restart(a, t)
        labels = a.labels
        self.inhibitor.update(a.fingerprint, a.alert_id, labels, True)
        out = [a.record("firing", t, **self._mute_extra(a, labels, t))]
        out += self._apply_silences(a, labels, t)
        self._hold_escalation(a, t)
        self._notify(a, t)
        return out

    def _change_tier(self, a: Alert, tier: str, t: float) -> list[AlertRecord]:
        previous, a.tier = a.tier, tier
        labels = a.labels
        self.inhibitor.update(a.fingerprint, a.alert_id, labels, True)
        direction = "up" if TIER_RANK[tier] > TIER_RANK[previous] else "down"
        lifted = a.silence_id if a.silence_id and not self.silences.holds(a.silence_id, labels, t) else None
        if lifted:   # its silence stops below the new tier, or matched the old one: people hear of it again
            a.silence_id = None
        out = [a.record("tier_changed", t, previous_tier=previous, direction=direction,
                        **self._mute_extra(a, labels, t))]
        if lifted:
            out.append(a.record("silenced", t, silenced=False, silence_id=lifted, reason="no_longer_matches"))
        out += self._apply_silences(a, labels, t)
        # muted at its old tier, perhaps not at the new one (blue at night, now red): its escalation clock knows
        self._hold_escalation(a, t)
        self._notify(a, t)
        return out

    def _resolve(self, a: Alert, t: float, reason: str, by: str | None = None,
                 note: dict[str, str] | None = None) -> list[AlertRecord]:
        a.phase = "resolved"
        rec = a.record("resolved", t, reason=reason, **({"by": by} if by else {}), **(note or {}))
        self.inhibitor.update(a.fingerprint, a.alert_id, {}, False)
        self._notify(a, t)
        self._outbox += self._all_clear(a, t)
        self._forget(a)
        return [rec]

    def _all_clear(self, a: Alert, t: float) -> list[Notification]:
        """The resolved alert's all-clear to the receivers its escalation paged (a team lead woken for a red alert
        learns he may stand down), unless a route of theirs sends resolutions through its group anyway, or the
        alert is muted (as the group's resolution would be). Keyed ``<alert_id>:resolved``."""
        if not a.paged:
            return []
        labels = a.labels
        if self._mute_reason(labels, a.fingerprint, t, firing=False) is not None:
            return []
        told = {r.receiver for r in self.router.route(labels) if r.send_resolved}
        snap = a.snapshot(t, self.utc_offset_h)
        return [Notification(f"{a.alert_id}:resolved", rcv, "resolved", t, [snap], firing_left=0)
                for rcv in a.paged if rcv not in told]

    def _forget(self, a: Alert) -> None:
        self.alerts.pop(a.fingerprint, None)
        self._due.pop(a.fingerprint, None)

    def _notify(self, a: Alert, t: float) -> None:
        labels, snap = a.labels, a.snapshot(t, self.utc_offset_h)
        for route in self.router.route(labels):
            self.grouper.add(route, labels, snap, t)

    def _flush(self, t: float) -> None:
        due = self.grouper.next_due()
        if due is not None and due <= t:
            self._outbox += self.grouper.flush(t, lambda snap: self._muted_snapshot(snap, t))

    # ---- muting ----------------------------------------------------------------------------------------------
    def _mute_reason(self, labels: dict[str, str], fp: str, t: float, firing: bool) -> dict[str, Any] | None:
        a = self.alerts.get(fp)
        sid = a.silence_id if a is not None and a.silence_id else self.silences.match(labels, t)
        if sid:
            return {"by": "silence", "silence_id": sid}
        if firing:
            inh = self.inhibitor.muted_by(labels)
            if inh:
                return {"by": "inhibit", "rule": inh[0], "alert_id": inh[1]}
        win = self.windows.muted(labels, t)
        if win:
            return {"by": "mute_window", "window": win[0], "until": win[1]}
        return None

    def _muted(self, a: Alert, t: float) -> dict[str, Any] | None:
        """Why the firing alert ``a`` is muted at ``t`` (None: it is not)."""
        return self._mute_reason(a.labels, a.fingerprint, t, firing=True)

    def _muted_snapshot(self, snap: dict[str, Any], t: float) -> tuple[str, float | None] | None:
        labels = alert_labels(snap["kind"], snap["tier"], snap["stage"], snap["scope"], snap["fingerprint"])
        m = self._mute_reason(labels, snap["fingerprint"], t, firing=snap["status"] != "resolved")
        if m is None:
            return None
        if m["by"] == "inhibit":
            return "inhibit", t + self.config.timing.group_interval_s
        return m["by"], m.get("until")

    def _mute_extra(self, a: Alert, labels: dict[str, str], t: float) -> dict[str, Any]:
        inh = self.inhibitor.muted_by(labels)
        win = self.windows.muted(labels, t)
        extra: dict[str, Any] = {}
        if inh:
            extra["inhibited_by"] = {"rule": inh[0], "alert_id": inh[1]}
        if win:
            extra["mute_window"] = win[0]
        return extra

    def _apply_silences(self, a: Alert, labels: dict[str, str], t: float) -> list[AlertRecord]:
        sid = self.silences.match(labels, t)
        if sid is None or sid == a.silence_id:
            return []
        a.silence_id = sid
        s = self.silences.silences[sid]
        self.escalation.pause(a, t, s["ends_at"])
        return [a.record("silenced", t, silenced=True, silence_id=sid, by=s["by"], reason=s["reason"],
                         until=fmt_ts(s["ends_at"], self.utc_offset_h))]

    def _silence(self, cmd: dict[str, Any], by: str, now: float) -> list[AlertRecord]:
        matchers = cmd.get("matchers")
        if not matchers and cmd.get("alert_id"):
            matchers = {"fingerprint": self._find(cmd).fingerprint}
        if cmd.get("ends_at") is not None:
            ends_at = float(cmd["ends_at"])
        elif cmd.get("duration_s") is not None:
            ends_at = now + float(cmd["duration_s"])
        elif cmd.get("until") is not None:
            # the board's form: an expiry on the wall clock of the command's ``ts``; the alerts' clock may run
            # ahead (an accelerated demo) or behind, so its length (whole seconds) counts from now
            until = float(cmd["until"])
            ends_at = now + round(until - float(cmd["ts"])) if cmd.get("ts") is not None else until
        else:
            raise CommandError("a silence needs ends_at or duration_s")
        try:
            self.silences.add(matchers or {}, by=by, reason=safe_text(str(cmd.get("reason") or ""), 200),
                              starts_at=now, ends_at=ends_at, max_tier=cmd.get("max_tier") or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out: list[AlertRecord] = []
        for a in list(self.alerts.values()):
            if a.phase == "firing":
                out += self._apply_silences(a, a.labels, now)
        return out

    def _lift_silence(self, sid: str, t: float, reason: str, by: str | None = None) -> list[AlertRecord]:
        out: list[AlertRecord] = []
        for a in list(self.alerts.values()):
            if a.silence_id != sid:
                continue
            a.silence_id = None
            more = self._apply_silences(a, a.labels, t)
            if more:
                out += more
                continue
            out.append(a.record("silenced", t, silenced=False, silence_id=sid, reason=reason,
                                **({"by": by} if by else {})))
            self._hold_escalation(a, t)
            self._notify(a, t)
        return out

    def _hold_escalation(self, a: Alert, t: float, muted: dict[str, Any] | None | object = _ASK) -> None:
        """Muted time does not count toward escalation: stop the alert's escalation clock while it is silenced,
        inhibited or in a mute window, let it go on when the alert is heard of again. Called when the alert
        fires, changes tier, gains or loses a silence, and at its escalation timer: a window counts from its
        start; an inhibition that began after the alert fired or changed tier counts from the timer that finds
        it (staff had been told), and its end is looked for each minute. ``muted``: :meth:`_muted` at ``t``, if
        the caller has it already."""
        if muted is _ASK:
            muted = self._muted(a, t)
        if muted is None:
            self.escalation.resume(a, t)
        elif muted["by"] == "silence":
            s = self.silences.silences.get(muted["silence_id"])
            self.escalation.pause(a, t, s["ends_at"] if s is not None else t + INHIBIT_RECHECK_S)
        elif muted["by"] == "mute_window":
            span = self.windows.span(a.labels, t)
            self.escalation.pause(a, span[1] if span else t, muted["until"])
        else:
            self.escalation.pause(a, t, t + INHIBIT_RECHECK_S)

    # ---- timers ----------------------------------------------------------------------------------------------
    def _schedule(self, a: Alert) -> None:
        dues = [self.holddown.due(a), self.escalation.due(a)]
        stale = self.config.stale_for(a.kind)
        if stale > 0 and a.phase == "firing":
            dues.append(a.last_seen + stale)
        due = min((d for d in dues if d is not None), default=None)
        if due is None:
            self._due.pop(a.fingerprint, None)
        elif self._due.get(a.fingerprint) != due:
            self._due[a.fingerprint] = due
            heapq.heappush(self._heap, (due, a.fingerprint))
            if due < self._quiet_until:
                self._quiet_until = due

    def _run_due(self, t: float) -> list[AlertRecord]:
        out: list[AlertRecord] = []
        for sid in self.silences.expire(t):
            out += self._lift_silence(sid, t, "expired")
        while self._heap and self._heap[0][0] <= t:
            due, fp = heapq.heappop(self._heap)
            if self._due.get(fp) != due:
                continue
            del self._due[fp]
            a = self.alerts.get(fp)
            if a is not None:
                out += self._on_timer(a, t)
        if len(self.late):
            for cond in self.late.release(t, self.alerts):
                out += self._apply(cond, cond.fingerprint)
        self._flush(t)
        return out

    def _on_timer(self, a: Alert, t: float) -> list[AlertRecord]:
        action = self.holddown.on_timer(a, t)
        if action == "fire":
            return self._fire(a, t) + self._after_fire_timers(a, t)
        if action == "resolve":
            return self._resolve(a, t, "cleared")
        stale = self.config.stale_for(a.kind)
        if a.phase == "firing" and stale > 0 and t >= a.last_seen + stale:
            return self._resolve(a, t, "stale")
        return self._after_fire_timers(a, t)

    def _after_fire_timers(self, a: Alert, t: float) -> list[AlertRecord]:
        out: list[AlertRecord] = []
        if a.phase == "firing":
            muted = self._muted(a, t)
            if self.escalation.ack_lapsed(a, t):
                out.append(a.record("acknowledged", t, acknowledged=False, reason="ack_timeout"))
                self._notify(a, t)   # nobody's again: the group's repeats remind of it
                if muted is None:
                    snap = a.snapshot(t, self.utc_offset_h)
                    for route in self.router.route(a.labels):
                        self._outbox.append(Notification(f"{a.alert_id}:ack{a.seq}", route.receiver, "ack_timeout",
                                                         t, [snap], step=a.seq))
            if a.acked_by is None:
                self._hold_escalation(a, t, muted)   # a muted alert's clock stands still (escalate.py)
                step = self.escalation.step_due(a, t)
                if step is not None:
                    out.append(a.record("escalated", t, escalation_step=a.escalation_step,
                                        escalated_to=step.receiver, reason="unacknowledged"))
                    # the record's seq in the key: after an unack or a lapsed ack the chain restarts at
                    # step 1, and a reused key is dropped by the notifier's sent-log as already sent
                    key = f"{a.alert_id}:esc{a.escalation_step}@{a.seq}"
                    if step.receiver not in a.paged:
                        a.paged.append(step.receiver)
                    self._outbox.append(Notification(key, step.receiver,
                                                     "escalation", t, [a.snapshot(t, self.utc_offset_h)],
                                                     step=a.escalation_step))
            self._schedule(a)
        return out

    # ---- commands --------------------------------------------------------------------------------------------
    def _find(self, cmd: dict[str, Any]) -> Alert:
        alert_id = str(cmd.get("alert_id") or "")
        a = self.alerts.get(alert_id.rsplit("-", 1)[0])
        if a is None or a.alert_id != alert_id or a.phase != "firing":
            raise CommandError(f"no open alert {alert_id!r}")
        return a

    def _handover(self, a: Alert, to: str, by: str, t: float, note: dict[str, str]) -> list[Notification]:
        """The message telling ``to`` that ``by`` handed them the alert: to the assignee's receiver
        (``AlertsConfig.assignee_receiver``), else to the receivers the alert is routed to (its team's channel;
        the message names the assignee). Sent muted or not: a person, not the alert, sends it. Keyed by the
        assignment record's seq, so each hand-over is its own message."""
        snap = a.snapshot(t, self.utc_offset_h)
        snap.update(assigned_by=by, **note)
        own = self.config.assignee_receiver(to)
        receivers = [own] if own is not None else [r.receiver for r in self.router.route(a.labels)]
        return [Notification(f"{a.alert_id}:assign@{a.seq}", rcv, "assigned", t, [snap], step=a.seq)
                for rcv in dict.fromkeys(receivers)]

    @staticmethod
    def _note(cmd: dict[str, Any]) -> dict[str, str]:
        return {"note": safe_text(str(cmd["note"]), 300)} if cmd.get("note") else {}

    def _label(self, cmd: dict[str, Any], by: str, now: float) -> None:
        label = cmd.get("label")
        if label not in LABELS:
            raise CommandError(f"label must be one of {LABELS}")
        # the board's missed-incident form sends its description as ``reason`` and where as ``matchers``
        # (region, department, stage)
        if not cmd.get("note") and cmd.get("reason"):
            cmd = {**cmd, "note": cmd["reason"]}
        where = cmd.get("matchers") if isinstance(cmd.get("matchers"), dict) else {}
        if cmd.get("scope") is None and any(k in where for k in SCOPE_KEYS):
            cmd = {**cmd, "scope": {k: str(where[k]) for k in SCOPE_KEYS if k in where}}
        if cmd.get("stage") is None and where.get("stage"):
            cmd = {**cmd, "stage": where["stage"]}
        row: dict[str, Any] = {"record": "label", "label": label, "by": by, "ts": fmt_ts(now, self.utc_offset_h),
                               "alert_id": cmd.get("alert_id"), **self._note(cmd)}
        a = self.alerts.get(str(cmd.get("alert_id") or "").rsplit("-", 1)[0])
        if a is not None and a.alert_id == cmd.get("alert_id"):
            row.update(fingerprint=a.fingerprint, kind=a.kind, scope=dict(a.scope), tier=a.tier, stage=a.stage)
        else:
            for key in ("fingerprint", "kind", "scope", "tier", "stage"):
                if cmd.get(key) is not None:
                    row[key] = cmd[key]
            if label != "missed_incident" and not row.get("alert_id"):
                raise CommandError("a label needs alert_id (or label=missed_incident with kind and scope)")
        self._labels.append(row)
        self._labels_out.append(row)
        if len(self._labels) > MAX_LABELS:
            del self._labels[: len(self._labels) - MAX_LABELS]


def run(pipeline: AlertPipeline, conditions: Iterable[Condition], until: float | None = None) -> list[AlertRecord]:
    """Feed conditions in order and run the timers up to ``until``: the replay loop in one call."""
    out: list[AlertRecord] = []
    for cond in conditions:
        out += pipeline.process(cond)
    if until is not None:
        out += pipeline.tick(until)
    return out
