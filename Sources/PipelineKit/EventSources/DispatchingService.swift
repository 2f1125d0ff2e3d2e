import ServiceLifecycle

/// A loop that dispatches sources until it is cancelled (``Scheduler``, ``RepositoryPoller``), as a
/// service: a graceful shutdown cancels it (a tick or poll cut short is done again at the next start;
/// the dispatcher's ids keep it from running twice), and its `cancelled` end is a clean return.
struct DispatchingService: Service {
    let loop: @Sendable () async throws(PipelineError) -> Void

    init(_ loop: @escaping @Sendable () async throws(PipelineError) -> Void) {
        self.loop = loop
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [loop] in try await loop() }
        } catch let error as PipelineError where error.code == .cancelled {
            return
        }
    }
}
