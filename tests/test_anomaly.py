"""The series anomaly detector, the drift test and ``yujing detect-series`` on series with known answers."""
from __future__ import annotations

import io
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from detectors.anomaly import SeriesAnomalyDetector, detect_series_cli
from detectors.drift import LevelDrift

MIN = 60.0
ROOT = Path(__file__).resolve().parents[1]
YUJING = [str(ROOT / ".venv" / "bin" / "yujing")]


def seasonal(i: int, rng: random.Random) -> float:
    """Orders per minute: a daily curve, busier on weekdays, Poisson-like noise."""
    t = i * MIN
    hour = (t % 86400) / 3600
    weekday = (t // 86400 + 3) % 7 < 5  # epoch day 0 was a Thursday
    base = 20 + 15 * math.sin(2 * math.pi * (hour - 8) / 24) * (1.0 if weekday else 0.6)
    return max(0.0, base + rng.gauss(0, math.sqrt(max(base, 1.0))))


def run(values: list[float], times: list[float] | None = None, **kw) -> list[float]:
    det = SeriesAnomalyDetector(utc_offset_h=0, **kw)
    times = times or [i * MIN for i in range(len(values))]
    return [det.update(t, x) for t, x in zip(times, values)]


def test_step_is_detected_at_its_start():
    rng = random.Random(3)
    xs = [50 + rng.gauss(0, 2) + (30 if i >= 1500 else 0) for i in range(2000)]
    scores = run(xs)
    assert max(scores[:1500]) < 0.5
    assert max(range(2000), key=scores.__getitem__) in range(1500, 1503)
    assert scores[1500] >= 0.5


def test_seasonal_series_without_anomaly_scores_low():
    rng = random.Random(5)
    xs = [seasonal(i, rng) for i in range(10 * 1440)]
    scores = run(xs)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert sum(s >= 0.5 for s in scores[1440:]) <= 3  # a few in 9 days of minutes at most


def test_injected_spike_in_seasonal_series_scores_highest():
    rng = random.Random(5)
    xs = [seasonal(i, rng) for i in range(10 * 1440)]
    spike = 8 * 1440 + 600
    xs[spike] += 60
    scores = run(xs)
    assert scores[spike] >= 0.5
    assert max(range(len(xs)), key=scores.__getitem__) == spike


def test_monday_morning_peak_after_weekend_is_not_an_incident():
    """The weekday peak returns every Monday; the weekly/daily profiles predict it once learned."""
    rng = random.Random(9)
    n = 15 * 1440
    scores = run([seasonal(i, rng) for i in range(n)])
    monday = next(d for d in range(8, 15) if (d + 3) % 7 == 0)
    morning = scores[monday * 1440 + 6 * 60: monday * 1440 + 12 * 60]
    assert max(morning) < 0.5


def test_gap_in_time_does_not_crash_nor_spike():
    rng = random.Random(11)
    times, xs = [], []
    for i in range(4 * 1440):
        if 2 * 1440 <= i < 2 * 1440 + 180:  # three hours missing
            continue
        times.append(i * MIN)
        xs.append(seasonal(i, rng))
    scores = run(xs, times)
    after = times.index(next(t for t in times if t >= (2 * 1440 + 180) * MIN))
    assert max(scores[after:after + 10]) < 0.5
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_scores_of_a_prefix_do_not_change_when_rows_are_appended():
    rng = random.Random(13)
    xs = [seasonal(i, rng) for i in range(3000)]
    assert run(xs[:2000]) == run(xs)[:2000]


def test_score_one_does_not_learn():
    det = SeriesAnomalyDetector(utc_offset_h=0)
    for i in range(100):
        det.update(i * MIN, 10.0 + (i % 3))
    a = det.score_one(100 * MIN, 50.0)
    assert det.score_one(100 * MIN, 50.0) == a
    assert det.n == 100


def test_ramp_is_caught_by_the_drift_test_not_before():
    rng = random.Random(17)
    drift = LevelDrift()
    fired = [i for i in range(1000)
             if drift.update(100 + rng.gauss(0, 3) + (0.1 * (i - 500) if i > 500 else 0)).drift_detected]
    assert fired and 500 < fired[0] < 600
    assert fired[0] == min(fired)


def test_no_drift_on_stationary_noise():
    rng = random.Random(19)
    drift = LevelDrift()
    assert not any(drift.update(rng.gauss(0, 1)).drift_detected for _ in range(5000))


def test_cli_function_echoes_rows_and_scores():
    src = io.StringIO()
    lines = ["timestamp,value"] + [f"2014-04-01 {h:02d}:{m:02d}:00,{10 + (m % 5)}" for h in range(3)
                                   for m in range(0, 60, 5)]
    path = ROOT / "bench" / "out" / "_test_series.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    try:
        detect_series_cli(str(path), src)
    finally:
        path.unlink()
    out = src.getvalue().splitlines()
    assert out[0] == "timestamp,value,anomaly_score"
    assert len(out) == len(lines)
    for given, got in zip(lines[1:], out[1:]):
        ts, value, score = got.split(",")
        assert f"{ts},{value}" == given and 0.0 <= float(score) <= 1.0


@pytest.mark.parametrize("ts", ["1396310400", "2014-04-01T00:00:00+08:00", "2014-04-01T00:00:00Z"])
def test_cli_accepts_epoch_and_iso_timestamps(ts):
    out = io.StringIO()
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(f"timestamp,value\n{ts},1.5\n")
        detect_series_cli("-", out)
    finally:
        sys.stdin = sys_stdin
    assert out.getvalue().splitlines()[1] == f"{ts},1.5,0.000000"


def test_command_end_to_end(tmp_path):
    rng = random.Random(23)
    rows = ["timestamp,value"]
    for i in range(2000):
        x = 50 + rng.gauss(0, 2) + (40 if i == 1800 else 0)
        rows.append(f"{int(1396310400 + 300 * i)},{x:.3f}")
    f = tmp_path / "s.csv"
    f.write_text("\n".join(rows) + "\n")
    res = subprocess.run(YUJING + ["detect-series", str(f)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[0] == "timestamp,value,anomaly_score" and len(out) == 2001
    scores = [float(r.split(",")[2]) for r in out[1:]]
    assert max(range(2000), key=scores.__getitem__) == 1800


@pytest.mark.parametrize("body, where", [
    ("time,val\n1,2\n", "line 1"),
    ("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n", "line 3"),
    ("timestamp,value\nyesterday,1\n", "line 2"),
])
def test_command_rejects_bad_input_with_one_line_error(tmp_path, body, where):
    f = tmp_path / "bad.csv"
    f.write_text(body)
    res = subprocess.run(YUJING + ["detect-series", str(f)], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and where in err


def test_slow_climb_out_of_the_usual_range_is_caught_by_the_level_shift():
    """A one-step forecaster follows a slow climb; the recent mean leaving the long-run range does not."""
    rng = random.Random(29)
    xs = [10 + rng.gauss(0, 1) + (0.02 * (i - 3000) if i > 3000 else 0) for i in range(3600)]
    scores = run(xs)
    assert max(scores[:3000]) < 0.5
    first = next(i for i, s in enumerate(scores) if s >= 0.5)
    assert 3000 < first < 3300   # within 6 noise sd of climbing


def test_denser_burst_of_small_spikes_is_flagged_where_no_single_spike_is():
    """Rare small spikes on a flat zero line are normal; a dense burst of the same spikes is not.

    The point score still re-alarms on a rare spike about once per thousand samples here (its record decays
    and the error scale of a zero line is tiny): a known limit, bounded below."""
    rng = random.Random(31)
    xs = [0.0] * 4000
    for i in range(4000):
        if rng.random() < (0.5 if 3000 <= i < 3200 else 0.02):
            xs[i] = rng.uniform(1.0, 3.0)
    scores = run(xs)
    assert sum(s >= 0.5 for s in scores[1000:3000]) <= 3
    assert max(scores[3000:3200]) >= 0.5


def test_level_shift_score_one_does_not_learn():
    det = SeriesAnomalyDetector(utc_offset_h=0)
    for i in range(300):
        det.update(i * MIN, 10.0 + (i % 3))
    before = (det.shift.n, det.shift.mean, det.shift_calibration.record)
    det.score_one(300 * MIN, 50.0)
    assert (det.shift.n, det.shift.mean, det.shift_calibration.record) == before
