"""Configuration: one validated object, read from a TOML file and overridden by environment variables.

Every section is a pydantic model owned by the package that uses it (``alerts.config``,
``detectors.config``, ``dashboard.config``); this module only assembles them. Environment variables
override any field: ``YUJING_<SECTION>__<FIELD>``, e.g. ``YUJING_KAFKA__BROKER=kafka://kafka:9092``.

>>> cfg = load_config(None)
>>> cfg.sla.receive_ack_min["hotline"], cfg.tiers.yellow
(5, 0.75)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from alerts.config import AlertsConfig
from dashboard.config import DashboardConfig
from detectors.config import DetectorsConfig
from streams.topics import DEFAULT_TOPICS
from yujing import names

DEFAULT_CONFIG = Path(__file__).with_name("default.toml")
"""The shipped sample configuration (also used by the demo)."""


class KafkaConfig(BaseModel):
    """Where the live workers read and write."""

    broker: str = Field("kafka://127.0.0.1:9092", description="faust broker URL (kafka://host:port[;host:port])")
    events_topic: str = Field("workorder-events", description="input topic (contract: keyed by order_id)")
    dlq_topic: str = Field("workorder-events.dlq", description="dead letters: rejected input with the reason")
    alerts_topic: str = Field("alerts", description="alert lifecycle and risk records: the log of record")
    commands_topic: str = Field("alert-commands", description="acks, silences, labels from the board")
    partitions: int = Field(12, ge=1, description="partitions of the events topic (scale-out unit)")
    replication: int = Field(1, ge=1, description="replication factor of created topics")
    app_id: str = Field("yujing", description="faust app id = consumer group; workers with one id share work")
    session_timeout_s: float = Field(10.0, description="consumer session timeout; Tansu's first join waits half")
    fetch_max_wait_ms: int = Field(100, ge=1, description="longest a consumer fetch waits for data: Tansu always "
                                   "waits all of it, so each topic hop adds up to this much latency; smaller costs "
                                   "more empty fetches on an idle worker")


class RedisConfig(BaseModel):
    """The read model of the board and the history pages."""

    url: str = Field("redis://127.0.0.1:6379/0", description="redis URL, with password in production")
    prefix: str = Field("yj:", description="key prefix, so one Redis can hold several installations")
    board_risks: Literal["risky", "all"] = Field(
        "risky", description="orders whose latest risk record the board's keys (`risk:latest`, `risk:top`) "
        "hold: `risky` = yellow tier and above (what the board lists), taken off when the risk drops below "
        "it; `all` = every order scored (bench_live times each new order by its record). Either way an order "
        "leaves them when it settles (closed and quiet past the label horizon) or is forgotten: the keys do "
        "not grow with every order ever seen")


class WorkerConfig(BaseModel):
    """How a live worker rides out a Redis or broker outage."""

    write_give_up_s: float = Field(300.0, gt=0, description="a take's write (counters, changelog, output, board "
                                   "keys) is retried with backoff this long, shown as `blocked` on the board; then "
                                   "the worker exits (status 75) for its supervisor to restart it")
    hot_orders: int = Field(10_000, ge=0, description="open orders (and customers) the order worker keeps decoded, "
                            "those with the latest events; the others it keeps encoded (~300 bytes an order "
                            "instead of ~900) and decodes when an event or a timer comes for them (0: all decoded)")


class ClockConfig(BaseModel):
    """How the live shell tells time (replay always uses event time)."""

    speed: float = Field(1.0, gt=0, description="event-time seconds per wall second; >1 for accelerated demos")
    tick_s: float = Field(0.5, gt=0, description="how often live timers (silent orders, alert timers) run: a "
                                                  "silent order's alert comes within about tick_s of its deadline")
    utc_offset_h: float = Field(8.0, description="local time zone of the business calendar (China: +8)")
    heartbeat_after_s: float = Field(300.0, description="live only: a `heartbeat` alert fires when no event has "
                                                        "arrived for this many wall seconds (0 disables)")


class BusinessCalendar(BaseModel):
    """Working days for deadlines counted in working days (consultation, complaints, reports)."""

    weekend: list[int] = Field([5, 6], description="weekday numbers that are not working days (Mon=0)")
    holidays: list[str] = Field([], description="ISO dates that are not working days, e.g. 2026-10-01")
    extra_workdays: list[str] = Field([], description="ISO weekend dates that are working days (调休)")


class SlaConfig(BaseModel):
    """Stage deadlines (minutes unless stated). Defaults from shared/domain.md; never loosen a published limit."""

    receive_ack_min: dict[str, float] = Field(
        {"hotline": 5, "hall": 5, "app": 30, "wechat": 30, "web": 30, "sms": 30, "12345": 30, "12398": 30,
         "other": 30},
        description="receive: created -> accepted, by channel")
    dispatch_min: float = Field(30, description="decompose: accepted -> dispatched")
    dispatch_fault_min: float | None = Field(None, description="optional stricter dispatch for fault_repair")
    dept_accept_min: dict[str, float] = Field(
        {"fault_repair": 15, "complaint": 60, "default": 120},
        description="decompose: first dispatched -> dept_accepted, by category")
    arrival_min: dict[str, float] = Field({"urban": 45, "rural": 90, "remote": 120},
                                          description="feedback (fault_repair): created -> arrived, by area")
    reply_h: dict[str, float] = Field({"complaint": 24, "default": 120},
                                      description="feedback: created -> first replied, hours, by category")
    reply_working_h: dict[str, float] = Field({"consultation": 24},
                                              description="feedback counted in working hours, by category")
    tier_factor: dict[str, float] = Field({"premium": 0.67, "potential": 0.8, "regular": 1.0},
                                          description="deadline multiplier by customer tier")
    calendar: BusinessCalendar = BusinessCalendar()


class TierThresholds(BaseModel):
    """Share of a deadline used at which a per-order lag warning reaches each tier (domain.md)."""

    blue: float = 0.5
    yellow: float = 0.75
    orange: float = 0.9
    red: float = 1.0


class TrackingConfig(BaseModel):
    """Order-state bookkeeping."""

    evict_after_h: float = Field(14 * 24, description="forget an order this long after its last event")
    closed_label_after_h: float = Field(24, description="a closed order quiet this long is a negative label")
    repeat_window_h: list[float] = Field([24, 168], description="repeat-contact windows (same customer+category)")
    topics: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_TOPICS),
                                         description="what new contacts are about: topic name -> words (zh/en, "
                                                     "substrings, case-insensitive); waves of one topic in one "
                                                     "region raise topic_surge")


class NamesConfig(BaseModel):
    """Display names of the region and department ids events carry (``yujing/names.py``): shown in summaries,
    on the board and in push messages; records keep the ids."""

    region: dict[str, str] = Field(default_factory=dict, description="region id -> name, e.g. north = \"城北供电公司\"")
    department: dict[str, str] = Field(default_factory=dict,
                                       description="department id -> name, e.g. \"north-repair-2\" = \"城北抢修二班\"")


class Settings(BaseSettings):
    """Everything yujing can be told. See ``yujing/default.toml`` for a commented sample."""

    model_config = SettingsConfigDict(env_prefix="YUJING_", env_nested_delimiter="__", extra="forbid")

    kafka: KafkaConfig = KafkaConfig()
    redis: RedisConfig = RedisConfig()
    worker: WorkerConfig = WorkerConfig()
    clock: ClockConfig = ClockConfig()
    sla: SlaConfig = SlaConfig()
    tiers: TierThresholds = TierThresholds()
    tracking: TrackingConfig = TrackingConfig()
    detectors: DetectorsConfig = DetectorsConfig()
    alerts: AlertsConfig = AlertsConfig()
    dashboard: DashboardConfig = DashboardConfig()
    names: NamesConfig = NamesConfig()

    @model_validator(mode="after")
    def _one_board_url(self) -> "Settings":
        """The messages' links go to the board's public URL unless ``alerts.board_url`` says otherwise (before,
        ``dashboard.base_url`` — the one docker-compose and the demo set — never reached a message)."""
        if self.alerts.board_url is None:
            self.alerts.board_url = self.dashboard.base_url
        return self

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("_YUJING_CONFIG_FILE")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def load_config(path: str | Path | None, **overrides: Any) -> Settings:
    """Load ``path`` (TOML; None = defaults only, or ``$YUJING_CONFIG``), then env overrides."""
    path = path or os.environ.get("YUJING_CONFIG")
    if path is not None and not Path(path).is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    old = os.environ.get("_YUJING_CONFIG_FILE")
    try:
        if path is not None:
            os.environ["_YUJING_CONFIG_FILE"] = str(path)
        else:
            os.environ.pop("_YUJING_CONFIG_FILE", None)
        settings = Settings(**overrides)
        names.install(settings.names)   # the installation's display names, for summaries, board and messages
        return settings
    finally:
        if old is None:
            os.environ.pop("_YUJING_CONFIG_FILE", None)
        else:
            os.environ["_YUJING_CONFIG_FILE"] = old
