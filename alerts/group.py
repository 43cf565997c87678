"""Grouping stage: alerts of one receiver that share the ``group_by`` labels travel in one message, on
Alertmanager's timers: the first message of a new group waits ``group_wait`` (to collect alerts that fire
together), changes to a notified group wait ``group_interval``, an unchanged still-firing group is repeated
every ``repeat_interval``. A change message carries the alerts that changed (so a group of a thousand
order alerts does not resend all of them for each new one); a repeat carries every visible firing alert,
and only while one of them is unacknowledged. An acknowledgement is no message of its own: a message that goes
out carries the acknowledgements made since the group was last told (who took which), listed after the alerts
that still need someone. Muted alerts (silenced, inhibited, in a mute window) stay in the group unsent
and go out when they are no longer muted. An alert is in one group per receiver and grouping labels: when a label
it is grouped by changes (its tier, by default), it leaves its old group unannounced, and its new group tells it.

>>> from alerts.config import AlertsConfig, Route
>>> g = Grouper(AlertsConfig(timing_by_tier={}))
>>> snap = lambda fp, status="firing": {"fingerprint": fp, "alert_id": fp + "-1", "tier": "yellow",
...                                     "status": status, "acked_by": None}
>>> route, labels = Route(receiver="staff"), {"kind": "receive_lag", "region": "north", "tier": "yellow"}
>>> g.add(route, labels, snap("a"), 0.0); g.add(route, labels, snap("b"), 10.0)
>>> g.next_due(), g.flush(29.0, lambda s: None)
(30.0, [])
>>> [len(n.alerts) for n in g.flush(30.0, lambda s: None)], g.next_due()
([2], 14430.0)
>>> g.add(route, labels, snap("a", "resolved"), 100.0); g.next_due()
330.0
>>> [(n.reason, [a["status"] for a in n.alerts]) for n in g.flush(330.0, lambda s: None)]
[('group', ['resolved'])]
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Mapping

import orjson

from alerts.config import AlertsConfig, Route, Timing
from alerts.state import Notification
from yujing.records import TIER_RANK

Muted = Callable[[dict[str, Any]], "tuple[str, float | None] | None"]
"""Given an alert snapshot: None if it may be notified now, else (reason, when to look again or None)."""


@dataclass(slots=True)
class Group:
    gid: str
    receiver: str
    labels: dict[str, str]
    timing: dict[str, float]
    send_resolved: bool = True
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)
    next_flush: float | None = None
    last_flush: float | None = None
    count: int = 0
    top_tier: str | None = None
    """Most severe tier in the group: raised on add, recomputed at flush (keeps add O(1))."""
    dirty: dict[str, None] = field(default_factory=dict)
    """Alerts added or changed since the last flush (an ordered set), the only ones a change flush looks at."""
    since: float | None = None
    """When this group was formed (None in checkpoints from before it was kept): in its message keys, so a group
    formed again with the same labels after the last one emptied does not reuse keys the notifier's sent-log
    already holds (it would drop those messages as sent)."""


def _token(snap: Mapping[str, Any]) -> str:
    """What staff were last told of an alert: firing or resolved, its tier, and who acknowledged it."""
    if snap["status"] == "resolved":
        return "resolved:" + str(snap["tier"])
    ack = snap.get("acked_by")
    return "firing:" + str(snap["tier"]) + (f"|ack:{ack}" if ack else "")


def _news(told: str | None, snap: Mapping[str, Any]) -> bool:
    """Whether the alert is news to the group: new to it, resolved, or at another tier. An acknowledgement alone
    is not (it would double the messages); it rides along with the group's next message (:meth:`Grouper._flush_one`)."""
    return told is None or told.split("|", 1)[0] != _token(snap).split("|", 1)[0]


def _order(snap: Mapping[str, Any]) -> tuple[bool, bool, int, str]:
    """Firing before resolved, unacknowledged before acknowledged (what still needs someone first), then by tier."""
    resolved = snap["status"] == "resolved"
    return (resolved, bool(snap.get("acked_by")) and not resolved, -TIER_RANK.get(snap["tier"], 0), snap["alert_id"])


