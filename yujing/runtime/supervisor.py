"""Start, watch and stop the child processes of one installation (the demo; any single-machine set-up).

Each :class:`Child` runs in its own process group, so stopping it stops whatever it spawned. A child that
dies is restarted with exponential backoff and the restart is logged; more than ``max_restarts`` deaths
within ``window_s`` seconds is a restart storm: the child is given up (and, if ``critical``, everything
stops). ``depends_on`` expresses "when X restarts, restart me fresh": the child is stopped, its ``fresh``
hook runs (e.g. wipe local table state), and it starts again once X is ready. The demo uses that for the
memory-only broker: a broker restart loses all topics, so the workers must start over.

Ctrl-C / SIGTERM stop every child: SIGTERM to its process group, SIGKILL after ``grace_s``; dependents
stop before what they depend on.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import inspect
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

EventSink = Callable[[str, str, str], Awaitable[None] | None]
"""``on_event(kind, child, detail)``: kinds started, ready, died, restarting, gave_up, stopped."""


@dataclass
class Child:
    """One supervised process and what to do around its (re)starts."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    log: Path | None = None
    """stdout+stderr go here (appended); None = discard."""
    ready: Callable[[], Awaitable[None]] | None = None
    """Awaited after every start (wait for a port, create topics); raising counts as a failed start."""
    depends_on: tuple[str, ...] = ()
    """Start after these are ready; restart fresh whenever one of them restarts."""
    fresh: Callable[[], None] | None = None
    """Called before a restart forced by a dependency (the child's local state no longer matches)."""
    critical: bool = False
    """Giving this child up stops the whole installation."""


