"""pgqueuer beside PipelineKitPostgres (issue 25): the same no-op work on the same PostgreSQL server.

    pgq_bench.py DSN SHAPE COUNT [WORKERS] [BATCH] [MAX_TASKS]

SHAPE is `single` (COUNT no-op jobs) or `chain` (COUNT chains of three: each job enqueues the next, as a
chain's next step is queued when the step before it ends). Every job is queued first; then WORKERS worker
processes (this script again, `worker`) each run a QueueManager with asyncpg and uvloop until the queue is
drained. The rate is the jobs over the time from the first job's start to the last job's end, as the
workers' clocks (one machine) saw them. Prints one line:

    pgqueuer SHAPE: N jobs, W worker processes (batch_size B, max_concurrent_tasks M): S s, R jobs/s
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid

import asyncpg
import uvloop
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode


def database_dsn(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


async def prepare(dsn: str, shape: str, count: int) -> str:
    """A fresh database with pgqueuer's schema and every job queued; returns its DSN."""
    name = "pgq_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    target = database_dsn(dsn, name)
    connection = await asyncpg.connect(target)
    queries = Queries(AsyncpgDriver(connection))
    await queries.install()
    entrypoint = "one" if shape == "chain" else "job"
    for start in range(0, count, 1000):
        size = min(1000, count - start)
        await queries.enqueue([entrypoint] * size, [None] * size, [0] * size)
    await connection.close()
    return target


async def work(dsn: str, shape: str, batch: int, max_tasks: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    manager = QueueManager(queries)
    first: list[float] = []
    last = [0.0]
    done = [0]

    def started() -> None:
        if not first:
            first.append(time.time())

    def ended() -> None:
        last[0] = time.time()
        done[0] += 1

    if shape == "chain":
        @manager.entrypoint("one")
        async def one(job: Job) -> None:
            started()
            await queries.enqueue("two", None)
            ended()

        @manager.entrypoint("two")
        async def two(job: Job) -> None:
            started()
            await queries.enqueue("three", None)
            ended()

        @manager.entrypoint("three")
        async def three(job: Job) -> None:
            started()
            ended()
    else:
        @manager.entrypoint("job")
        async def job(job: Job) -> None:
            started()
            ended()

    await manager.run(batch_size=batch, max_concurrent_tasks=max_tasks, mode=QueueExecutionMode.drain)
    print(json.dumps({"first": first[0] if first else None, "last": last[0], "done": done[0]}), flush=True)


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "worker":
        _, _, dsn, shape, batch, max_tasks = sys.argv
        uvloop.run(work(dsn, shape, int(batch), int(max_tasks)))
        return
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    dsn, shape, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    max_tasks = int(sys.argv[6]) if len(sys.argv) > 6 else 128
    if shape not in ("single", "chain"):
        sys.exit("SHAPE is single or chain")
    target = uvloop.run(prepare(dsn, shape, count))
    processes = [
        subprocess.Popen([sys.executable, __file__, "worker", target, shape, str(batch), str(max_tasks)], stdout=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    reports = []
    for process in processes:
        output, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"a pgqueuer worker failed ({process.returncode})")
        reports.append(json.loads(output.strip().splitlines()[-1]))
    jobs = count * (3 if shape == "chain" else 1)
    finished = sum(report["done"] for report in reports)
    if finished != jobs:
        sys.exit(f"pgqueuer ran {finished} jobs, not {jobs}")
    seconds = max(report["last"] for report in reports) - min(report["first"] for report in reports if report["first"] is not None)
    print(f"pgqueuer {shape}: {jobs} jobs, {workers} worker processes (batch_size {batch}, max_concurrent_tasks {max_tasks}): "
          f"{seconds:.2f} s, {jobs / seconds:.0f} jobs/s", flush=True)


if __name__ == "__main__":
    main()
