import Dispatch
import ForgeKit
import ForgeKitTesting
import Foundation
import Synchronization
import Testing

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(by duration: Duration) { instant.withLock { $0 += duration } }
}

@Suite struct SignInThrottleTests {
    @Test func delaysGrowAfterTheFreeFailuresAndAreCapped() {
        let policy = SignInThrottle.Policy(freeFailuresPerAccount: 3, firstDelay: .seconds(1), longestDelay: .seconds(10))
        #expect((0...3).map { policy.delay(afterFailures: $0, free: 3) } == [.zero, .zero, .zero, .zero])
        #expect((4...8).map { policy.delay(afterFailures: $0, free: 3) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10)])
        #expect(policy.delay(afterFailures: 10_000, free: 3) == .seconds(10), "no overflow however many failures")
    }

    @Test func anAccountWaitsAfterItsFreeFailuresWhateverTheAddress() {
        let clock = ManualClock()
        let throttle = SignInThrottle(policy: .init(freeFailuresPerAccount: 2, freeFailuresPerAddress: 100), now: { clock.now })
        #expect(throttle.recordFailure(account: "alice", address: "192.0.2.1") == .zero)
        #expect(throttle.recordFailure(account: "Alice", address: "192.0.2.2") == .zero)
        #expect(throttle.wait(account: "alice", address: "192.0.2.3") == nil)
        #expect(throttle.recordFailure(account: "ALICE", address: "192.0.2.3") == .seconds(1), "names are counted without case")
        #expect(throttle.wait(account: "alice", address: "198.51.100.9") == .seconds(1), "the account waits, from any address")
        #expect(throttle.wait(account: "bob", address: "192.0.2.3") == nil, "other accounts do not")
        clock.advance(by: .milliseconds(400))
        #expect(throttle.wait(account: "alice", address: nil) == .milliseconds(600))
        clock.advance(by: .milliseconds(600))
        #expect(throttle.wait(account: "alice", address: nil) == nil)
        #expect(throttle.recordFailure(account: "alice", address: nil) == .seconds(2), "each further failure doubles the delay")

        // Success clears the account; an hour without failures forgives it too.
        throttle.recordSuccess(account: "alice")
        #expect(throttle.failures(account: "alice", address: nil).account == 0)
        #expect(throttle.wait(account: "alice", address: nil) == nil)
        for _ in 0..<3 { throttle.recordFailure(account: "carol", address: nil) }
        clock.advance(by: .seconds(3601))
        #expect(throttle.failures(account: "carol", address: nil).account == 0)
        #expect(throttle.recordFailure(account: "carol", address: nil) == .zero)
    }

    @Test func anAddressWaitsAfterItsFreeFailuresWhateverTheAccount() {
        let clock = ManualClock()
        let throttle = SignInThrottle(policy: .init(freeFailuresPerAccount: 100, freeFailuresPerAddress: 3), now: { clock.now })
        for name in ["a", "b", "c"] { #expect(throttle.recordFailure(account: name, address: "203.0.113.5") == .zero) }
        #expect(throttle.recordFailure(account: "d", address: "203.0.113.5") == .seconds(1))
        #expect(throttle.wait(account: "somebody-else", address: "203.0.113.5") == .seconds(1), "guessing across accounts is slowed too")
        #expect(throttle.wait(account: "somebody-else", address: "203.0.113.6") == nil)
        // Signing in to one's own account between guesses does not clear the address.
        throttle.recordSuccess(account: "d")
        #expect(throttle.failures(account: "d", address: "203.0.113.5").address == 4)

        // IPv6 is counted by /64 (one host holds a whole /64); an IPv4-mapped address as IPv4.
        for suffix in ["1", "2", "3", "4"] { throttle.recordFailure(account: "v6-\(suffix)", address: "2001:db8:1:2::\(suffix)") }
        #expect(throttle.wait(account: "x", address: "2001:db8:1:2:ffff::9") != nil)
        #expect(throttle.wait(account: "x", address: "2001:db8:1:3::1") == nil)
        #expect(throttle.wait(account: "x", address: "::ffff:203.0.113.5") != nil)
    }
}

@Suite struct PasswordHashingQueueTests {
    /// A job that blocks until released, so that the queue's state can be looked at in between.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func wait() { semaphore.wait() }
        func open(_ count: Int = 1) { for _ in 0..<count { semaphore.signal() } }
    }

