extension Duration {
    /// The duration in seconds, as the `Date` arithmetic of stores and clocks wants it.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
