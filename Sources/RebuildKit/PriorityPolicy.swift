#if canImport(Glibc)
import Glibc
#endif

/// Koschei's priority model: when a package is worth rebuilding.
///
/// `priority = manual + static + coefficient × (dependency + build + time)`, where the dependency part
/// sums `256 / distance` over the package's dependency changes (an unknown distance counts as 8), the
/// build part adds 200 after a newly failed build, and the time part is 0 six hours after the last
/// build, rising logarithmically to 256 at one week. A package is scheduled once its priority reaches
/// ``threshold``. Every number is Koschei's default and can be changed.
public struct PriorityPolicy: Sendable, Hashable {
    /// What one dependency change at distance 1 is worth; divided by the distance.
    public var dependencyWeight: Double = 256
    /// The distance assumed when it is unknown.
    public var unknownDistance: Int = 8
    /// Added after a build that failed when the one before it did not.
    public var failedBuildPriority: Double = 200
    /// Hours after the last build at which the time part is 0.
    public var timeZeroHours: Double = 6
    /// Hours after the last build at which the time part reaches ``threshold``.
    public var timeThresholdHours: Double = 7 * 24
    /// The lowest the time part goes, for builds more recent than ``timeZeroHours``.
    public var timePriorityFloor: Double = -30
    /// The priority at which a package is scheduled.
    public var threshold: Double = 256

    /// Koschei's defaults.
    public init() {}

    /// The dependency part for changes at the given distances (`nil` for unknown).
    public func dependencyPriority(distances: [Int?]) -> Double {
        distances.reduce(0) { sum, distance in
            let d = max(1, distance ?? unknownDistance)
            return sum + dependencyWeight / Double(d)
        }
    }

    /// The time part, `hours` after the last build started.
    public func timePriority(hoursSinceLastBuild hours: Double) -> Double {
        let a = threshold / (log10(timeThresholdHours) - log10(timeZeroHours))
        let b = -a * log10(timeZeroHours)
        return max(a * log10(max(hours, 0.000001)) + b, timePriorityFloor)
    }

    /// The whole priority.
    public func priority(manual: Double = 0, static staticPriority: Double = 0, coefficient: Double = 1,
                         dependencyDistances: [Int?], lastBuildNewlyFailed: Bool, hoursSinceLastBuild: Double) -> Double {
        let build = lastBuildNewlyFailed ? failedBuildPriority : 0
        return manual + staticPriority
            + coefficient * (dependencyPriority(distances: dependencyDistances) + build + timePriority(hoursSinceLastBuild: hoursSinceLastBuild))
    }
}
