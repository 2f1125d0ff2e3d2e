public import ForgeKit
import Foundation
public import Logging
import Synchronization
import PlatformSupport
public import ServiceLifecycle

/// A repository a ``RepositoryPoller`` watches.
public struct PolledRepository: Sendable, Hashable {
    /// Where to fetch from: a path, or a `file://`, `http(s)://` or `ssh://` URL. A user and password
    /// in an http(s) URL are used as credentials and kept out of sources and logs.
    public var url: String
    /// The repository's name, the sources' `repo` attribute (`acme/web`).
    public var name: String
    /// The reference namespaces to watch, each `refs/…/` with a trailing slash.
    public var refPrefixes: [String]
    /// How to authenticate to the remote.
    public var credentials: Credentials

    /// Creates a polled repository; by default its branches and tags are watched.
    public init(url: String, name: String, refPrefixes: [String] = ["refs/heads/", "refs/tags/"], credentials: Credentials = .none) {
        self.url = url
        self.name = name
        self.refPrefixes = refPrefixes
        self.credentials = credentials
    }
}

/// Starts runs when references of repositories without webhooks move: every interval it fetches
/// each repository into a bare mirror and dispatches a `poll` source for each reference that was
/// created or moved since the previous poll.
///
/// A source has the attributes `provider` (`poll`), `repo`, `clone_url`, `ref` (the full name),
/// `branch` (for `refs/heads/`), `before` (forty zeros when the reference is new), `after` and
/// `commit` (both the commit the reference leads to, through an annotated tag), and a checkout of
/// that commit. It is dispatched with the delivery id `REPO:REF:AFTER`, so two pollers on one
/// store, or a dispatch repeated after a failure the store had in fact committed, start its runs
/// once. Deleted references start nothing.
///
/// The first poll of each repository after the poller starts only records where the references are;
/// moves made while no poller ran are therefore not reported. A failed fetch (the remote is down,
/// credentials are refused) is logged and tried again at the next interval; so is a failed
/// dispatch, for the references it concerned.
///
/// Mirrors are kept in `directory`, one per repository, and reused by the next poller.
///
/// ```swift
/// let poller = try RepositoryPoller(repositories: [
///     PolledRepository(url: "https://git.example.org/acme/web.git", name: "acme/web"),
/// ], directory: "/var/lib/hamster/mirrors", interval: .seconds(60))
/// try await poller.run(dispatcher: dispatcher)   // until the task is cancelled
/// ```
public final class RepositoryPoller: Sendable {
    /// The repositories, in the order they are polled.
    public let repositories: [PolledRepository]
    /// Where the mirrors are kept.
    public let directory: String
    /// The time from the start of one poll to the start of the next.
    public let interval: Duration
    /// Where repositories may be fetched from.
    public let outbound: OutboundPolicy
    private let clock: any PipelineClock
    private let logger: Logger
    /// Per repository: the references last reported (`nil` until the first poll succeeds).
    private let known: Mutex<[[String: ObjectID]?]>

