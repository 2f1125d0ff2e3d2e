public import Logging
public import ServiceLifecycle
import UnixSignals

/// How every example server runs: its HTTP server and background loops in one `ServiceGroup`, shut
/// down gracefully on SIGTERM or SIGINT — running steps and deployments finish, claims are handed
/// back, the HTTP server stops accepting and finishes its requests — and cancelled if that takes
/// longer than `gracePeriod`. Returns (and the process exits 0) once everything stopped.
public func runServices(_ services: [any Service], gracePeriod: Duration = .seconds(30), logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    configuration.maximumGracefulShutdownDuration = gracePeriod
    try await ServiceGroup(configuration: configuration).run()
}