def _top_tier(snaps: Iterable[Mapping[str, Any]]) -> str | None:
    """The most severe tier among ``snaps`` (the first of equals, as ``max(..., key=rank)``), without a key
    function call per alert: every flush of a group recomputes it."""
    rank = TIER_RANK.get
    best, best_rank = None, -1
    for snap in snaps:
        tier = snap["tier"]
        r = rank(tier, 0)
        if r > best_rank:
            best, best_rank = tier, r
    return best


class Grouper:
    def __init__(self, config: AlertsConfig):
        self.config = config
        self.groups: dict[str, Group] = {}
        self._next: float | None = None
        self._next_known = True
        self.version = 0
        """Bumped whenever a flush may have come earlier (an add, a load): timer caches key on it."""
        self._timings: dict[tuple[Any, ...], Timing] = {}
        self._homes: dict[tuple[str, tuple[str, ...], str], Any] = {}
        """(receiver, grouping labels, fingerprint) -> the id of the group the alert is in (a list of ids only
        for duplicates restored from an older checkpoint). ``tier`` is a default grouping label: a tier change
        moves an alert to another group, and the old group must let it go."""

    def _timing(self, g: Group) -> Timing:
        """The group's timers for its most severe tier (built once per distinct route timing and tier)."""
        key = (g.top_tier, tuple(g.timing.items()))
        t = self._timings.get(key)
        if t is None:
            t = self._timings[key] = self.config.timing_for(g.top_tier, Timing(**g.timing))
        return t

    def add(self, route: Route, labels: Mapping[str, str], snapshot: dict[str, Any], now: float) -> None:
        """Put the alert's latest state into its group for ``route`` and (re)schedule the group's flush."""
        group_by = route.group_by if route.group_by is not None else self.config.group_by
        glabels = {k: labels.get(k, "") for k in group_by}
        raw = route.receiver + "|" + orjson.dumps(glabels, option=orjson.OPT_SORT_KEYS).decode()
        gid = hashlib.sha1(raw.encode()).hexdigest()[:12]
        g = self.groups.get(gid)
        if g is None:
            g = self.groups[gid] = Group(gid, route.receiver, glabels, (route.timing or self.config.timing).model_dump(),
                                         route.send_resolved, since=now)
        fp = snapshot["fingerprint"]
        home = (route.receiver, tuple(sorted(glabels)), fp)
        old = self._homes.get(home)
        if old != gid:
            self._homes[home] = gid
            for o in (old,) if isinstance(old, str) else old or ():
                if o != gid and o in self.groups:
                    self._leave(self.groups[o], fp)
        g.alerts[fp] = snapshot
        g.dirty[fp] = None
        if TIER_RANK.get(snapshot["tier"], 0) > TIER_RANK.get(g.top_tier, 0):
            g.top_tier = snapshot["tier"]
        t = self._timing(g)
        if g.last_flush is None:
            candidate = now + t.group_wait_s
        else:
            candidate = max(now, g.last_flush + t.group_interval_s)
        g.next_flush = candidate if g.next_flush is None else min(g.next_flush, candidate)
        self.version += 1
        if self._next_known:  # add only ever brings a flush forward
            self._next = g.next_flush if self._next is None else min(self._next, g.next_flush)

    def _leave(self, g: Group, fp: str) -> None:
        """Take an alert that moved to another group out of ``g`` (unannounced: its new group tells its news)."""
        g.alerts.pop(fp, None)
        g.sent.pop(fp, None)
        g.dirty.pop(fp, None)
        if g.alerts:
            g.top_tier = _top_tier(g.alerts.values())
        else:
            del self.groups[g.gid]
            self._next_known = False

    def next_due(self) -> float | None:
        if not self._next_known:
            self._next = min((g.next_flush for g in self.groups.values() if g.next_flush is not None), default=None)
            self._next_known = True
        return self._next

    def flush(self, now: float, muted: Muted) -> list[Notification]:
        """Notifications of every group whose timer is due at ``now``."""
        out: list[Notification] = []
        self._next_known = False
        for gid in sorted(gid for gid, g in self.groups.items() if g.next_flush is not None and g.next_flush <= now):
            n = self._flush_one(self.groups[gid], now, muted)
            if n is not None:
                out.append(n)
            if not self.groups[gid].alerts:
                del self.groups[gid]
        return out

    def _flush_one(self, g: Group, now: float, muted: Muted) -> Notification | None:
        t = self._timing(g)
        repeat = g.last_flush is not None and now >= g.last_flush + t.repeat_interval_s
        # a change notification carries the changed alerts; a repeat carries every visible firing one
        candidates = list(g.alerts) if repeat else [fp for fp in g.dirty if fp in g.alerts]
        send: list[dict[str, Any]] = []
        held: dict[str, None] = {}
        recheck: float | None = None
        for fp in candidates:
            snap = g.alerts[fp]
            if snap["status"] == "resolved" and not (g.send_resolved and fp in g.sent):
                continue
            m = muted(snap)
            if m is not None:
                if snap["status"] != "resolved":
                    held[fp] = None
                if m[1] is not None:
                    recheck = m[1] if recheck is None else min(recheck, m[1])
                continue
            send.append(snap)
        changed = [s for s in send if _news(g.sent.get(s["fingerprint"]), s)]
        if not repeat:
            send = changed
        elif not any(s["status"] != "resolved" and not s.get("acked_by") for s in send) and not changed:
            send = []
        g.dirty = {fp: None for fp in g.dirty if fp in held}
        note = None
        if send and not repeat:
            # acknowledgements the group has not been told of ride along (a repeat lists every firing alert anyway)
            listed = {s["fingerprint"] for s in send}
            for fp, snap in g.alerts.items():
                if (fp not in listed and snap["status"] != "resolved" and snap.get("acked_by") and fp in g.sent
                        and g.sent[fp] != _token(snap) and muted(snap) is None):
                    send.append(snap)
        if send:
            g.count += 1
            g.last_flush = now
            send.sort(key=_order)
            key = f"g{g.gid}:{g.count}" if g.since is None else f"g{g.gid}@{g.since}:{g.count}"
            note = Notification(key=key, receiver=g.receiver,
                                reason="group" if changed else "repeat", ts=now, alerts=send, group=dict(g.labels),
                                step=g.count)
            for snap in send:
                g.sent[snap["fingerprint"]] = _token(snap)
            note.firing_left = sum(1 for fp, snap in g.alerts.items() if snap["status"] != "resolved" and fp in g.sent)
        for fp in [fp for fp, snap in g.alerts.items() if snap["status"] == "resolved"]:
            del g.alerts[fp]
            if self._homes.get(home := (g.receiver, tuple(sorted(g.labels)), fp)) == g.gid:
                del self._homes[home]
            g.sent.pop(fp, None)
            g.dirty.pop(fp, None)
        if not g.alerts:
            g.next_flush = None
            return note
        g.top_tier = _top_tier(g.alerts.values())
        base = g.last_flush if g.last_flush is not None else now
        nxt = base + t.repeat_interval_s
        if nxt <= now:
            nxt = now + t.repeat_interval_s
        if recheck is not None:
            nxt = min(nxt, max(recheck, now + 1.0))
        g.next_flush = nxt
        return note

    def state_dict(self) -> dict[str, Any]:
        return {gid: asdict(g) for gid, g in self.groups.items()}

    def load(self, d: dict[str, Any]) -> None:
        self.groups = {gid: Group(**g) for gid, g in d.items()}
        self._homes = {}
        for gid, g in self.groups.items():
            for fp in g.alerts:
                home = (g.receiver, tuple(sorted(g.labels)), fp)
                old = self._homes.get(home)
                self._homes[home] = gid if old is None else [*([old] if isinstance(old, str) else old), gid]
        self._next_known = False
        self.version += 1
