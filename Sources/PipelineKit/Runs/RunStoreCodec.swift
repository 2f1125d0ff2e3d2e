import Crypto
import ForgeKit
import Foundation
import Synchronization
import PlatformSupport

/// What every ``RunStore`` implementation does the same way, whatever its database: the stored text
/// and SHA-256 of a configuration snapshot (cached by name: configurations rarely change, and
/// comparing one is cheaper than serialising and hashing it for every event), and a run's
/// ``RunContext`` from its stored columns (configurations parsed once per hash).
package final class RunStoreCodec: Sendable {
    private let snapshots = Mutex<[String: (configuration: PipelineConfiguration, body: String, hash: String)]>([:])
    private let configurations = Mutex<[String: PipelineConfiguration]>([:])

    package init() {}

    /// The configuration's stored text and its SHA-256 (hex).
    package func snapshot(of configuration: PipelineConfiguration) -> (body: String, hash: String) {
        if let cached = snapshots.withLock({ $0[configuration.name] }), cached.configuration == configuration {
            return (cached.body, cached.hash)
        }
        let body = configuration.jsonValue.jsonText
        let hash = Hex.encode(SHA256.hash(data: Array(body.utf8)))
        snapshots.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[configuration.name] = (configuration, body, hash)
        }
        return (body, hash)
    }

    /// Whether the configuration snapshot `hash` was parsed here already (a context of a run of it
    /// needs no `body` then).
    package func knows(configuration hash: String) -> Bool {
        configurations.withLock { $0[hash] != nil }
    }

    /// A run's context from what its store keeps: the configuration snapshot (`hash`, `body`; the
    /// body may be left out when ``knows(configuration:)`` said yes), the source, the event as a
    /// template value (`event`) or the raw webhook body it came in.
    package func context(of run: RunID, hash: String, body: String?, source: String, event: String?, eventBody: [UInt8]?,
                         status: String) throws(PipelineError) -> RunContext {
        let configuration: PipelineConfiguration
        if let cached = configurations.withLock({ $0[hash] }) {
            configuration = cached
        } else {
            guard let body else { throw PipelineError(.store, "run \(run): configuration \(hash) is not known", operation: "read run") }
            let loaded = try ConfigurationLoader(sources: nil, tasks: nil).load(text: body, file: "run \(run)")
            guard let first = loaded.first else { throw PipelineError(.store, "run \(run) has no configuration", operation: "read run") }
            configuration = first
            configurations.withLock { cache in
                if cache.count > 4096 { cache.removeAll() }
                cache[hash] = first
            }
        }
        var value = Value.null
        if let event {
            value = try Value(jsonText: event)
        } else if let eventBody, !eventBody.isEmpty {
            value = (try? eventBody.withUnsafeBufferPointer { buffer throws(PipelineError) in try Value(jsonBytes: buffer) })
                ?? .string(String(decoding: eventBody, as: UTF8.self))
        }
        return RunContext(configuration: configuration, source: try Source(jsonValue: try Value(jsonText: source)), event: value,
                          status: RunStatus(rawValue: status) ?? .queued)
    }
}
