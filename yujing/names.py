"""Display names of the ids events carry: regions and departments.

The event contract makes ``region`` and ``department`` ids (``north``, ``north-repair-2``); the people who read
alerts know them by name (城北供电公司, 城北抢修二班). An installation lists the names it wants shown in its
configuration (``[names.region]``, ``[names.department]``); summaries, the board and the push messages show a
name where one is given and the id otherwise. Records keep the ids (the contracts' ``scope`` and evidence), so
routing, silences, fingerprints and the history's filters work on ids as before.

The names are the installation's, one table per process: :func:`yujing.config.load_config` installs the ones it
read, so the worker, ``yujing replay`` and the board show the same.

>>> install({"region": {"north": "城北"}, "department": {"north-repair-2": "城北抢修二班"}})
>>> shown("region", "north"), shown("department", "north-repair-2"), shown("region", "south"), shown("channel", "app")
('城北', '城北抢修二班', 'south', 'app')
>>> install({})
>>> shown("region", "north")
'north'
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAMED = ("region", "department")
"""The scope keys whose values are ids with display names."""

_names: dict[str, dict[str, str]] = {k: {} for k in NAMED}


def install(names: Mapping[str, Mapping[str, str]] | Any) -> None:
    """Use these names from now on (a mapping or a ``NamesConfig``; what it leaves out shows as ids)."""
    get = names.get if isinstance(names, Mapping) else (lambda k, d=None: getattr(names, k, d))
    for k in NAMED:
        _names[k] = {str(i): str(n) for i, n in (get(k) or {}).items() if str(n).strip()}


def shown(key: str, value: Any) -> Any:
    """``value`` as people read it: the display name of a region or department id if one is configured."""
    table = _names.get(key)
    if table and isinstance(value, str):
        return table.get(value, value)
    return value


def id_of(key: str, text: str) -> str:
    """The id a person means by ``text``: the id itself, or the id whose configured name it is (forms and the
    ``users`` command take either); the text, stripped, when it is neither.

    >>> install({"region": {"north": "城北"}})
    >>> id_of("region", " 城北 "), id_of("region", "north"), id_of("region", "harbour"), id_of("department", "城北")
    ('north', 'north', 'harbour', '城北')
    >>> install({})
    """
    text = text.strip()
    table = _names.get(key) or {}
    if text in table:
        return text
    return next((i for i, n in table.items() if n == text), text)

