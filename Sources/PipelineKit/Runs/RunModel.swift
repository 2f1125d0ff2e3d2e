public import Foundation

/// A run's identifier in its store.
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The store's integer key.
    public var rawValue: Int64
    /// Wraps a store key.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Wraps a store key.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// Where a step sits in its configuration's chain: the index of a top-level action, then the
/// handlers taken from it (`s` for success, `f` for failure). `"1"` is the second action, `"1.f.s"` the
/// success handler of its failure handler.
public struct StepPath: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A handler branch.
    public enum Branch: String, Hashable, Sendable, Codable {
        /// The success handler (the parent's result was truthy).
        case success = "s"
        /// The failure handler (the parent's result was falsy).
        case failure = "f"
    }

    /// The top-level action's index in ``PipelineConfiguration/actions``.
    public var action: Int
    /// The handlers taken, outermost first.
    public var handlers: [Branch]

    /// Creates a path.
    public init(action: Int, handlers: [Branch] = []) {
        self.action = action
        self.handlers = handlers
    }

    /// Parses the text form, such as `"0.f"`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let first = parts.first, let index = Int(first), index >= 0 else { return nil }
        var handlers: [Branch] = []
        for part in parts.dropFirst() {
            guard let branch = Branch(rawValue: String(part)) else { return nil }
            handlers.append(branch)
        }
        self.init(action: index, handlers: handlers)
    }

    /// The text form, such as `"0.f"`.
    public var description: String {
        ([String(action)] + handlers.map(\.rawValue)).joined(separator: ".")
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let path = StepPath(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad step path '\(text)'"))
        }
        self = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A run's state.
public enum RunStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Stored; no action has started yet.
    case queued
    /// An action has started and the chain has not ended.
    case running
    /// Every top-level action returned a truthy result.
    case succeeded
    /// The chain ended, and at least one top-level action returned a falsy result (its failure
    /// handler, if any, ran).
    case failed
    /// An action threw and had no retries left: a task failure. No handler ran.
    case errored
    /// Cancelled by a person or an API call, or because it ran out of time.
    case cancelled
    /// A newer run of the same concurrency group replaced it before it started.
    case superseded

    /// Whether the run has ended.
    public var isFinished: Bool {
        switch self {
        case .queued, .running: return false
        default: return true
        }
    }
}

/// A step's state.
public enum StepState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting for a worker (possibly until a retry's back-off has passed).
    case queued
    /// Claimed by a worker, under a lease.
    case running
    /// Returned a result (truthy or not).
    case succeeded
    /// Threw, with no retries left.
    case errored
    /// Its run was cancelled or superseded before it finished.
    case cancelled
}

/// A run to store: a configuration matched a source.
public struct NewRun: Sendable, Hashable {
    /// The configuration, as it was when the event arrived (the run keeps this copy).
    public var configuration: PipelineConfiguration
    /// The source.
    public var source: Source
    /// The event as received, or `.null`. When it is `.null` and the run is stored with an
    /// ``EventRecord``, the record's body (parsed as JSON) is the run's event: a webhook body is then
    /// stored once and parsed only when a template asks for it.
    public var event: Value
    /// The concurrency group, rendered; `nil` for none.
    public var concurrencyGroup: String?
    /// Who or what asked for it (`webhook github 1234`, `api alice`, `schedule`), for the record.
    public var trigger: String
    /// What the run belongs to — a forge's repository, say (`team/app`): runs of one scope are
    /// numbered 1, 2, … in the order they are stored (``RunRecord/number``) and listed together
    /// (``RunQuery/scope``). `nil` for none.
    public var scope: String?

    /// Creates a run request.
    public init(configuration: PipelineConfiguration, source: Source, event: Value = .null,
                concurrencyGroup: String? = nil, trigger: String = "", scope: String? = nil) {
        self.configuration = configuration
        self.source = source
        self.event = event
        self.concurrencyGroup = concurrencyGroup ?? configuration.concurrencyGroup
        self.trigger = trigger
        self.scope = scope
    }
}

