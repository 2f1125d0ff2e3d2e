import Foundation
public import Logging
import Synchronization
import Metrics
import PlatformSupport

/// Configurations indexed for matching: by source type, then by the exact repository a
/// configuration names (its `repo` criterion), so that a source is tested only against the
/// configurations that could match it, however many there are.
public struct ConfigurationIndex: Sendable {
    private struct Bucket: Sendable {
        var byRepository: [String: [PipelineConfiguration]] = [:]
        var general: [PipelineConfiguration] = []
    }

    private var buckets: [String: Bucket] = [:]
    /// Every configuration, in the order given.
    public private(set) var configurations: [PipelineConfiguration] = []

    /// Indexes `configurations`.
    public init(_ configurations: [PipelineConfiguration] = []) {
        for configuration in configurations { add(configuration) }
    }

    /// Adds a configuration.
    public mutating func add(_ configuration: PipelineConfiguration) {
        configurations.append(configuration)
        var bucket = buckets[configuration.sourceClass] ?? Bucket()
        if case .exact(let repository)? = configuration.criteria["repo"]?.pattern {
            bucket.byRepository[repository, default: []].append(configuration)
        } else {
            bucket.general.append(configuration)
        }
        buckets[configuration.sourceClass] = bucket
    }

    /// The configuration named `name`.
    public func configuration(named name: String) -> PipelineConfiguration? {
        configurations.first { $0.name == name }
    }

    /// The configurations whose source type and criteria all match `source`, in the order given.
    public func matching(_ source: Source) -> [PipelineConfiguration] {
        guard let bucket = buckets[source.sourceClass] else { return [] }
        var candidates = bucket.general
        if let repository = source.attributes["repo"]?.text, let named = bucket.byRepository[repository] {
            candidates += named
        }
        return candidates.filter { $0.matches(source) }
    }
}

/// Turns sources into stored runs: matches a source against the configurations (and, optionally,
/// the `.pipeline.yml` of the pushed commit) and enqueues one run per match, together with the
/// event, in one transaction — so that an event is durable before anyone acknowledges it.
public final class PipelineDispatcher: Sendable {
    /// What one dispatch did.
    public struct Dispatch: Sendable, Hashable {
        /// What the store did (runs started, runs superseded, duplicate delivery).
        public var enqueued: EnqueueResult
        /// The names of the configurations that matched.
        public var matched: [String]
    }

    /// The store runs go to.
    public let store: any RunStore
    /// Where configurations edited at run time are kept, if anywhere.
    public let configurationStore: (any ConfigurationStore)?
    private let index: Mutex<ConfigurationIndex>
    private let base: Mutex<[PipelineConfiguration]>
    private let repositoryConfigurations: RepositoryConfigurationReader?
    private let clock: any PipelineClock
    private let logger: Logger

    /// A dispatcher over `configurations`; with `repositoryConfigurations`, a pushed commit's own
    /// `.pipeline.yml` adds configurations for that event.
    ///
    /// With a `configurationStore`, call ``reloadStoredConfigurations()`` once to add the stored
    /// configurations to `configurations` (the ones from files).
    public init(store: any RunStore, configurations: ConfigurationIndex, configurationStore: (any ConfigurationStore)? = nil,
                repositoryConfigurations: RepositoryConfigurationReader? = nil,
                clock: any PipelineClock = SystemPipelineClock(), logger: Logger = Logger(label: "forgeworks.pipeline.dispatcher")) {
        self.store = store
        self.configurationStore = configurationStore
        self.index = Mutex(configurations)
        self.base = Mutex(configurations.configurations)
        self.repositoryConfigurations = repositoryConfigurations
        self.clock = clock
        self.logger = logger
    }

    /// The configurations in use.
    public var configurations: ConfigurationIndex { index.withLock { $0 } }

    /// Replaces the configurations from files (a reload); stored ones are kept. Runs already stored
    /// keep the copy they started with.
    public func replaceConfigurations(_ configurations: ConfigurationIndex) async throws(PipelineError) {
        base.withLock { $0 = configurations.configurations }
        try await reloadStoredConfigurations()
    }

    /// Re-reads the stored configurations and indexes them with the ones from files.
    public func reloadStoredConfigurations() async throws(PipelineError) {
        let stored = try await configurationStore?.storedConfigurations() ?? []
        let files = base.withLock { $0 }
        let names = Set(files.map(\.name))
        var merged = ConfigurationIndex(files)
        for configuration in stored where !names.contains(configuration.name) { merged.add(configuration) }
        index.withLock { $0 = merged }
    }

