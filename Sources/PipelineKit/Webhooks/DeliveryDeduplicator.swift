import Synchronization

/// Remembers recent webhook delivery ids, per provider, to drop redeliveries.
///
/// Forges redeliver a webhook when the receiver was slow or failed, and a person can press "redeliver";
/// both reuse the delivery id. The deduplicator keeps the last ``capacity`` ids of each provider in
/// memory and forgets the oldest first. It is the in-memory layer only: it forgets everything on restart.
///
/// Safe to share between tasks; every call is synchronous and short.
///
/// ```swift
/// let seen = DeliveryDeduplicator()
/// guard seen.record(delivery) else { return .ok }  // a duplicate: acknowledge, do nothing
/// ```
public final class DeliveryDeduplicator: Sendable {
    /// How many ids are remembered per provider.
    public let capacity: Int

    private struct Recent {
        var ids: Set<String> = []
        /// Ids in arrival order, used as a ring once full.
        var order: [String] = []
        /// Where the next id goes once `order` is full (the oldest id).
        var next = 0

        /// Inserts `id`, forgetting the oldest id when full; false if `id` was already there.
        mutating func insert(_ id: String, capacity: Int) -> Bool {
            guard ids.insert(id).inserted else { return false }
            if order.count < capacity {
                order.append(id)
            } else {
                ids.remove(order[next])
                order[next] = id
                next = (next + 1) % capacity
            }
            return true
        }
    }

    private let state = Mutex<[WebhookProvider: Recent]>([:])

    /// Creates a deduplicator remembering up to `capacity` ids per provider (at least one).
    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// Records a delivery's id.
    ///
    /// - Returns: true if the id is new for its provider, false if it is a duplicate.
    @discardableResult
    public func record(_ delivery: WebhookDelivery) -> Bool {
        record(id: delivery.id, provider: delivery.provider)
    }

    /// Records a delivery id for a provider.
    ///
    /// - Returns: true if the id is new for `provider`, false if it is a duplicate.
    @discardableResult
    public func record(id: String, provider: WebhookProvider) -> Bool {
        let capacity = capacity
        return state.withLock { state in
            // Mutated in place (no copy of the set) through the dictionary's defaulted subscript.
            state[provider, default: Recent()].insert(id, capacity: capacity)
        }
    }

    /// Whether `id` is currently remembered for `provider`.
    public func contains(id: String, provider: WebhookProvider) -> Bool {
        state.withLock { $0[provider]?.ids.contains(id) ?? false }
    }
}