/// A stored run, as a snapshot.
public struct RunRecord: Sendable, Hashable, Codable {
    /// The run's id.
    public var id: RunID
    /// The name of the configuration it runs.
    public var configurationName: String
    /// Where the run stands.
    public var status: RunStatus
    /// The source that started it.
    public var source: Source
    /// Its concurrency group, if any.
    public var concurrencyGroup: String?
    /// What started it (`webhook github <delivery>`, `manual api`, …).
    public var trigger: String
    /// Why the run errored or was cancelled, when it did.
    public var reason: String?
    /// When it was stored.
    public var createdAt: Date
    /// When its first action started.
    public var startedAt: Date?
    /// When it ended.
    public var finishedAt: Date?
    /// What it belongs to (``NewRun/scope``).
    public var scope: String?
    /// Its number within its scope, from 1; `nil` without a scope.
    public var number: Int64?

    /// Creates a record (stores do this).
    public init(id: RunID, configurationName: String, status: RunStatus, source: Source, concurrencyGroup: String?,
                trigger: String, reason: String?, createdAt: Date, startedAt: Date?, finishedAt: Date?,
                scope: String? = nil, number: Int64? = nil) {
        self.scope = scope
        self.number = number
        self.id = id
        self.configurationName = configurationName
        self.status = status
        self.source = source
        self.concurrencyGroup = concurrencyGroup
        self.trigger = trigger
        self.reason = reason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// A stored step (one action of a run's chain, or one of its handlers).
public struct StepRecord: Sendable, Hashable, Codable {
    /// The run the step or output belongs to.
    public var run: RunID
    /// The order in which the run's steps were created, from 0.
    public var sequence: Int
    /// Where the step sits in the chain.
    public var path: StepPath
    /// The action's name in its configuration.
    public var actionName: String
    /// The registered task that runs it.
    public var task: String
    /// Where the step stands.
    public var state: StepState
    /// How many times a worker claimed it (re-runs after a crash included).
    public var attempts: Int
    /// How many of those attempts threw.
    public var failures: Int
    /// The result, once it succeeded.
    public var result: Value?
    /// The last error's description.
    public var error: String?
    /// When its first action started.
    public var startedAt: Date?
    /// When it ended.
    public var finishedAt: Date?

    /// Creates a record (stores do this).
    public init(run: RunID, sequence: Int, path: StepPath, actionName: String, task: String, state: StepState,
                attempts: Int, failures: Int, result: Value?, error: String?, startedAt: Date?, finishedAt: Date?) {
        self.run = run
        self.sequence = sequence
        self.path = path
        self.actionName = actionName
        self.task = task
        self.state = state
        self.attempts = attempts
        self.failures = failures
        self.result = result
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// A run with its steps.
public struct RunDetail: Sendable, Hashable, Codable {
    /// The run.
    public var run: RunRecord
    /// Its steps, in the order they were created.
    public var steps: [StepRecord]
    /// Creates a detail.
    public init(run: RunRecord, steps: [StepRecord]) {
        self.run = run
        self.steps = steps
    }
}

/// A piece of a step's output, in order.
public struct LogChunk: Sendable, Hashable, Codable {
    /// The run the step or output belongs to.
    public var run: RunID
    /// The step's sequence number in the run.
    public var step: Int
    /// Where the chunk's first byte sits in the run's whole log (UTF-8 bytes from 0). A reader that
    /// passes ``end`` of the last chunk it got as `after` to ``RunStore/logs(run:after:limit:)``
    /// follows the log without losing or repeating a byte.
    public var offset: Int64
    /// The byte offset just past the chunk in the stored log (its stored length in bytes after `offset`).
    public var end: Int64
    /// The output, secrets masked.
    public var text: String
    /// A stored chunk that starts at byte `start` of the log, as a reader from byte `from` gets it:
    /// cut to begin at `from` when that falls inside it; `nil` when it ends at or before `from`.
    package init?(run: RunID, step: Int, start: Int64, bytes: some Collection<UInt8>, from: Int64) {
        let end = start + Int64(bytes.count)
        guard end > from else { return nil }
        let skip = Int(max(0, from - start))
        self.init(run: run, step: step, offset: start + Int64(skip), text: String(decoding: bytes.dropFirst(skip), as: UTF8.self))
        self.end = end
    }

    /// Creates a chunk (stores do this); its ``end`` is `offset` plus the text's length in UTF-8.
    public init(run: RunID, step: Int, offset: Int64, text: String) {
        self.end = offset + Int64(text.utf8.count)
        self.run = run
        self.step = step
        self.offset = offset
        self.text = text
    }
}