    /// Stores `configuration` (adding or replacing one of the same name) and starts using it. A name
    /// taken by a configuration from a file cannot be stored.
    public func saveConfiguration(_ configuration: PipelineConfiguration) async throws(PipelineError) {
        guard let configurationStore else {
            throw PipelineError(.store, "no configuration store is set up", operation: "save configuration")
        }
        guard !base.withLock({ $0.contains { $0.name == configuration.name } }) else {
            throw PipelineError(.duplicate, "'\(configuration.name)' is defined in a configuration file", operation: "save configuration")
        }
        try await configurationStore.saveConfiguration(configuration, now: clock.now())
        try await reloadStoredConfigurations()
    }

    /// Removes the stored configuration named `name`; `false` when none is stored under it.
    public func deleteConfiguration(named name: String) async throws(PipelineError) -> Bool {
        guard let configurationStore else {
            throw PipelineError(.store, "no configuration store is set up", operation: "delete configuration")
        }
        let deleted = try await configurationStore.deleteConfiguration(named: name)
        try await reloadStoredConfigurations()
        return deleted
    }

    /// Matches `source` and stores `record` (when given) with one run per matching configuration,
    /// each in `scope` (``NewRun/scope``: a forge passes the repository, so that its runs are
    /// numbered per repository). An event nobody listens to is still stored (when `record` is given)
    /// and logged. The pipeline file is read from `configurationCheckout`, when given, instead of the
    /// source's own checkout: a pull request from a fork runs its base branch's pipelines, which the
    /// fork's author cannot change.
    public func dispatch(source: Source, event: Value = .null, record: EventRecord? = nil,
                         trigger: String, scope: String? = nil, configurationCheckout: Source.Checkout? = nil) async throws(PipelineError) -> Dispatch {
        var matched = index.withLock { $0.matching(source) }
        if let repositoryConfigurations {
            do {
                let own = try await repositoryConfigurations.configurations(at: configurationCheckout ?? source.checkout)
                matched += own.filter { $0.matches(source) }
            } catch {
                logger.warning("cannot read the commit's pipeline file", metadata: ["error": "\(error)", "trigger": "\(trigger)"])
            }
        }
        let runs = matched.map { NewRun(configuration: $0, source: source, event: event, trigger: trigger, scope: scope) }
        let enqueued = try await store.enqueue(event: record, runs: runs, now: clock.now())
        if !enqueued.duplicate, !enqueued.runs.isEmpty { PipelineMetrics.runsQueued().increment(by: enqueued.runs.count) }
        if enqueued.duplicate {
            logger.info("duplicate delivery ignored", metadata: ["trigger": "\(trigger)"])
        } else if matched.isEmpty {
            logger.info("no configuration listens to this event", metadata: [
                "trigger": "\(trigger)", "source": "\(source.sourceClass)", "repo": "\(source.attributes["repo"]?.text ?? "-")",
            ])
        } else {
            logger.debug("runs queued", metadata: ["trigger": "\(trigger)", "runs": "\(enqueued.runs.map(\.id))"])
        }
        return Dispatch(enqueued: enqueued, matched: matched.map(\.name))
    }

    /// Starts one run of the configuration `name` by hand (a `manual` trigger through the API).
    public func trigger(configuration name: String, source: Source, by user: String, scope: String? = nil) async throws(PipelineError) -> RunRecord {
        guard let configuration = index.withLock({ $0.configuration(named: name) }) else {
            throw PipelineError(.notFound, "no configuration named '\(name)'", operation: "trigger run")
        }
        let result = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: source, trigger: "manual \(user)",
                                                                       scope: scope)],
                                             now: clock.now())
        PipelineMetrics.runsQueued().increment(by: result.runs.count)
        guard let run = result.runs.first else {
            throw PipelineError(.store, "the run was not stored", operation: "trigger run")
        }
        return run
    }

    /// Runs `run` again as a new run: the same configuration snapshot, source and event, in the same
    /// scope, triggered as `re-run of #N by USER`. The old run stays as it ended.
    public func rerun(_ run: RunID, by user: String) async throws(PipelineError) -> RunRecord {
        guard let detail = try await store.run(run) else { throw PipelineError(.notFound, "no run \(run)", operation: "re-run") }
        let context = try await store.context(of: run)
        let label = detail.run.number.map { "#\($0)" } ?? "\(run)"
        let result = try await store.enqueue(event: nil, runs: [
            NewRun(configuration: context.configuration, source: context.source, event: context.event,
                   concurrencyGroup: detail.run.concurrencyGroup, trigger: "re-run of \(label) by \(user)", scope: detail.run.scope),
        ], now: clock.now())
        PipelineMetrics.runsQueued().increment(by: result.runs.count)
        guard let again = result.runs.first else { throw PipelineError(.store, "the run was not stored", operation: "re-run") }
        logger.info("run re-run", metadata: ["run": "\(run)", "new": "\(again.id)", "user": "\(user)"])
        return again
    }
}
