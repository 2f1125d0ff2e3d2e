import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// `/metrics` on the forge: Prometheus text for site administrators, nobody else unless the operator
/// opens it; the kits' metrics and the HTTP requests' are in it.
@Suite(.timeLimit(.minutes(4))) struct ForgeMetricsTests {
    static let password = "metrics-admin-password"

    static func start(_ folder: String, _ extra: [String] = []) async throws -> (ExampleProcess, Client) {
        var environment = ProcessInfo.processInfo.environment
        environment["FORGE_ADMIN_PASSWORD"] = password
        let server = try ExampleProcess("forge", ["serve", "--data", folder + "/data", "--host", "127.0.0.1", "--port", "0"] + extra,
                                        environment: environment)
        let port = try await server.waitFor(#"forge listening on http://127\.0\.0\.1:(\d+)"#)
        return (server, Client(base: "http://127.0.0.1:\(port)"))
    }

    @Test("site admins read /metrics with their credentials; other users get 403, anonymous 401; the kits' metrics are in it")
    func adminsOnly() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-metrics")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (server, client) = try await Self.start(folder)
        defer { server.stop() }
        #expect(try await client.send(.POST, "/api/v1/users", user: "admin", password: Self.password,
                                      json: ["name": "bob", "password": "bob-password-123", "email": "bob@example.com"]).status == 201)
        #expect(try await client.send(.POST, "/api/v1/repos", user: "admin", password: Self.password, json: ["name": "team/app"]).status == 201)

        let anonymous = try await client.send(.GET, "/metrics")
        #expect(anonymous.status == 401)
        #expect(!anonymous.body.contains("forgeworks_"))
        let wrong = try await client.send(.GET, "/metrics", user: "admin", password: "not-the-password")
        #expect(wrong.status == 401)
        let user = try await client.send(.GET, "/metrics", user: "bob", password: "bob-password-123")
        #expect(user.status == 403)
        #expect(!user.body.contains("forgeworks_"))

        let admin = try await client.send(.GET, "/metrics", user: "admin", password: Self.password)
        #expect(admin.status == 200)
        #expect(admin.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
        // HTTP requests by route and status, with durations.
        #expect(admin.body.contains(#"http_requests_total{http_route="/api/v1/users",http_request_method="POST",http_response_status_code="201"} 1"#), "\(admin.body)")
        #expect(admin.body.contains(#"http_requests_total{http_route="/api/v1/repos",http_request_method="POST",http_response_status_code="201"} 1"#), "\(admin.body)")
        #expect(admin.body.contains(#"http_requests_total{http_route="/metrics",http_request_method="GET",http_response_status_code="403"} 1"#), "\(admin.body)")
        #expect(admin.body.contains("http_request_duration_seconds_bucket"), "\(admin.body)")
        // The executor reports the queue's depth.
        #expect(admin.body.contains("forgeworks_pipeline_queue_depth 0"), "\(admin.body)")
    }

    @Test("--metrics-public opens /metrics to anonymous scrapers; --metrics-token admits that bearer token")
    func openedByTheOperator() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-metrics-open")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let (server, client) = try await Self.start(folder, ["--metrics-public"])
            defer { server.stop() }
            #expect(try await client.send(.GET, "/metrics").status == 200)
        }
        let (server, client) = try await Self.start(folder, ["--metrics-token", "scrape-token-1234"])
        defer { server.stop() }
        #expect(try await client.send(.GET, "/metrics").status == 401)
        #expect(try await client.send(.GET, "/metrics", bearer: "scrape-token-1234").status == 200)
        #expect(try await client.send(.GET, "/metrics", bearer: "another-token").status == 401)
    }
}
