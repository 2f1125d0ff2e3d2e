import Metrics
import PlatformSupport

/// PipelineKit's metrics, through swift-metrics (whatever backend the process bootstrapped; the
/// examples export Prometheus text at `/metrics`):
///
/// | name | kind | labels |
/// |---|---|---|
/// | `forgeworks_pipeline_runs_queued_total` | counter | |
/// | `forgeworks_pipeline_runs_started_total` | counter | |
/// | `forgeworks_pipeline_runs_finished_total` | counter | `status` |
/// | `forgeworks_pipeline_step_duration_seconds` | timer | `task`, `outcome` |
/// | `forgeworks_pipeline_steps_running` | gauge | `worker` |
/// | `forgeworks_pipeline_queue_depth` | gauge | (runs queued, counted up to 1,000 every 15 s by each executor, when a metrics backend is bootstrapped) |
enum PipelineMetrics {
    static let runsQueued = MetricsCache(counter: "forgeworks_pipeline_runs_queued_total")
    static let runsStarted = MetricsCache(counter: "forgeworks_pipeline_runs_started_total")
    static let runsFinished = MetricsCache(counter: "forgeworks_pipeline_runs_finished_total")
    static let stepDuration = MetricsCache(timer: "forgeworks_pipeline_step_duration_seconds")
    static let stepsRunning = MetricsCache { Gauge(label: "forgeworks_pipeline_steps_running", dimensions: $0) }
    static let queueDepth = MetricsCache { Gauge(label: "forgeworks_pipeline_queue_depth", dimensions: $0) }
}
