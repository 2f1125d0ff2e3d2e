public import Foundation

/// A package's priority and its parts, as Koschei shows them.
public struct PriorityBreakdown: Sendable, Hashable, Codable {
    public var manual: Double
    public var `static`: Double
    public var coefficient: Double
    /// Σ 256 / distance over the changes since the last build.
    public var dependency: Double
    /// +200 after a newly failed build.
    public var build: Double
    /// From the time since the last build.
    public var time: Double

    /// Creates a breakdown.
    public init(manual: Double, static staticPart: Double, coefficient: Double, dependency: Double, build: Double, time: Double) {
        self.manual = manual
        self.static = staticPart
        self.coefficient = coefficient
        self.dependency = dependency
        self.build = build
        self.time = time
    }

    /// `manual + static + coefficient × (dependency + build + time)`.
    public var total: Double { manual + `static` + coefficient * (dependency + build + time) }
}

/// Koschei's scheduler: which package to submit next, if any.
///
/// Each tick submits at most one build: none while ``maxRunningBuilds`` builds run or while the load
/// check fails; otherwise the tracked, unblocked, resolvable package with no running build and the
/// highest priority, when that priority reaches the policy's threshold.
public struct RebuildScheduler: Sendable {
    /// The priority arithmetic.
    public var policy: PriorityPolicy
    /// At most this many builds run at once.
    public var maxRunningBuilds: Int
    /// Nothing is submitted while the load (from ``load``) is above this; nil turns the check off.
    public var loadThreshold: Double?
    /// The current load of the build system, 0 (idle) to 1 (full) and above.
    public var load: @Sendable () -> Double?
    /// Multiplies the dependency, build and time parts (Koschei's per-collection priority coefficient).
    public var coefficient: Double

    /// The system's 1-minute load average divided by its processor count.
    public static let systemLoad: @Sendable () -> Double? = {
        var averages = [Double](repeating: 0, count: 3)
        guard getloadavg(&averages, 3) > 0 else { return nil }
        return averages[0] / Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Creates a scheduler with Koschei's defaults for the policy.
    public init(policy: PriorityPolicy = PriorityPolicy(), maxRunningBuilds: Int = 4, loadThreshold: Double? = nil,
                coefficient: Double = 1, load: @escaping @Sendable () -> Double? = RebuildScheduler.systemLoad) {
        self.policy = policy
        self.maxRunningBuilds = maxRunningBuilds
        self.loadThreshold = loadThreshold
        self.coefficient = coefficient
        self.load = load
    }

    /// The priority of `package` given its builds (newest first) and the changes since the last one.
    public func priority(of package: PackageRecord, builds: [BuildRecord], changes: [DependencyChange], now: Date) -> PriorityBreakdown {
        let finished = builds.filter { $0.state == .succeeded || $0.state == .failed }
        var build = 0.0
        if let last = finished.first, last.state == .failed, finished.count < 2 || finished[1].state != .failed {
            build = policy.failedBuildPriority
        }
        var time = 0.0
        if let last = builds.first {
            time = policy.timePriority(hoursSinceLastBuild: now.timeIntervalSince(last.started) / 3600)
        }
        return PriorityBreakdown(manual: package.manualPriority, static: package.staticPriority, coefficient: coefficient,
                                 dependency: policy.dependencyPriority(distances: changes.map(\.distance)), build: build, time: time)
    }

    /// What a tick decided.
    public enum Decision: Sendable, Hashable {
        /// Submit this package.
        case submit(String, PriorityBreakdown)
        /// Nothing now, and why.
        case wait(String)
    }

    /// One candidate: a package with its priority and whether a build of it runs.
    public struct Candidate: Sendable {
        public var package: PackageRecord
        public var priority: PriorityBreakdown
        public var building: Bool

        public init(package: PackageRecord, priority: PriorityBreakdown, building: Bool) {
            self.package = package
            self.priority = priority
            self.building = building
        }
    }

    /// Decides a tick.
    public func decide(candidates: [Candidate], runningBuilds: Int) -> Decision {
        guard runningBuilds < maxRunningBuilds else {
            return .wait("\(runningBuilds) builds running, the limit is \(maxRunningBuilds)")
        }
        if let loadThreshold, let current = load(), current > loadThreshold {
            return .wait("load \((current * 100).rounded() / 100) is above \(loadThreshold)")
        }
        let eligible = candidates.filter {
            $0.package.tracked && !$0.package.blocked && $0.package.resolved == true && !$0.building
        }
        guard let best = eligible.max(by: { ($0.priority.total, $1.package.name) < ($1.priority.total, $0.package.name) }) else {
            return .wait("no package can be scheduled")
        }
        guard best.priority.total >= policy.threshold else {
            return .wait("the highest priority, \(Int(best.priority.total)) (\(best.package.name)), is below \(Int(policy.threshold))")
        }
        return .submit(best.package.name, best.priority)
    }

    /// A package's state for the status page.
    public static func state(of package: PackageRecord, lastBuild: BuildRecord?) -> PackageState {
        if !package.tracked { return .untracked }
        if package.blocked { return .blocked }
        if package.resolved == false { return .unresolved }
        if lastBuild?.state == .failed { return .failing }
        return .ok
    }
}
