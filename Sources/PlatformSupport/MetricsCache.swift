package import Metrics
import Synchronization

/// swift-metrics handles made once per label set and reused: creating one asks the process's metrics
/// factory (and its lock) each time, too slow for a path that runs thirty thousand times a second.
///
/// A handle binds to the factory bootstrapped when it is first made: bootstrap the metrics system
/// before the first request or step (the examples do so at start).
package final class MetricsCache<Handle: Sendable>: Sendable {
    private let make: @Sendable (_ dimensions: [(String, String)]) -> Handle
    private let handles = Mutex<[[String]: Handle]>([:])

    /// A cache of handles `make` creates.
    package init(_ make: @escaping @Sendable (_ dimensions: [(String, String)]) -> Handle) {
        self.make = make
    }

    /// The handle for these dimensions (label names and values).
    package func callAsFunction(_ dimensions: (String, String)...) -> Handle {
        let key = dimensions.flatMap { [$0.0, $0.1] }
        if let handle = handles.withLock({ $0[key] }) { return handle }
        let made = make(dimensions)
        return handles.withLock { handles in
            if let existing = handles[key] { return existing }
            handles[key] = made
            return made
        }
    }
}

extension MetricsCache where Handle == Counter {
    /// Counters named `label`.
    package convenience init(counter label: String) {
        self.init { Counter(label: label, dimensions: $0) }
    }
}

extension MetricsCache where Handle == Metrics.Timer {
    /// Timers named `label`, shown in seconds.
    package convenience init(timer label: String) {
        self.init { Metrics.Timer(label: label, dimensions: $0, preferredDisplayUnit: .seconds) }
    }
}
