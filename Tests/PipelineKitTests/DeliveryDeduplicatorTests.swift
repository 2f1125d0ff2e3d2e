import PipelineKit
import Testing

@Suite("Delivery de-duplication")
struct DeliveryDeduplicatorTests {
    @Test("a repeated delivery id is a duplicate, per provider")
    func duplicates() {
        let seen = DeliveryDeduplicator()
        let delivery = WebhookDelivery(provider: .github, id: "72d3162e", kind: "push", event: .ping)
        #expect(seen.record(delivery))
        #expect(!seen.record(delivery))
        #expect(seen.contains(id: "72d3162e", provider: .github))
        #expect(seen.record(id: "72d3162e", provider: .gitea))  // another provider's id space
        #expect(!seen.record(id: "72d3162e", provider: .gitea))
    }

    @Test("only the last N ids are remembered")
    func bounded() {
        let seen = DeliveryDeduplicator(capacity: 3)
        for id in ["a", "b", "c"] { #expect(seen.record(id: id, provider: .gitlab)) }
        #expect(!seen.record(id: "a", provider: .gitlab))
        #expect(seen.record(id: "d", provider: .gitlab))  // forgets "a"
        #expect(!seen.contains(id: "a", provider: .gitlab))
        #expect(!seen.record(id: "b", provider: .gitlab) && !seen.record(id: "c", provider: .gitlab) && !seen.record(id: "d", provider: .gitlab))
        #expect(seen.record(id: "a", provider: .gitlab))  // forgets "b"
        #expect(seen.record(id: "b", provider: .gitlab))
        #expect(DeliveryDeduplicator().capacity == 10_000)
    }

    @Test("concurrent records of one id admit exactly one")
    func concurrent() async {
        let seen = DeliveryDeduplicator()
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { seen.record(id: "same", provider: .github) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 1)
    }
}
