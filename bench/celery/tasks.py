"""Celery peer for bench/pipeline: chains of three no-op tasks, as the pipeline seed ran its actions
(celery.chain), on a Redis broker and result backend."""
from celery import Celery

app = Celery("bench", broker="redis://127.0.0.1:16379/0", backend="redis://127.0.0.1:16379/1")
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=16, result_expires=3600,
                broker_connection_retry_on_startup=True)


@app.task
def noop(parent=None):
    return {"ok": True}
