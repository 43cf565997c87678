"""Routing stage: which receivers hear about an alert. Routes are tried in order, Alertmanager style; the
first match wins unless it says ``continue``; nothing matched -> the default receiver.

>>> from alerts.config import AlertsConfig, Route
>>> cfg = AlertsConfig(routes=[Route(receiver="repair_desk", match={"stage": "feedback"}, **{"continue": True}),
...                            Route(receiver="north_team", match={"region": "north"})])
>>> [r.receiver for r in Router(cfg).route({"stage": "feedback", "region": "north"})]
['repair_desk', 'north_team']
>>> [r.receiver for r in Router(cfg).route({"stage": "receive", "region": "south"})]
['staff']
"""
from __future__ import annotations

from typing import Mapping

from alerts.config import AlertsConfig, Route
from alerts.matchers import Matcher


class Router:
    def __init__(self, config: AlertsConfig):
        self.config = config
        self.default = Route(receiver=config.default_receiver)
        self._routes = [(r, Matcher(r.match)) for r in config.routes]
        self._default = [self.default]

    def route(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert with these labels takes (never empty)."""
        out: list[Route] = []
        for r, match in self._routes:
            if match(labels):
                out.append(r)
                if not r.continue_:
                    break
        return out or list(self._default)
