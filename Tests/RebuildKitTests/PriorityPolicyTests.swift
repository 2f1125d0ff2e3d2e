import RebuildKit
import Testing

@Suite("Koschei's priority arithmetic")
struct PriorityPolicyTests {
    let policy = PriorityPolicy()

    @Test("dependency part: 256 / distance, unknown distance counts as 8")
    func dependency() {
        // 256/1 + 256/2 + 256/8 (unknown) = 256 + 128 + 32
        #expect(policy.dependencyPriority(distances: [1, 2, nil]) == 416)
        #expect(policy.dependencyPriority(distances: []) == 0)
    }

    @Test("time part: 0 at 6 hours, 256 at one week, floored at -30")
    func time() {
        #expect(abs(policy.timePriority(hoursSinceLastBuild: 6)) < 1e-9)
        #expect(abs(policy.timePriority(hoursSinceLastBuild: 168) - 256) < 1e-9)
        // log10(24/6) / log10(168/6) × 256 = 0.60206 / 1.44716 × 256 = 106.50
        #expect(abs(policy.timePriority(hoursSinceLastBuild: 24) - 106.50) < 0.01)
        #expect(policy.timePriority(hoursSinceLastBuild: 0.1) == -30)
    }

    @Test("the whole priority crosses the threshold as Koschei's would")
    func whole() {
        // manual 10 + static 5 + 1.5 × (256 (one change at distance 1) + 200 (newly failed) + 0 (6 h))
        let value = policy.priority(manual: 10, static: 5, coefficient: 1.5, dependencyDistances: [1],
                                    lastBuildNewlyFailed: true, hoursSinceLastBuild: 6)
        #expect(abs(value - 699) < 1e-9)
        #expect(value >= policy.threshold)
    }
}
