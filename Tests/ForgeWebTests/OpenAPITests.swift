import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// The OpenAPI document at `/api/v1/openapi.json` is kept true: schemathesis (PyPI) runs every
/// operation it describes against a running forge.
@Suite(.timeLimit(.minutes(6))) struct OpenAPITests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("the OpenAPI document describes the API: schemathesis finds no server error, no undocumented status, content type or method, no response off its schema, no auth ignored")
    func schemathesis() async throws {
        // Schemathesis signs in wrongly on purpose, many times: a throttle that lets it (the throttle has tests of its own).
        let lenient = SignInThrottle.Policy(freeFailuresPerAccount: 1_000_000, freeFailuresPerAddress: 1_000_000)
        try await RunningForge.run(localRunner: false, signInThrottle: lenient) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/app", "private": false]).status == 201)
            _ = try await pushProject(running, repository: "team/app", user: admin.0, password: admin.1, testCommand: "true")

            let document = try await client.send(.GET, "/api/v1/openapi.json")
            #expect(document.status == 200 && document.headers.first(name: "Content-Type") == "application/json")
            let parsed = try #require(try client.json(document) as? [String: Any])
            #expect(parsed["openapi"] as? String == "3.1.0")
            #expect(((parsed["servers"] as? [[String: Any]])?.first?["url"] as? String) == running.base + "/api/v1")
            #expect(((parsed["paths"] as? [String: Any])?.count ?? 0) >= 50)

            let configuration = running.folder + "/schemathesis.toml"
            try Data("[warnings]\nfail-on = []\n".utf8).write(to: URL(fileURLWithPath: configuration))
            // Every check but the two that want the schema to carry all of the forge's validation
            // (reserved names, revisions that must exist): those answer 400/422 with the field named.
            let (status, text) = try await PythonTools.run("schemathesis", [
                "--config-file", configuration, "run", running.base + "/api/v1/openapi.json", "--auth", "\(admin.0):\(admin.1)",
                "--max-examples", "8", "--seed", "20261205", "--checks", "all", "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
                "--request-timeout", "20", "--no-color",
            ], environment: ["SCHEMATHESIS_HOOKS": ""])
            // On failure, the failures' details (each with the requests that reproduce it).
            let summary = text.range(of: "FAILURES").map { String(text[$0.lowerBound...].prefix(20_000)) } ?? (text.components(separatedBy: "SUMMARY").last ?? text)
            #expect(status == 0, "\(summary)")
            #expect(!summary.contains("Failures:"), "\(summary)")
        }
    }

    @Test("a method a route does not take is 405 with Allow; the most specific route decides")
    func methodNotAllowed() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            let put = try await client.send(.PUT, "/api/v1/repos/search", user: admin.0, password: admin.1, json: [:])
            #expect(put.status == 405 && put.headers.first(name: "Allow") == "GET")
            let trace = try await client.send(.TRACE, "/api/v1/repos/team/app/branches", user: admin.0, password: admin.1)
            #expect(trace.status == 405 && trace.headers.first(name: "Allow") == "GET")
            let deep = try await client.send(.POST, "/api/v1/repos/a/b/c/d", user: admin.0, password: admin.1, json: [:])
            #expect(deep.status == 405 && deep.headers.first(name: "Allow") == "DELETE, GET, PATCH")
            #expect(try await client.send(.POST, "/api/v1/repos", json: ["name": "x/y"]).status == 401, "anonymous changes nothing")
        }
    }
}