    final class Order: Sendable {
        private let list = Mutex<[String]>([])
        var items: [String] { list.withLock { $0 } }
        func append(_ item: String) { list.withLock { $0.append(item) } }
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<6000 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        #expect(condition())
    }

    @Test func boundedFairAndNeverMoreThanItsConcurrency() async throws {
        let queue = PasswordHashingQueue(options: .init(concurrency: 1, waitingPerClient: 2, waiting: 3))
        let gate = Gate()
        let order = Order()
        func submit(_ client: String, _ label: String) -> Task<Bool, Never> {
            Task { await queue.run(for: client) { gate.wait(); order.append(label) } != nil }
        }
        let first = submit("flood", "flood-1")
        try await waitUntil { queue.statistics.running == 1 }
        let second = submit("flood", "flood-2")
        try await waitUntil { queue.statistics.waiting == 1 }
        let third = submit("flood", "flood-3")
        try await waitUntil { queue.statistics.waiting == 2 }
        // The flooding client's queue is full: refused at once, without waiting for the gate.
        #expect(await queue.run(for: "flood") { "never" } == nil)
        let other = submit("alice", "alice-1")
        try await waitUntil { queue.statistics.waiting == 3 }
        // The whole waiting list is full: refused at once.
        #expect(await queue.run(for: "bob") { "never" } == nil)
        #expect(queue.statistics.refused == 2)

        gate.open(4)
        for task in [first, second, third, other] { #expect(await task.value) }
        // alice waited behind one of the flood's queued jobs, not behind all of them.
        #expect(order.items == ["flood-1", "flood-2", "alice-1", "flood-3"])
        try await waitUntil { queue.statistics.running == 0 }
        let statistics = queue.statistics
        #expect(statistics.completed == 4 && statistics.mostRunning == 1 && statistics.running == 0 && statistics.waiting == 0)
    }

    @Test func requestsWithoutFailuresGoAheadOfSuspectOnes() async throws {
        let queue = PasswordHashingQueue(options: .init(concurrency: 1, waitingPerClient: 4, waiting: 64))
        let gate = Gate()
        let order = Order()
        func submit(_ client: String, _ priority: PasswordHashingQueue.Priority) -> Task<Bool, Never> {
            Task { await queue.run(for: client, priority: priority) { gate.wait(); order.append(client) } != nil }
        }
        var tasks = [submit("running", .suspect)]
        try await waitUntil { queue.statistics.running == 1 }
        for index in 0..<6 {
            tasks.append(submit("flood-\(index)", .suspect))
            try await waitUntil { queue.statistics.waiting == index + 1 }
        }
        tasks.append(submit("alice", .normal))
        try await waitUntil { queue.statistics.waiting == 7 }
        gate.open(8)
        for task in tasks { #expect(await task.value) }
        // alice, with no failures, waited only for the hash already running.
        #expect(order.items == ["running", "alice"] + (0..<6).map { "flood-\($0)" })
    }

    @Test func runsUpToItsConcurrencyAtOnce() async throws {
        let queue = PasswordHashingQueue(options: .init(concurrency: 2, waitingPerClient: 8, waiting: 8))
        let gate = Gate()
        let tasks = (0..<6).map { index in Task { await queue.run(for: "c\(index % 2)") { gate.wait(); return index } } }
        try await waitUntil { queue.statistics.running == 2 && queue.statistics.waiting == 4 }
        gate.open(6)
        var results: [Int] = []
        for task in tasks { results.append(try #require(await task.value)) }
        #expect(results == Array(0..<6))
        try await waitUntil { queue.statistics.running == 0 }
        #expect(queue.statistics.mostRunning == 2 && queue.statistics.completed == 6)
    }
}

@Suite struct SignInTests {
    struct Fixture {
        let folder: String
        let store: SQLiteForgeStore
        let accounts: ForgeAccounts
        let clock = ManualClock()

        init(policy: SignInThrottle.Policy = .init()) throws {
            folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-sign-in")
            store = try SQLiteForgeStore(path: folder + "/forge.sqlite")
            let clock = clock
            accounts = ForgeAccounts(store: store, hasher: PasswordHasher(logRounds: 10),
                                     throttle: SignInThrottle(policy: policy, now: { clock.now }))
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func unknownDisabledAndPasswordlessNamesCostOneHashLikeKnownOnes() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let accounts = fixture.accounts
        _ = try await accounts.createUser(NewUser(name: "alice", password: "alice-password"))
        var disabled = try await accounts.createUser(NewUser(name: "gone", password: "gone-password"))
        disabled.isActive = false
        try await fixture.store.updateUser(disabled)
        _ = try await accounts.createUser(NewUser(name: "tokens-only", password: nil))

        for name in ["alice", "nobody", "gone", "tokens-only", ""] {
            let before = accounts.passwordHashesComputed
            #expect(try await accounts.authenticate(name: name, secret: "guess-guess", address: "192.0.2.1") == .rejected)
            // One hash each (the first unknown name also makes the dummy hash, outside the count).
            #expect(accounts.passwordHashesComputed == before + 1, "\(name.isEmpty ? "an empty name" : name) costs one hash")
        }
        // A disabled user's right password is still refused, after the same one hash.
        let before = accounts.passwordHashesComputed
        #expect(try await accounts.authenticate(name: "gone", secret: "gone-password", address: nil) == .rejected)
        #expect(accounts.passwordHashesComputed == before + 1)
    }

    @Test func aThrottledSignInIsRefusedBeforeAnyHashEvenWithTheRightPassword() async throws {
        let fixture = try Fixture(policy: .init(freeFailuresPerAccount: 2, freeFailuresPerAddress: 50, firstDelay: .seconds(30)))
        defer { fixture.remove() }
        let accounts = fixture.accounts
        let alice = try await accounts.createUser(NewUser(name: "alice", password: "alice-password"))
        for _ in 0..<3 {
            #expect(try await accounts.authenticate(name: "alice", secret: "wrong-password", address: "192.0.2.1") == .rejected)
        }
        let hashes = accounts.passwordHashesComputed
        let throttled = try await accounts.authenticate(name: "alice", secret: "alice-password", address: "198.51.100.2")
        #expect(throttled == .throttled(retryAfter: .seconds(30)))
        #expect(accounts.passwordHashesComputed == hashes, "no hash is computed for a throttled attempt")
        // Unknown names are throttled alike, so a throttled answer does not reveal that a name exists.
        for _ in 0..<3 { _ = try await accounts.authenticate(name: "nobody", secret: "wrong-password", address: "192.0.2.1") }
        guard case .throttled = try await accounts.authenticate(name: "nobody", secret: "x-password", address: nil) else {
            Issue.record("an unknown name is throttled like a known one")
            return
        }
        fixture.clock.advance(by: .seconds(30))
        #expect(try await accounts.authenticate(name: "alice", secret: "alice-password", address: "198.51.100.2").user?.id == alice.id)
        #expect(accounts.throttle.failures(account: "alice", address: nil).account == 0, "success clears the account")
    }

    @Test func aFloodOfWrongPasswordsIsRefusedNotQueuedAndOthersStillSignIn() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-flood")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteForgeStore(path: folder + "/forge.sqlite")
        // Many free failures, so that only the hashing queue stands in the flood's way.
        let accounts = ForgeAccounts(store: store, hasher: PasswordHasher(logRounds: 14),
                                     hashing: PasswordHashingQueue(options: .init(concurrency: 1, waitingPerClient: 2, waiting: 16)),
                                     throttle: SignInThrottle(policy: .init(freeFailuresPerAccount: 10_000, freeFailuresPerAddress: 10_000)))
        let alice = try await accounts.createUser(NewUser(name: "alice", password: "alice-password"))
        let results = try await withThrowingTaskGroup(of: ForgeAccounts.SignIn.self) { group in
            for index in 0..<64 {
                group.addTask { try await accounts.authenticate(name: "alice", secret: "guess-\(index)-x", address: "203.0.113.66") }
            }
            var results: [ForgeAccounts.SignIn] = []
            for try await result in group { results.append(result) }
            return results
        }
        let refused = results.filter { if case .throttled = $0 { true } else { false } }.count
        #expect(refused > 0, "a flood beyond its queue is refused at once")
        #expect(results.count == 64 && !results.contains { $0.user != nil })
        #expect(accounts.hashing.statistics.mostRunning == 1)
        #expect(try await accounts.authenticate(name: "alice", secret: "alice-password", address: "192.0.2.10").user?.id == alice.id)
    }
}
