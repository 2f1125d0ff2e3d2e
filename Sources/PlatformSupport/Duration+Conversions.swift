extension Duration {
    /// The duration in seconds, fractions kept: what `Date` arithmetic, leases and SQL timestamps take.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds, saturating at `Int64.max` (and `Int64.min`): what NIO's
    /// `TimeAmount` and `NIODeadline` take, so a half-second timeout stays half a second.
    package var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowAgain ? (seconds < 0 ? .min : .max) : total
    }
}
