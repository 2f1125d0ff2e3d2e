import ForgeKit
import Foundation
public import Hummingbird
public import HummingbirdCore
public import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization
import PlatformSupport

/// Keeps a Hummingbird server answering while hostile clients hold connections open: a time limit to
/// receive a request's head, an idle timeout, and a cap on open connections that closes idle ones
/// first.
///
/// - **Head timeout.** A connection must deliver a complete request head within
///   ``Limits/headTimeout`` of opening, and a keep-alive connection within ``Limits/headTimeout`` of
///   the first byte of its next request; a client that trickles its head a byte at a time (slowloris)
///   is closed then, however steadily it sends.
/// - **Idle timeout.** A connection with no request in progress, or whose request body stops
///   arriving, is closed after ``Limits/idleTimeout`` without a byte (Hummingbird's idle handler).
///   A response being computed or written is never timed out.
/// - **Connection cap.** At ``Limits/maximumConnections`` open connections the server stops
///   accepting and closes the connection that has been idle the longest (no request in progress); a
///   connection that becomes idle while others wait to be accepted is closed at once. Connections
///   in the middle of a request are never closed to make room: new ones wait in the listen backlog.
///
/// ```swift
/// let connections = ConnectionGuard(ConnectionGuard.Limits(), logger: logger)
/// let application = Application(router: router, server: connections.server,
///                               configuration: connections.configure(.init(address: .hostname("0.0.0.0", port: 8080))))
/// ```
public final class ConnectionGuard: Sendable {
    /// The limits.
    public struct Limits: Sendable, Equatable {
        /// The longest a client may take to send a request's head (from connecting, or from the
        /// first byte of a later request on the same connection).
        public var headTimeout: Duration
        /// How long a connection may stay without a byte while no response is being produced.
        public var idleTimeout: Duration
        /// The most connections open at once.
        public var maximumConnections: Int

        /// Creates limits: by default 20 seconds for a head, 60 seconds idle, and half the process's
        /// file-descriptor limit in connections (at most 4,096).
        public init(headTimeout: Duration = .seconds(20), idleTimeout: Duration = .seconds(60),
                    maximumConnections: Int = Limits.defaultMaximumConnections) {
            self.headTimeout = headTimeout
            self.idleTimeout = idleTimeout
            self.maximumConnections = max(1, maximumConnections)
        }

