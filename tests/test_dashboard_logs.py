"""The board's pages log no deprecation warnings (streamlit 1.67: ``use_container_width`` is deprecated for
``width``), so the server's log shows what matters."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.dash_fixtures import ROOT, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture()
def streamlit_warnings():
    """Deprecation warnings Streamlit logs (each of its loggers has propagate=False, so neither caplog nor a
    handler on the ``streamlit`` logger sees them: the handler goes on the one that logs them)."""
    handler = _Collect()
    logger = logging.getLogger("streamlit.deprecation_util")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_pages_log_no_deprecation_warning(board_env, streamlit_warnings):
    """Login form, live board (alert cards with their buttons, heat map, riskiest orders), history (charts, table,
    story): each used ``use_container_width=True``, one deprecation warning per element per run."""
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot())
    seed(board_env["redis_url"])
    runs = [app_test().run(), app_test("duty").run(), app_test("qa").run()]
    assert all(not at.exception for at in runs), [at.exception for at in runs]
    assert any(b.label == "Acknowledge" for b in runs[1].button)          # the cards' buttons were drawn
    assert len(runs[2].dataframe) >= 2                                     # history table and story
    assert streamlit_warnings == []


def test_no_page_uses_the_deprecated_width_argument():
    """Elements only some data draws (a group's table, the rest of the alerts, deliveries, the audit log) too."""
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "dashboard").rglob("*.py"))
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "use_container_width" in line]
    assert hits == []
