"""bench_live's e2e observer against a real Redis: per partition, the orders visible up to the first that is not."""
from __future__ import annotations

from bench.bench_live import _SEEN_FROM


def test_each_partitions_orders_count_up_to_its_first_missing_one(redis_client):
    seen_from = redis_client.register_script(_SEEN_FROM)
    key = "obs:risk:latest"
    redis_client.delete(key)
    redis_client.hset(key, mapping={f"E2E-t-{i}": b"{}" for i in (0, 3, 6, 1, 9, 12)})
    # partition A sent 0, 3, 6, 9 (all four visible); B sent 1, 4, 7 (only 1 so far);
    # C sent 2, 5 (none); D sent 12, 15, 18 (12 only): a later visible one after a miss does not count
    args = ["E2E-t-", 4, 0, 3, 6, 9, 3, 1, 4, 7, 2, 2, 5, 3, 12, 15, 18]
    assert seen_from(keys=[key], args=args) == [4, 1, 0, 1]
    redis_client.hset(key, mapping={"E2E-t-4": b"{}", "E2E-t-18": b"{}"})
    assert seen_from(keys=[key], args=["E2E-t-", 2, 4, 7, 2, 15, 18]) == [1, 0]   # 18 waits behind 15