        /// Half of `RLIMIT_NOFILE` (the other half is for files, pipes and child processes), between 16 and 4,096.
        public static var defaultMaximumConnections: Int {
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 512 }
            let half = Int(clamping: limit.rlim_cur / 2)
            return min(4096, max(16, half))
        }
    }

    /// What the guard has done so far.
    public struct Statistics: Sendable, Equatable {
        /// Connections open now.
        public var open = 0
        /// Of those, idle now (no request in progress).
        public var idle = 0
        /// Connections closed for taking too long over a request's head.
        public var headTimeouts = 0
        /// Idle connections closed to make room for new ones.
        public var evicted = 0
    }

    /// The limits in force.
    public let limits: Limits
    let logger: Logger
    private let state = Mutex(State())
    /// Whether the acceptor is holding back new connections for want of room (read without the lock).
    private let full = Atomic<Bool>(false)
    private let evictions = Atomic<Int>(0)
    private let headTimeouts = Atomic<Int>(0)
    private let epoch = ContinuousClock.now

    private struct State {
        /// Connections open now (counted by the acceptor).
        var open = 0
        /// The connections' trackers, registered when their pipelines are set up.
        var connections: [ObjectIdentifier: Tracked] = [:]
    }

    /// One connection as the guard sees it: whether, and since when, it is idle. Its request handler
    /// updates it on every request without taking the guard's lock; the lock is taken only when the
    /// connection opens or closes, and when the acceptor looks for one to close.
    final class Tracked: Sendable {
        let channel: any Channel
        /// Nanoseconds after the guard's start at which it became idle; -1 while busy.
        let idleSince = Atomic<Int64>(-1)
        init(channel: any Channel) { self.channel = channel }
    }

    /// Creates a guard with `limits`.
    public init(_ limits: Limits = Limits(), logger: Logger = Logger(label: "forgeworks.connections")) {
        self.limits = limits
        self.logger = logger
    }

    /// What the guard has done so far.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(open: state.open, idle: state.connections.values.filter { $0.idleSince.load(ordering: .relaxed) >= 0 }.count,
                       headTimeouts: headTimeouts.load(ordering: .relaxed), evicted: evictions.load(ordering: .relaxed))
        }
    }

    /// The HTTP/1.1 server to give `Application(router:server:…)`.
    public var server: HTTPServerBuilder {
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestWatch(guard: self)],
                                              idleTimeout: TimeAmount.nanoseconds(limits.idleTimeout.inNanoseconds))
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http: HTTP1Channel(responder: responder, configuration: http))
        }
    }

    /// `configuration` with the connection cap: the acceptor asks the guard before accepting, and
    /// the listen backlog is at least 1,024 so that connections can wait for room.
    public func configure(_ configuration: ApplicationConfiguration) -> ApplicationConfiguration {
        var configuration = configuration
        configuration.availableConnectionsDelegate = Acceptance(guard: self)
        configuration.backlog = max(configuration.backlog, 1024)
        return configuration
    }

    // MARK: - Bookkeeping

    func opened() {
        state.withLock { $0.open += 1 }
    }

    func closed() {
        state.withLock { $0.open -= 1 }
    }

    private var now: Int64 { (ContinuousClock.now - epoch).inNanoseconds }

    /// Whether a new connection may be accepted; when not, the longest-idle connection is closed to
    /// make room (its closing lets the acceptor go on).
    func accepting() -> Bool {
        let maximum = limits.maximumConnections
        let (accept, victim) = state.withLock { state -> (Bool, (any Channel)?) in
            guard state.open >= maximum else {
                full.store(false, ordering: .relaxed)
                return (true, nil)
            }
            full.store(true, ordering: .relaxed)
            // The connection idle the longest, claimed (marked busy) so that it is closed once.
            while let oldest = state.connections.values
                .map({ ($0, $0.idleSince.load(ordering: .relaxed)) }).filter({ $0.1 >= 0 }).min(by: { $0.1 < $1.1 }) {
                if oldest.0.idleSince.compareExchange(expected: oldest.1, desired: -1, ordering: .relaxed).exchanged {
                    return (false, oldest.0.channel)
                }
            }
            return (false, nil)
        }
        if let victim {
            evictions.add(1, ordering: .relaxed)
            victim.close(promise: nil)
        }
        return accept
    }

    /// Starts tracking a new connection, idle until its first request begins.
    func register(_ channel: any Channel) -> Tracked {
        let tracked = Tracked(channel: channel)
        tracked.idleSince.store(now, ordering: .relaxed)
        state.withLock { _ = $0.connections[ObjectIdentifier(channel)] = tracked }
        return tracked
    }

    /// Stops tracking a closed connection.
    func unregister(_ tracked: Tracked) {
        tracked.idleSince.store(-1, ordering: .relaxed)
        state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(tracked.channel)) }
    }

    /// The connection has answered its requests: idle from now, or closed at once when new
    /// connections wait for room.
    func becameIdle(_ tracked: Tracked) {
        if full.load(ordering: .relaxed) {
            evictions.add(1, ordering: .relaxed)
            tracked.channel.close(promise: nil)
        } else {
            tracked.idleSince.store(now, ordering: .relaxed)
        }
    }

    /// The connection is receiving or answering a request.
    func becameBusy(_ tracked: Tracked) {
        tracked.idleSince.store(-1, ordering: .relaxed)
    }

    func headTimedOut() {
        headTimeouts.add(1, ordering: .relaxed)
    }
}

