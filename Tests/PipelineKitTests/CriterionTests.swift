import PipelineKit
import Testing

@Suite("Criteria match source attributes")
struct CriterionTests {
    @Test("exact, glob, regular expression and lists")
    func matching() throws {
        #expect(try Criterion(.exact("DT2/dt")).matches("DT2/dt"))
        #expect(!(try Criterion(.exact("DT2/dt")).matches("DT2/dt2")))
        let release = try Criterion(.glob("release/*"))
        #expect(release.matches("release/1.0"))
        #expect(!release.matches("release/1.0/hotfix"))
        #expect(!release.matches("main"))
        #expect(try Criterion(.glob("docs/**")).matches("docs/a/b/c.md"))
        #expect(try Criterion(.glob("v[0-9].?")).matches("v1.x"))
        #expect(!(try Criterion(.glob("v[!0-9]*")).matches("v1")))
        #expect(try Criterion(.regex("v[0-9]+\\.[0-9]+")).matches("v12.3"))
        #expect(!(try Criterion(.regex("v[0-9]+")).matches("xv12")))  // whole-value match
        let list = try Criterion(.anyOf([.exact("main"), .glob("release/*")]))
        #expect(list.matches("main") && list.matches("release/2") && !list.matches("dev"))
        #expect(try Criterion(.glob("src/**")).matches(any: ["README.md", "src/app/main.swift"]))
    }

    @Test("a malformed regular expression is rejected when the criterion is made")
    func badRegex() {
        #expect(throws: PipelineError.self) { try Criterion(.regex("([unclosed")) }
        #expect(throws: PipelineError.self) { try Criterion(.anyOf([.exact("a"), .regex("*")])) }
    }
}
