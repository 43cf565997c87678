"""Ground truth for a simulated stream: which incidents hurt whom and when, and every order's fate.

``yujing simulate --truth DIR`` writes ``incidents.json``, ``orders.json`` and ``meta.json`` in the format the
shared scorer (``../shared/scenarios/tools/score.py``) reads, so yujing can be judged on streams other than the
two public ones. :class:`TruthSimulation` is the plain :class:`~yujing.simulator.engine.Simulation` plus a
bookkeeper on ``emit``: it reads the order's hidden state (true category, storm anger) but never draws from the
random generator, so the events are byte-for-byte those of a run without ``--truth``, and a run without it pays
nothing.

What the truth means (kept simple on purpose):

* **breach** — one of yujing's four SLA checks (``streams/deadlines.py`` with the configured deadlines) whose
  closing milestone came after its deadline, or had not come when the stream ended past the deadline
  (``done`` null). Deadlines are computed from the event timestamps (whole seconds) as yujing would: receive and
  dispatch with the filed category, department accept and feedback with the category of the first dispatch
  (a reclassification moves them); feedback closes at ``arrived`` (fault repair) or the first ``replied``, and a
  pause moves its deadline by the pause.
* **affected orders** of an incident — the orders its mechanism touched: receive incidents, the region's orders
  waiting to be accepted while the incident really had an agent off the shift (a cut that rounds to the same
  staff changes nothing); an outage surge, the region's fault reports in the window; a
  department stall, orders waiting at the department during it; slow feedback, orders the department took on
  during it; a misclassification wave, the channel's orders filed under a wrong category in it; a sentiment storm,
  the region's customers it angered.
* **harm_ts** — the earliest deadline (from the incident start on) that an affected order breached in the checks
  the incident acts on (receive: receive_ack; department stall: dept_accept; slow feedback and outage: feedback;
  misclassification: dispatch or dept_accept), or for a sentiment storm the first escalation of an angered customer; null if none.

>>> from datetime import datetime
>>> from yujing.simulator import SimOptions, default_regions, iter_timed, parse_incident
>>> t0 = datetime.fromisoformat("2026-07-14T09:00:00+08:00").timestamp()
>>> inc = parse_incident("understaffed_receive:north:10:60:0.2", default_regions(3))
>>> sim = TruthSimulation(SimOptions(start=t0, hours=2, seed=5, regions=3, incidents=[inc]))
>>> n = sum(1 for _ in iter_timed(sim.opts, sim=sim))
>>> truth = sim.truth()
>>> i = truth["incidents"][0]
>>> i["type"], i["stage"], i["scope"], i["start"], i["params"]
('understaffed_receive', 'receive', {'region': 'north'}, '2026-07-14T09:10:00+08:00', {'staff_factor': 0.2})
>>> i["start"] <= i["harm_ts"] <= i["end"], i["stats"]["breached_orders"] > 0
(True, True)
>>> len(truth["orders"]) == truth["meta"]["counts"]["orders"]
True
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter
from datetime import datetime
from typing import Any

from streams.deadlines import CHECK_STAGE, Sla
from yujing.simulator.engine import TZ, UTC_OFFSET_S, Order, RegionState, SimOptions, Simulation
from yujing.simulator.incidents import Incident

INF = math.inf
STAGE_OF_TYPE = {"understaffed_receive": "receive", "sentiment_storm": "receive", "gradual_drift": "receive",
                 "department_stall": "decompose", "misclassification_wave": "decompose",
                 "slow_feedback": "feedback", "outage_surge": "feedback"}
HARM_CHECKS: dict[str, tuple[str, ...]] = {
    "understaffed_receive": ("receive_ack",), "gradual_drift": ("receive_ack",),
    "department_stall": ("dept_accept",), "slow_feedback": ("feedback",), "outage_surge": ("feedback",),
    "misclassification_wave": ("dispatch", "dept_accept"), "sentiment_storm": ()}
PARAM_NAME = {"understaffed_receive": "staff_factor", "outage_surge": "fault_multiplier",
              "department_stall": "accept_rate", "misclassification_wave": "reclass_prob",
              "sentiment_storm": "multiplier", "slow_feedback": "handling_factor", "gradual_drift": "shrink_per_hour"}


def fmt(t: float) -> str:
    """Epoch seconds -> RFC 3339 at +08:00, whole seconds (the stream's own format)."""
    return datetime.fromtimestamp(math.floor(t), TZ).isoformat()


class OrderTimeline:
    """The milestones of one order as the stream shows them, plus what only the simulator knows."""

    __slots__ = ("oid", "customer", "region", "area", "channel", "tier", "created_cat", "true_cat", "created",
                 "storm", "misfiled", "repeat", "accepted", "moves", "dept_accepts", "arrived", "replied",
                 "pause_start", "paused", "closed", "resolution", "esc_ts", "esc_to", "esc_t")

    def __init__(self, oid: str, t: int, o: Order, fields: dict[str, Any]) -> None:
        self.oid, self.created = oid, t
        self.customer, self.region, self.area = fields["customer_id"], fields["region"], fields["area"]
        self.channel, self.tier, self.created_cat = fields["channel"], fields["customer_tier"], fields["category"]
        self.true_cat, self.storm, self.repeat = o.true_cat, o.storm, o.repeat
        self.misfiled = fields["category"] != o.true_cat
        self.accepted = self.arrived = self.replied = self.closed = self.esc_t = INF
        self.moves: list[tuple[int, str, str | None]] = []   # (t, department, category) at dispatch/reassign
        self.dept_accepts: list[tuple[int, str]] = []
        self.pause_start: int | None = None
        self.paused = 0
        self.resolution = self.esc_ts = self.esc_to = None

    @property
    def departments(self) -> list[str]:
        return list(dict.fromkeys(d for _, d, _ in self.moves))

    def dispatched_cat(self) -> str:
        first = next((c for _, _, c in self.moves if c), None)
        return first or self.created_cat

    def checks(self, sla: Sla) -> list[tuple[str, int, float, float]]:
        """(check, opened, deadline, closed or inf) of the four SLA checks this order has opened."""
        kw = {"channel": self.channel, "tier": self.tier, "area": self.area}
        out = [("receive_ack", self.created,
                sla.deadline("receive_ack", self.created, category=self.created_cat, **kw), self.accepted)]
        first_dispatch = self.moves[0][0] if self.moves else INF
        if self.accepted < INF:
            out.append(("dispatch", self.accepted,
                        sla.deadline("dispatch", self.accepted, category=self.created_cat, **kw), first_dispatch))
        cat = self.dispatched_cat()
        if first_dispatch < INF:
            done = next((t for t, _ in self.dept_accepts if t >= first_dispatch), INF)
            out.append(("dept_accept", first_dispatch,
                        sla.deadline("dept_accept", first_dispatch, category=cat, **kw), done))
        done = min(self.arrived, self.replied) if cat == "fault_repair" else self.replied
        out.append(("feedback", self.created, sla.deadline("feedback", self.created, category=cat, **kw)
                    + self.paused, done))
        return out

    def breaches(self, sla: Sla, end: float) -> list[tuple[str, float, float]]:
        """(check, deadline, done or inf) for every check whose milestone came late or never came by ``end``."""
        return [(c, dl, done) for c, _, dl, done in self.checks(sla) if done > dl and dl < end]

    def waiting_at(self, dept: str) -> list[tuple[int, float]]:
        """Intervals the order sat at ``dept`` before the department took it (or it was moved on)."""
        out = []
        for i, (t, d, _) in enumerate(self.moves):
            if d != dept:
                continue
            nxt = self.moves[i + 1][0] if i + 1 < len(self.moves) else INF
            took = next((a for a, ad in self.dept_accepts if a >= t and ad == dept), INF)
            out.append((t, min(nxt, took)))
        return out


class TruthSimulation(Simulation):
    """A :class:`Simulation` that also keeps each order's timeline; :meth:`truth` turns it into ground truth."""

    def __init__(self, opts: SimOptions) -> None:
        super().__init__(opts)
        self.timelines: dict[str, OrderTimeline] = {}
        self.event_counts: Counter[str] = Counter()
        self.last_t = self.t0

    def emit(self, t: float, o: Order, etype: str, **fields: Any) -> None:
        super().emit(t, o, etype, **fields)
        s = int(t)
        self.last_t = t
        self.event_counts[etype] += 1
        if etype == "created":
            self.timelines[o.oid] = OrderTimeline(o.oid, s, o, fields)
            return
        tl = self.timelines[o.oid]
        if etype == "accepted":
            tl.accepted = min(tl.accepted, s)
        elif etype == "dispatched":
            tl.moves.append((s, fields["department"], fields.get("category")))
        elif etype == "reassigned":
            tl.moves.append((s, fields["department"], None))
        elif etype == "dept_accepted":
            tl.dept_accepts.append((s, fields["department"]))
        elif etype == "arrived":
            tl.arrived = min(tl.arrived, s)
        elif etype == "replied":
            tl.replied = min(tl.replied, s)
        elif etype == "paused":
            tl.pause_start = s
        elif etype == "resumed" and tl.pause_start is not None:
            tl.paused += s - tl.pause_start
            tl.pause_start = None
        elif etype == "closed" and tl.closed == INF:
            tl.closed, tl.resolution = s, fields.get("resolution")
        elif etype == "escalated" and tl.esc_ts is None:
            tl.esc_t, tl.esc_ts, tl.esc_to = s, self.out[-1][1]["ts"], fields.get("to")

    # --- ground truth ---------------------------------------------------------------------------------
    def staff_cut(self, rs: RegionState, t: float) -> bool:
        """Whether a receive incident has really taken an agent off the region's shift at ``t``.

        A cut to 30 % of one night agent still leaves one: such a minute harms nobody, and a breach then is the
        usual night, not the incident.
        """
        local = t + UTC_OFFSET_S
        planned = rs.agents[(int(local // 86400) + 3) % 7 >= 5][int(local % 86400 // 3600)]
        return max(1, round(planned * self.agent_factor(rs, t))) < planned

    def _affected(self, inc: Incident, s: float, e: float) -> list[OrderTimeline]:
        tls = self.timelines.values()
        kind = inc.type
        if kind in ("understaffed_receive", "gradual_drift"):
            rs = next(r for r in self.regions if r.name == inc.region)
            return [o for o in tls if o.region == inc.region and o.created < e and o.accepted > s
                    and any(self.staff_cut(rs, x) for x in range(int(max(o.created, s)),
                                                                  int(min(o.accepted, e)) + 1, 60))]
        if kind == "outage_surge":
            return [o for o in tls if o.region == inc.region and o.true_cat == "fault_repair" and s <= o.created < e]
        if kind == "department_stall":
            return [o for o in tls if any(a < e and b > s for a, b in o.waiting_at(inc.department or ""))]
        if kind == "slow_feedback":
            return [o for o in tls if any(d == inc.department and s <= t < e for t, d in o.dept_accepts)]
        if kind == "misclassification_wave":
            return [o for o in tls if o.channel == inc.channel and o.misfiled and s <= o.created < e]
        if kind == "sentiment_storm":
            return [o for o in tls if o.region == inc.region and o.storm]
        return []

    def truth(self, sla: Sla | None = None, end: float | None = None) -> dict[str, Any]:
        """``{"incidents": [...], "orders": {...}, "meta": {...}}`` for the stream simulated so far."""
        if sla is None:
            from yujing.config import load_config

            sla = Sla(load_config(None).sla)
        if end is None:   # the planned end when the run got there, else (interrupted, endless) the last event
            done = self.end < INF and (not self.heap or self.heap[0][0] >= self.end)
            end = self.end if done else self.last_t
        breaches = {oid: tl.breaches(sla, end) for oid, tl in self.timelines.items()}
        membership: dict[str, list[str]] = {}
        incidents = []
        for n, inc in enumerate(sorted(self.incidents, key=lambda i: i.start_min), 1):
            iid = f"INC-{n:02d}"
            s = self.t0 + inc.start_min * 60.0
            e = min(self.t0 + inc.end_min * 60.0, end)
            if s >= end:
                continue
            affected = self._affected(inc, s, e)
            checks = HARM_CHECKS[inc.type]
            harms = [dl for o in affected for c, dl, _ in breaches[o.oid] if c in checks and dl >= s]
            escalations = [o.esc_t for o in affected if o.esc_t >= s and o.esc_t < INF]
            if inc.type == "sentiment_storm":
                harm = min(escalations, default=None)
            else:
                harm = min(harms, default=None)
            for o in affected:
                membership.setdefault(o.oid, []).append(iid)
            scope: dict[str, str] = {"region": inc.region}
            if inc.type in ("department_stall", "slow_feedback"):
                scope["department"] = inc.department or ""
            elif inc.type == "misclassification_wave":
                scope = {"channel": inc.channel or ""}
            params: dict[str, Any] = {PARAM_NAME[inc.type]: inc.factor}
            if inc.type == "outage_surge":
                params["affected_customers"] = inc.affected
            if inc.type == "gradual_drift":
                params["floor"] = 0.25
            incidents.append({
                "id": iid, "type": inc.type, "stage": STAGE_OF_TYPE[inc.type], "scope": scope,
                "start": fmt(s), "end": fmt(e), "harm_ts": fmt(harm) if harm is not None else None,
                "params": params,
                "stats": {"affected_orders": len(affected),
                          "breached_orders": sum(1 for o in affected
                                                 if any(c in checks for c, _, _ in breaches[o.oid])),
                          "escalations": len(escalations)}})
        orders = {}
        for oid, tl in self.timelines.items():
            br = breaches[oid]
            cat = tl.dispatched_cat()
            orders[oid] = {
                "order_id": oid, "customer_id": tl.customer, "region": tl.region, "area": tl.area,
                "channel": tl.channel, "tier": tl.tier, "category": cat, "created_category": tl.created_cat,
                "true_category": tl.true_cat, "created": fmt(tl.created), "departments": tl.departments,
                "escalated": tl.esc_ts is not None, "escalation_ts": tl.esc_ts, "escalated_to": tl.esc_to,
                "closed": fmt(tl.closed) if tl.closed < INF else None, "resolution": tl.resolution,
                "breaches": [{"check": c, "stage": CHECK_STAGE[c], "deadline": fmt(dl),
                              "done": fmt(done) if done < INF else None} for c, dl, done in br],
                "first_breach_ts": fmt(min(dl for _, dl, _ in br)) if br else None,
                "repeat": tl.repeat, "incidents": membership.get(oid, []),
                "signals": {"storm": tl.storm, "misfiled": tl.misfiled}}
        regions = [rs.region for rs in self.regions]
        n_esc = sum(1 for o in orders.values() if o["escalated"])
        meta = {
            "generator": "yujing simulate --truth", "version": "1.0", "scenario_set": "yujing-sim",
            "seed": self.opts.seed, "days": round((end - self.t0) / 86400.0, 4), "scale": self.opts.scale,
            "start": fmt(self.t0), "end": fmt(end),
            "counts": {"events": sum(self.event_counts.values()), "orders": len(orders), "escalated_orders": n_esc,
                       "escalation_rate": round(n_esc / len(orders), 4) if orders else 0.0,
                       "orders_with_breach": sum(1 for b in breaches.values() if b), "incidents": len(incidents),
                       "events_by_type": dict(self.event_counts)},
            "breach_rule": "streams/deadlines.py checks with the configured deadlines; late or missing at end",
            "regions": [{"name": r.name, "size": r.size, "areas": r.areas,
                         "departments": [{"name": d.name, "kind": d.kind} for d in r.departments]} for r in regions],
            "department_region": {d.name: r.name for r in regions for d in r.departments},
        }
        return {"incidents": incidents, "orders": orders, "meta": meta}

    def write_truth(self, directory: str, sla: Sla | None = None) -> dict[str, Any]:
        """Write incidents.json, orders.json and meta.json into ``directory`` (created); return the meta."""
        truth = self.truth(sla)
        os.makedirs(directory, exist_ok=True)
        for name in ("incidents", "orders", "meta"):
            with open(os.path.join(directory, f"{name}.json"), "w", encoding="utf-8") as fh:
                json.dump(truth[name], fh, ensure_ascii=False, indent=None if name == "orders" else 1)
        return truth["meta"]
