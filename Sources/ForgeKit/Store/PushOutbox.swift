public import Logging
import PlatformSupport

/// The forge's push outbox: each push is recorded durably in the forge's database before the client
/// is told it succeeded, then handed to every consumer (the pipeline trigger, the webhook dispatcher)
/// at least once, in order, also after a crash or a restart.
///
/// A consumer's cursor moves past a push only once its handler returned, so a push whose handling
/// was interrupted is handled again: handlers must be idempotent — a delivery id derived from the
/// push (``StoredPush/deliveryID(for:webhookID:)``) lets them recognise what they already did.
///
/// ```swift
/// let stored = try await outbox.record(push)             // before answering the push
/// await outbox.consume(as: "webhooks") { push in try await enqueueDeliveries(for: push) }
/// ```
public final class PushOutbox: Sendable {
    /// Where pushes are recorded.
    public let store: any ForgeMetadataStore
    let recorded = ChangeSignal()

    /// An outbox in `store`.
    public init(store: any ForgeMetadataStore) {
        self.store = store
    }

    /// Records `push` durably and wakes the consumers; returns it with its number.
    public func record(_ push: PushEvent) async throws(ForgeError) -> StoredPush {
        let id = try await store.recordPush(push)
        recorded.fire()
        return StoredPush(id: id, event: push)
    }

    /// Hands every push recorded after `consumer`'s cursor to `handle`, in order, then each new one,
    /// until the task is cancelled. When `handle` throws, the same push is tried again after a pause
    /// (growing to a minute), and later pushes wait for it.
    public func consume(as consumer: String, pollInterval: Duration = .seconds(1), logger: Logger,
                        _ handle: @Sendable (StoredPush) async throws -> Void) async {
        var cursor: Int64?
        var failures = 0
        while !Task.isCancelled {
            let seen = recorded.generation
            do {
                let after: Int64
                if let cursor {
                    after = cursor
                } else {
                    after = try await store.pushCursor(consumer: consumer)
                    cursor = after
                }
                let pushes = try await store.pushes(after: after, limit: 50)
                for push in pushes {
                    try await handle(push)
                    try await store.setPushCursor(consumer: consumer, to: push.id)
                    cursor = push.id
                    failures = 0
                }
                if !pushes.isEmpty { continue }
                await recorded.wait(after: seen, timeout: pollInterval)
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let pause = Duration.milliseconds(min(60_000, 250 << min(failures, 8)))
                logger.error("cannot handle a push; trying again", metadata: ["consumer": "\(consumer)", "error": "\(error)",
                                                                             "retry_in": "\(pause)"])
                try? await Task.sleep(for: pause)
            }
        }
    }
}