    /// A poller of `repositories`, keeping mirrors in `directory` (created when needed).
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` for an empty URL or name, a prefix that
    ///   is not `refs/…/`, or a repository listed twice.
    public init(repositories: [PolledRepository], directory: String, interval: Duration = .seconds(60),
                outbound: OutboundPolicy = .standard, clock: any PipelineClock = SystemPipelineClock(),
                logger: Logger = Logger(label: "forgeworks.pipeline.poller")) throws(PipelineError) {
        let operation = "create repository poller"
        var seen: Set<String> = []
        for repository in repositories {
            guard !repository.url.isEmpty, !repository.name.isEmpty else {
                throw PipelineError(.invalidConfiguration, "a polled repository needs a URL and a name", operation: operation)
            }
            guard seen.insert(Self.mirrorName(repository)).inserted else {
                throw PipelineError(.invalidConfiguration, "'\(repository.name)' at \(RemoteLocation(repository.url).display) is listed twice",
                                    operation: operation)
            }
            for prefix in repository.refPrefixes {
                guard prefix.hasPrefix("refs/"), prefix.hasSuffix("/"), prefix.count > 5,
                      !prefix.contains(where: { "*?[\\: ~^".contains($0) || $0.asciiValue.map { $0 < 0x20 } == true }),
                      !prefix.contains("//"), !prefix.contains("..") else {
                    throw PipelineError(.invalidConfiguration, "'\(prefix)' is not a reference prefix such as refs/heads/",
                                        operation: operation)
                }
            }
        }
        guard interval > .zero else {
            throw PipelineError(.invalidConfiguration, "the poll interval must be positive", operation: operation)
        }
        self.repositories = repositories
        self.directory = directory
        self.interval = interval
        self.outbound = outbound
        self.clock = clock
        self.logger = logger
        self.known = Mutex(Array(repeating: nil, count: repositories.count))
    }

    /// The poller as a service dispatching to `dispatcher`: polls every interval until the service
    /// group shuts down gracefully or the task is cancelled.
    public func service(dispatcher: PipelineDispatcher) -> some Service {
        DispatchingService { [self] () async throws(PipelineError) in try await run(dispatcher: dispatcher) }
    }

    /// Polls every interval until the task is cancelled.
    ///
    /// - Throws: ``PipelineError/Code/cancelled`` when the task is cancelled.
    public func run(dispatcher: PipelineDispatcher) async throws(PipelineError) {
        while true {
            let started = clock.now()
            await poll(dispatcher: dispatcher)
            do {
                try await clock.sleep(until: started.addingTimeInterval(interval.inSeconds))
            } catch {
                throw PipelineError(.cancelled, "the poller was cancelled", operation: "run repository poller")
            }
            if Task.isCancelled { throw PipelineError(.cancelled, "the poller was cancelled", operation: "run repository poller") }
        }
    }

    /// Polls each repository once, in order, and returns the sources it dispatched. ``run(dispatcher:)``
    /// calls it every interval; call it yourself for polls on your own timing, but not while another
    /// poll of this poller is under way.
    @discardableResult
    public func poll(dispatcher: PipelineDispatcher) async -> [Source] {
        var sources: [Source] = []
        for index in repositories.indices {
            if Task.isCancelled { break }
            sources += await poll(index, dispatcher: dispatcher)
        }
        return sources
    }

    private func poll(_ index: Int, dispatcher: PipelineDispatcher) async -> [Source] {
        let repository = repositories[index]
        let remote = RemoteLocation(repository.url)
        var logger = self.logger
        logger[metadataKey: "repo"] = "\(repository.name)"
        let current: [String: ObjectID]
        do {
            current = try await fetch(repository, remote: remote, logger: logger)
        } catch {
            if !Task.isCancelled {
                logger.error("cannot poll the repository; trying again at the next interval", metadata: [
                    "url": "\(remote.display)", "error": "\(remote.mask("\(error)"))",
                ])
            }
            return []
        }
        guard let previous = known.withLock({ $0[index] }) else {
            known.withLock { $0[index] = current }
            logger.debug("first poll: references recorded", metadata: ["references": "\(current.count)"])
            return []
        }
        var reported = previous.filter { current[$0.key] != nil }   // deleted references are forgotten
        var sources: [Source] = []
        for (name, after) in current.sorted(by: { $0.key < $1.key }) where previous[name] != after {
            let source = Self.source(repository, remote: remote, reference: name, before: previous[name] ?? .zero, after: after)
            let record = EventRecord(provider: "poll", deliveryID: "\(repository.name):\(name):\(after.hex)", kind: "poll", body: [])
            do {
                _ = try await dispatcher.dispatch(source: source, record: record, trigger: "poll \(repository.name) \(name)")
                reported[name] = after
                sources.append(source)
            } catch {
                logger.error("cannot dispatch a reference update; trying again at the next poll", metadata: [
                    "ref": "\(name)", "error": "\(error)",
                ])
            }
        }
        known.withLock { $0[index] = reported }
        return sources
    }

    /// Brings the repository's mirror up to date and returns its references under the watched
    /// prefixes, each with the commit it leads to.
    private func fetch(_ repository: PolledRepository, remote: RemoteLocation, logger: Logger) async throws -> [String: ObjectID] {
        let path = (directory as NSString).appendingPathComponent(Self.mirrorName(repository))
        let mirror: GitRepository
        do {
            mirror = try await GitRepository.open(at: path, logger: logger)
        } catch let error as ForgeError where error.code == .notFound {
            // The first poll: an empty bare repository, filled by the fetch below (a clone would also
            // make remote-tracking branches the mirror has no use for).
            mirror = try await GitRepository.create(at: path, bare: true, logger: logger)
        }
        let prefixes = repository.refPrefixes
        let proxy = try await outbound.repositoryProxy(for: repository.url, operation: "poll \(repository.name)")
        let options = FetchOptions(credentials: remote.credentials ?? repository.credentials, prune: true, proxy: proxy)
        return try await mirror.withSession { session in
            try session.fetch(from: remote.location, refspecs: prefixes.map { "+\($0)*:\($0)*" }, options: options)
            var references: [String: ObjectID] = [:]
            for prefix in prefixes {
                for reference in try session.references(prefix: prefix) where reference.symbolicTarget == nil {
                    references[reference.name] = reference.peeledTarget ?? reference.target
                }
            }
            return references
        }
    }

    private static func source(_ repository: PolledRepository, remote: RemoteLocation, reference: String,
                               before: ObjectID, after: ObjectID) -> Source {
        var attributes: [String: Value] = [
            "provider": "poll", "repo": .string(repository.name), "clone_url": .string(remote.location),
            "ref": .string(reference), "before": .string(before.hex), "after": .string(after.hex), "commit": .string(after.hex),
        ]
        if reference.hasPrefix("refs/heads/") { attributes["branch"] = .string(String(reference.dropFirst("refs/heads/".count))) }
        return Source(sourceClass: "poll", attributes: attributes,
                      checkout: Source.Checkout(repositoryURL: remote.location, commit: after.hex))
    }

    /// `NAME-HASH.git`: the name made safe for a file name, and a hash of the name and URL that keeps
    /// two repositories of one name apart.
    private static func mirrorName(_ repository: PolledRepository) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a: stable across processes, unlike Hasher
        for byte in (repository.name + "\n" + repository.url).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let safe = String(repository.name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" }.prefix(64))
        return "\(safe)-\(String(hash, radix: 16)).git"
    }
}