/// Counts connections for the acceptor and tells it when to hold back.
private struct Acceptance: AvailableConnectionsDelegate {
    let `guard`: ConnectionGuard
    mutating func connectionOpened() { self.guard.opened() }
    mutating func connectionClosed() { self.guard.closed() }
    func isAcceptingNewConnections() -> Bool { self.guard.accepting() }
}

/// Hummingbird's HTTP/1 channel with a handler in front of the decoder that sees the first raw byte
/// of each request.
private struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let watch = try channel.pipeline.syncOperations.handler(type: RequestWatch.self)
            try channel.pipeline.syncOperations.addHandler(ByteWatch(watch: watch), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

/// Tells the ``RequestWatch`` when bytes arrive, before they are decoded.
private final class ByteWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let watch: RequestWatch

    init(watch: RequestWatch) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        watch.bytesArrived(context: context)
        context.fireChannelRead(data)
    }
}

/// Follows one connection's requests: waiting (idle), receiving a head (under the head timeout), or
/// busy with a request, and reports idleness to the ``ConnectionGuard``.
private final class RequestWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase { case waiting, head, busy }

    let `guard`: ConnectionGuard
    var phase = Phase.waiting
    var inFlight = 0
    /// Requests received on this connection so far.
    var requests = 0
    /// The head clock's one pending check. It is not cancelled when a head completes (scheduling and
    /// cancelling a timer for every request costs 7% of a keep-alive server's throughput): it fires at
    /// most once a head timeout, and looks again at the head then in progress, if any.
    var deadline: Scheduled<Void>?
    /// When the current request's head (or, before the first, the connection) began.
    var headStarted = NIODeadline.now()
    var tracked: ConnectionGuard.Tracked?

    init(guard: ConnectionGuard) { self.guard = `guard` }

    func handlerAdded(context: ChannelHandlerContext) {
        // A new connection has the head timeout to send its first request whole.
        tracked = self.guard.register(context.channel)
        headStarted = .now()
        startHeadClock(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    private func stop() {
        deadline?.cancel()
        deadline = nil
        if let tracked { self.guard.unregister(tracked) }
        tracked = nil
    }

    /// The first bytes of a request: the head clock starts (if it is not already running).
    func bytesArrived(context: ChannelHandlerContext) {
        guard phase == .waiting else { return }
        phase = .head
        headStarted = .now()
        if let tracked { self.guard.becameBusy(tracked) }
        startHeadClock(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inFlight += 1
            requests += 1
            phase = .busy
            if let tracked { self.guard.becameBusy(tracked) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            if inFlight == 0, phase == .busy {
                phase = .waiting
                // Idle once the response has gone out.
                let written = promise ?? context.eventLoop.makePromise(of: Void.self)
                written.futureResult.assumeIsolated().whenSuccess { [weak self] in
                    guard let self, self.phase == .waiting, let tracked = self.tracked else { return }
                    self.guard.becameIdle(tracked)
                }
                context.write(data, promise: written)
                return
            }
        }
        context.write(data, promise: promise)
    }

    private func startHeadClock(context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let due = headStarted + .nanoseconds(self.guard.limits.headTimeout.inNanoseconds)
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: due) { [weak self] in
            guard let self else { return }
            self.deadline = nil
            // Busy, or idle between requests (the idle timeout's business): nothing to do.
            guard self.phase == .head || (self.phase == .waiting && self.requests == 0) else { return }
            // A head begun after this check was scheduled has the rest of its own time.
            if NIODeadline.now() < self.headStarted + .nanoseconds(self.guard.limits.headTimeout.inNanoseconds) {
                self.startHeadClock(context: context)
                return
            }
            self.guard.headTimedOut()
            self.guard.logger.debug("closing a connection that sent no complete request head in time",
                                    metadata: ["peer": "\(context.channel.remoteAddress?.description ?? "-")"])
            context.close(promise: nil)
        }
    }
}
