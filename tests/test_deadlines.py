"""SLA deadline arithmetic (streams/deadlines.py): every check's length from the configuration, customer tiers,
and working time on the business calendar (weekends, holidays, swapped working days, the local day)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from streams.deadlines import HOUR, Sla
from yujing.config import load_config

TZ = timezone(timedelta(hours=8))
FRI_NOON = datetime(2026, 7, 17, 12, tzinfo=TZ).timestamp()   # a Friday


def sla(**calendar) -> Sla:
    cfg = load_config(None).sla
    for k, v in calendar.items():
        setattr(cfg.calendar, k, v)
    return Sla(cfg)


def minutes(s: Sla, check: str, channel="hotline", tier="regular", category="complaint", area="urban") -> float:
    return s.span(check, channel=channel, tier=tier, category=category, area=area) / 60


def local(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).strftime("%a %m-%d %H:%M")


def test_receive_ack_by_channel_and_other_for_an_unknown_one():
    s = sla()
    assert [minutes(s, "receive_ack", channel=ch) for ch in ("hotline", "hall", "app", "fax")] == [5, 5, 30, 30]
    s.cfg.receive_ack_min = {"hotline": 5, "other": 20}
    assert minutes(s, "receive_ack", channel="fax") == 20


def test_dispatch_and_its_optional_stricter_fault_repair_limit():
    s = sla()
    assert minutes(s, "dispatch", category="fault_repair") == 30
    s.cfg.dispatch_fault_min = 10
    assert minutes(s, "dispatch", category="fault_repair") == 10 and minutes(s, "dispatch", category="complaint") == 30


def test_department_acceptance_by_category_with_a_default():
    s = sla()
    assert [minutes(s, "dept_accept", category=c) for c in ("fault_repair", "complaint", "opinion")] == [15, 60, 120]


def test_feedback_is_arrival_by_area_for_repairs_and_a_reply_otherwise():
    s = sla()
    assert [minutes(s, "feedback", category="fault_repair", area=a) for a in ("urban", "rural", "remote", "isle")] \
        == [45, 90, 120, 45]
    assert [minutes(s, "feedback", category=c) / 60 for c in ("complaint", "opinion", "consultation")] \
        == [24, 120, 24]


def test_customer_tiers_shorten_every_deadline():
    s = sla()
    assert minutes(s, "dispatch", tier="premium") == pytest.approx(30 * 0.67)
    assert minutes(s, "dept_accept", tier="potential", category="complaint") == pytest.approx(60 * 0.8)
    assert minutes(s, "dispatch", tier="unheard_of") == 30


def test_an_unknown_check_is_an_error():
    with pytest.raises(ValueError):
        sla().span("lunch", channel="hotline", tier="regular", category="complaint", area="urban")


def test_calendar_hour_deadlines_run_through_the_weekend():
    s = sla()
    due = s.deadline("feedback", FRI_NOON, channel="web", tier="regular", category="complaint", area="urban")
    assert local(due) == "Sat 07-18 12:00"


def test_working_hour_deadlines_skip_weekends_holidays_and_count_swapped_workdays():
    kw = dict(channel="web", tier="regular", category="consultation", area="urban")
    assert local(sla().deadline("feedback", FRI_NOON, **kw)) == "Mon 07-20 12:00"
    assert local(sla(holidays=["2026-07-20"]).deadline("feedback", FRI_NOON, **kw)) == "Tue 07-21 12:00"
    assert local(sla(extra_workdays=["2026-07-18"]).deadline("feedback", FRI_NOON, **kw)) == "Sat 07-18 12:00"
    premium = sla().deadline("feedback", FRI_NOON, **{**kw, "tier": "premium"})   # 16.08 working hours
    assert local(premium) == "Mon 07-20 04:04"


def test_working_time_started_on_a_day_off_counts_from_the_next_working_day():
    s = sla()
    sat_10 = datetime(2026, 7, 18, 10, tzinfo=TZ).timestamp()
    assert local(s.add_working_time(sat_10, 2 * HOUR)) == "Mon 07-20 02:00"
    fri_23 = datetime(2026, 7, 17, 23, tzinfo=TZ).timestamp()
    assert local(s.add_working_time(fri_23, 2 * HOUR)) == "Mon 07-20 01:00"


def test_working_time_that_ends_exactly_at_midnight_ends_there():
    assert local(sla().add_working_time(FRI_NOON, 12 * HOUR)) == "Sat 07-18 00:00"


def test_working_days_are_local_days():
    s = sla()
    mon_0730 = datetime(2026, 7, 20, 7, 30, tzinfo=TZ).timestamp()     # still Sunday in UTC
    sun_2000 = datetime(2026, 7, 19, 20, tzinfo=TZ).timestamp()        # the same UTC day
    assert s.is_workday(mon_0730) is True and s.is_workday(sun_2000) is False
    assert s.is_workday(FRI_NOON) is True


def test_a_remembered_rule_still_starts_from_each_order_own_start():
    s = sla()
    kw = dict(channel="hotline", tier="regular", category="complaint", area="urban")
    assert s.deadline("receive_ack", 1000.0, **kw) == 1300.0
    assert s.deadline("receive_ack", 5000.0, **kw) == 5300.0
    assert s.deadline("receive_ack", 5000.0, **{**kw, "channel": "app"}) == 5000.0 + 1800


def test_built_in_limits_when_the_configuration_names_no_fallback():
    s = sla()
    s.cfg.receive_ack_min, s.cfg.dept_accept_min, s.cfg.arrival_min, s.cfg.reply_h = {"hotline": 5}, {}, {}, {}
    assert minutes(s, "receive_ack", channel="fax") == 30 and minutes(s, "dept_accept") == 120
    assert minutes(s, "feedback", category="fault_repair", area="remote") == 45
    assert minutes(s, "feedback", category="opinion") / 60 == 120


def test_reply_deadlines_are_shortened_for_premium_customers_too():
    s = sla()
    assert minutes(s, "feedback", tier="premium", category="complaint") / 60 == pytest.approx(24 * 0.67)
    assert minutes(s, "feedback", tier="premium", category="consultation") / 60 == pytest.approx(24 * 0.67)


def test_only_the_reply_deadline_counts_working_time():
    s = sla()
    fri_2350 = datetime(2026, 7, 17, 23, 50, tzinfo=TZ).timestamp()
    due = s.deadline("dispatch", fri_2350, channel="web", tier="regular", category="consultation", area="urban")
    assert local(due) == "Sat 07-18 00:20"
    s.cfg.reply_working_h = {"consultation": 24, "fault_repair": 1}   # a repair's feedback is its arrival
    due = s.deadline("feedback", fri_2350, channel="web", tier="regular", category="fault_repair", area="urban")
    assert local(due) == "Sat 07-18 00:35"
