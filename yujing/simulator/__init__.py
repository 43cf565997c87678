"""``yujing simulate``: realistic work-order events for demos, tests and benchmarks.

A discrete-event simulation of a province (:mod:`.engine`) with capacity (:mod:`.queues`), customers whose
texts follow the wait (:mod:`.texts`) and injectable incidents (:mod:`.incidents`); :mod:`.sinks` paces the
stream into a JSON Lines file or a Kafka topic; :mod:`.truth` keeps the ground truth (incidents, order fates)
that ``--truth`` writes for ``../shared/scenarios/tools/score.py``.
"""
from yujing.simulator.engine import SimOptions, Simulation, iter_events, iter_timed
from yujing.simulator.incidents import INCIDENT_TYPES, Incident, demo_incidents, parse_incident
from yujing.simulator.province import Region, default_regions, regions_from_spec

__all__ = ["SimOptions", "Simulation", "iter_events", "iter_timed", "Incident", "INCIDENT_TYPES", "parse_incident",
           "demo_incidents", "Region", "default_regions", "regions_from_spec"]