@dataclass
class _State:
    proc: asyncio.subprocess.Process | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    forced: bool = False
    deaths: collections.deque[float] = field(default_factory=collections.deque)
    gave_up: bool = False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the supervisor itself is killed (no orphans after kill -9)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    """Run ``children`` until stopped; :meth:`run` returns 0 after a requested stop, 1 after a give-up."""

    def __init__(self, children: Sequence[Child], *, grace_s: float = 5.0, backoff_s: float = 0.5,
                 backoff_max_s: float = 10.0, max_restarts: int = 5, window_s: float = 60.0,
                 console: Console | None = None, on_event: EventSink | None = None) -> None:
        names = [c.name for c in children]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate child names: {names}")
        for c in children:
            if unknown := set(c.depends_on) - set(names):
                raise ValueError(f"{c.name} depends on unknown {sorted(unknown)}")
        self.children = {c.name: c for c in children}
        self.grace_s, self.backoff_s, self.backoff_max_s = grace_s, backoff_s, backoff_max_s
        self.max_restarts, self.window_s = max_restarts, window_s
        self.console = console or Console(stderr=True)
        self.on_event = on_event
        self.exit_code = 0
        self._state: dict[str, _State] = {}
        self._stopping: asyncio.Event | None = None

    # ── public ──────────────────────────────────────────────────────────────────────────────────────────
    async def run(self) -> int:
        """Start everything, keep it running until :meth:`request_stop` (or a signal), stop everything."""
        self._stopping = asyncio.Event()
        self._state = {name: _State() for name in self.children}
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        keepers = [asyncio.create_task(self._keep(c), name=f"keep-{c.name}") for c in self.children.values()]
        try:
            await self._stopping.wait()
        finally:
            await self._stop_all()
            for t in keepers:
                t.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        return self.exit_code

    def request_stop(self, code: int | None = None) -> None:
        if code is not None:
            self.exit_code = code
        if self._stopping is not None:
            self._stopping.set()

    def pid(self, name: str) -> int | None:
        """Process id of a running child (tests, diagnostics)."""
        proc = self._state[name].proc if name in self._state else None
        return proc.pid if proc is not None and proc.returncode is None else None

    async def wait_ready(self, *names: str, timeout: float = 60.0) -> None:
        """Wait until the named children (all if none) are ready."""
        while not self._state:
            await asyncio.sleep(0.01)
        waits = [self._state[n].ready.wait() for n in (names or self.children)]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    # ── one child's life ────────────────────────────────────────────────────────────────────────────────
    async def _keep(self, child: Child) -> None:
        st = self._state[child.name]
        delay = self.backoff_s
        assert self._stopping is not None
        while not self._stopping.is_set():
            await asyncio.gather(*(self._state[d].ready.wait() for d in child.depends_on))
            started = time.monotonic()
            try:
                await self._start(child)
                if child.ready is not None:
                    await child.ready()
            except Exception as exc:  # noqa: BLE001 - a failed start is a death
                self._log(f"[red]{child.name}: start failed: {exc}")
                await self._terminate(child.name)
            else:
                st.ready.set()
                await self._emit("ready", child.name, f"pid {st.proc.pid if st.proc else '?'}")
                assert st.proc is not None
                await st.proc.wait()
            st.ready.clear()
            if self._stopping.is_set():
                break
            code = st.proc.returncode if st.proc else None
            if st.forced:
                st.forced = False
                self._log(f"[yellow]{child.name}: restarting fresh (a dependency restarted)")
                await self._emit("restarting", child.name, "dependency restarted: fresh state")
                if child.fresh is not None:
                    child.fresh()
                delay = self.backoff_s
                continue
            self._log(f"[red]{child.name} died (exit {code}){self._tail(child)}")
            await self._emit("died", child.name, f"exit {code}")
            await self._restart_dependents(child.name)
            now = time.monotonic()
            st.deaths.append(now)
            while st.deaths and st.deaths[0] < now - self.window_s:
                st.deaths.popleft()
            if len(st.deaths) > self.max_restarts:
                st.gave_up = True
                self._log(f"[bold red]{child.name}: {len(st.deaths)} deaths in {self.window_s:.0f}s: giving up")
                await self._emit("gave_up", child.name, f"{len(st.deaths)} deaths in {self.window_s:.0f}s")
                if child.critical:
                    self.request_stop(1)
                return
            if now - started > self.window_s:
                delay = self.backoff_s  # it had been running fine: this is not a storm
            self._log(f"[yellow]{child.name}: restarting in {delay:.1f}s")
            await self._emit("restarting", child.name, f"in {delay:.1f}s")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, self.backoff_max_s)

    async def _start(self, child: Child) -> None:
        st = self._state[child.name]
        out: Any = asyncio.subprocess.DEVNULL
        if child.log is not None:
            child.log.parent.mkdir(parents=True, exist_ok=True)
            out = open(child.log, "ab")
        try:
            st.proc = await asyncio.create_subprocess_exec(
                *child.argv, env=dict(child.env) if child.env is not None else None, cwd=child.cwd,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            if out is not asyncio.subprocess.DEVNULL:
                out.close()
        self._log(f"[green]{child.name}[/] started (pid {st.proc.pid})")
        await self._emit("started", child.name, f"pid {st.proc.pid}")

    async def _restart_dependents(self, name: str) -> None:
        """``name`` died: stop what depends on it; their keepers restart them fresh once it is ready."""
        running = [d for d in self._dependents(name)
                   if (p := self._state[d].proc) is not None and p.returncode is None]
        for dep in running:
            self._state[dep].forced = True
        # their state is wiped anyway: a short grace, all at once (a faust worker hangs while the broker is away)
        await asyncio.gather(*(self._terminate(d, grace=min(self.grace_s, 2.0)) for d in running))

    def _dependents(self, name: str) -> list[str]:
        return [c.name for c in self.children.values() if name in c.depends_on]

    async def _terminate(self, name: str, grace: float | None = None) -> None:
        """SIGTERM the child's process group, SIGKILL after the grace period."""
        grace = self.grace_s if grace is None else grace
        proc = self._state[name].proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except asyncio.TimeoutError:
            self._log(f"[yellow]{name}: no exit after {grace:.0f}s, SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        with contextlib.suppress(ProcessLookupError):  # stragglers of the group
            os.killpg(proc.pid, signal.SIGKILL)

    async def _stop_all(self) -> None:
        """Dependents first (workers before the broker), each layer in parallel."""
        remaining = set(self.children)
        while remaining:
            layer = {n for n in remaining
                     if not any(n in self.children[m].depends_on for m in remaining if m != n)} or remaining
            await asyncio.gather(*(self._terminate(n) for n in layer))
            for n in layer:
                if self._state[n].proc is not None:
                    await self._emit("stopped", n, "")
            remaining -= layer
        self._log("all children stopped")

    # ── reporting ───────────────────────────────────────────────────────────────────────────────────────
    def _tail(self, child: Child, lines: int = 5) -> str:
        if child.log is None or not child.log.is_file():
            return ""
        with open(child.log, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
        return ("; last lines of " + str(child.log) + ":\n    " + "\n    ".join(tail)) if tail else ""

    def _log(self, msg: str) -> None:
        self.console.log(msg, highlight=False)

    async def _emit(self, kind: str, name: str, detail: str) -> None:
        if self.on_event is None:
            return
        try:
            result = self.on_event(kind, name, detail)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # noqa: BLE001 - reporting must never take the installation down
            self._log(f"[yellow]event sink failed: {exc}")
