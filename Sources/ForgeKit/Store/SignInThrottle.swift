import Synchronization

/// Slows down password guessing: failed sign-ins are counted per account and per client address,
/// and once either has used its free failures, each further failure makes that account (or address)
/// wait before its next attempt — one second, then two, four, … up to ``Policy/longestDelay``.
/// Failures are forgotten after ``Policy/forgetAfter`` without one; a successful sign-in clears its
/// account's count (not its address's, so that signing in to one's own account between guesses
/// does not help).
///
/// An attempt made while its account or address must still wait is refused without checking the
/// password — even a right one — and told how long to wait (`Retry-After`).
///
/// IPv6 addresses are counted by their /64 network, since one host commonly holds a whole /64.
/// Behind a reverse proxy every client has the proxy's address; raise
/// ``Policy/freeFailuresPerAddress`` accordingly.
public final class SignInThrottle: Sendable {
    /// How failures turn into delays.
    public struct Policy: Sendable, Equatable {
        /// Failures an account may have before delays start.
        public var freeFailuresPerAccount: Int
        /// Failures an address may have before delays start.
        public var freeFailuresPerAddress: Int
        /// The delay after the first failure beyond the free ones; each further one doubles it.
        public var firstDelay: Duration
        /// The longest delay.
        public var longestDelay: Duration
        /// How long after its last failure an account or address is forgiven.
        public var forgetAfter: Duration

        /// Creates a policy: by default 5 free failures per account and 20 per address, then delays
        /// from 1 second doubling up to 15 minutes, forgotten after an hour without a failure.
        public init(freeFailuresPerAccount: Int = 5, freeFailuresPerAddress: Int = 20, firstDelay: Duration = .seconds(1),
                    longestDelay: Duration = .seconds(900), forgetAfter: Duration = .seconds(3600)) {
            self.freeFailuresPerAccount = max(0, freeFailuresPerAccount)
            self.freeFailuresPerAddress = max(0, freeFailuresPerAddress)
            self.firstDelay = firstDelay
            self.longestDelay = max(firstDelay, longestDelay)
            self.forgetAfter = forgetAfter
        }

        /// The delay imposed after the `failures`-th failure when `free` failures are free: none up to
        /// `free`, then ``firstDelay`` doubling each time, at most ``longestDelay``.
        public func delay(afterFailures failures: Int, free: Int) -> Duration {
            guard failures > free else { return .zero }
            var delay = firstDelay
            for _ in 0..<min(failures - free - 1, 40) {
                delay *= 2
                if delay >= longestDelay { return longestDelay }
            }
            return min(delay, longestDelay)
        }
    }

    private struct Entry {
        var failures: Int
        var lastFailure: ContinuousClock.Instant
        var waitUntil: ContinuousClock.Instant
    }

    private struct State {
        var accounts: [String: Entry] = [:]
        var addresses: [String: Entry] = [:]
    }

    /// The policy in force.
    public let policy: Policy
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())
    /// The most accounts or addresses remembered; beyond it the forgiven ones are dropped, then the
    /// least recently failed.
    private let capacity: Int

    /// Creates a throttle. `now` is the clock (tests pass their own).
    public init(policy: Policy = Policy(), capacity: Int = 100_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.policy = policy
        self.capacity = max(16, capacity)
        self.now = now
    }

    /// How long an attempt on `account` from `address` must still wait, or nil when it may go ahead.
    public func wait(account: String, address: String?) -> Duration? {
        let now = now()
        let keys = Self.keys(account: account, address: address)
        let until = state.withLock { state -> ContinuousClock.Instant? in
            let times = [state.accounts[keys.account], keys.address.flatMap { state.addresses[$0] }].compactMap { entry in
                entry.flatMap { $0.waitUntil > now ? $0.waitUntil : nil }
            }
            return times.max()
        }
        return until.map { $0 - now }
    }

    /// Counts a failed attempt on `account` from `address`, and returns the delay it imposes (zero
    /// while failures are free).
    @discardableResult
    public func recordFailure(account: String, address: String?) -> Duration {
        let now = now()
        let keys = Self.keys(account: account, address: address)
        let policy = policy, capacity = capacity
        return state.withLock { state in
            func fail(_ table: inout [String: Entry], _ key: String, free: Int) -> Duration {
                var entry = table[key].flatMap { now - $0.lastFailure < policy.forgetAfter ? $0 : nil }
                    ?? Entry(failures: 0, lastFailure: now, waitUntil: now)
                entry.failures += 1
                entry.lastFailure = now
                let delay = policy.delay(afterFailures: entry.failures, free: free)
                entry.waitUntil = max(entry.waitUntil, now + delay)
                if table[key] == nil, table.count >= capacity { Self.prune(&table, now: now, policy: policy, capacity: capacity) }
                table[key] = entry
                return delay
            }
            var delay = fail(&state.accounts, keys.account, free: policy.freeFailuresPerAccount)
            if let address = keys.address { delay = max(delay, fail(&state.addresses, address, free: policy.freeFailuresPerAddress)) }
            return delay
        }
    }

    /// Clears the failures of `account` after a successful sign-in.
    public func recordSuccess(account: String) {
        let key = Self.keys(account: account, address: nil).account
        _ = state.withLock { $0.accounts.removeValue(forKey: key) }
    }

    /// The failures counted now against `account` and `address` (forgiven ones count as none).
    public func failures(account: String, address: String?) -> (account: Int, address: Int) {
        let now = now()
        let keys = Self.keys(account: account, address: address)
        let forget = policy.forgetAfter
        return state.withLock { state in
            func count(_ entry: Entry?) -> Int { entry.map { now - $0.lastFailure < forget ? $0.failures : 0 } ?? 0 }
            return (count(state.accounts[keys.account]), count(keys.address.flatMap { state.addresses[$0] }))
        }
    }

    /// The keys an account and an address are counted under: the name in lower case (names are
    /// compared without case), and the address itself, or its /64 network for IPv6.
    static func keys(account: String, address: String?) -> (account: String, address: String?) {
        guard let address else { return (account.lowercased(), nil) }
        guard let parsed = IPAddress(address) else { return (account.lowercased(), address) }
        if parsed.isIPv4 { return (account.lowercased(), parsed.description) }
        let bytes = parsed.bytes
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return (account.lowercased(), bytes[12...].map(String.init).joined(separator: "."))
        }
        let network = bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":")
        return (account.lowercased(), "v6:\(network)/64")
    }

    private static func prune(_ table: inout [String: Entry], now: ContinuousClock.Instant, policy: Policy, capacity: Int) {
        table = table.filter { now - $0.value.lastFailure < policy.forgetAfter }
        guard table.count >= capacity / 2 else { return }
        // Still nearly full: keep the half that failed most recently.
        let keep = table.sorted { $0.value.lastFailure > $1.value.lastFailure }.prefix(capacity / 2)
        table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
