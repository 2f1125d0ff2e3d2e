"""Enqueues N chains of three no-op tasks, waits for all of them, prints actions per second."""
import sys, time
from celery import chain
from tasks import noop

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
results = []
start = time.perf_counter()
for _ in range(n):
    results.append(chain(noop.s(), noop.s(), noop.s()).apply_async())
for result in results:
    result.get(timeout=600)
elapsed = time.perf_counter() - start
print(f"celery: {n} chains x 3 no-op tasks, 2 worker processes: {elapsed:.2f} s, {3 * n / elapsed:.0f} actions/s")
