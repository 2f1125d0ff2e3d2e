import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

/// The four servers, each started with 256 file descriptors (as a small `ulimit -n` would give) and
/// their default connection limits, under more idle connections than they could ever hold open: each
/// still answers an ordinary request, by closing idle connections to make room. A silent connection
/// is closed after the head timeout.
@Suite(.timeLimit(.minutes(5))) struct HostileConnectionTests {
    enum Server: String, CaseIterable, CustomStringConvertible {
        case forge, hamsterCI = "hamster-ci", hookd, deployServer = "deploy-server"
        var description: String { rawValue }
    }

    func start(_ server: Server, in folder: String) throws -> ExampleProcess {
        var environment = ProcessInfo.processInfo.environment
        let arguments: [String]
        switch server {
        case .forge:
            environment["FORGE_ADMIN_PASSWORD"] = "hostile-admin-password"
            arguments = ["serve", "--data", folder + "/data", "--host", "127.0.0.1", "--port", "0"]
        case .hamsterCI:
            try "name: manual\nsource: {source_class: manual}\nactions:\n  - {name: noop, task: noop}\n"
                .write(toFile: folder + "/c.yml", atomically: true, encoding: .utf8)
            arguments = ["serve", "--port", "0", "--open-api", "--config", folder + "/c.yml", "--db", folder + "/runs.sqlite",
                         "--webhook-secret", "a-webhook-secret-for-hostile-tests"]
        case .hookd:
            arguments = ["--config-dir", folder, "--listen", "127.0.0.1:0"]
        case .deployServer:
            arguments = ["serve", "--db", folder + "/deploy.sqlite", "--port", "0", "--open-api"]
        }
        return try ExampleProcess(server.rawValue, arguments + ["--head-timeout", "2"], environment: environment, openFiles: 256)
    }

    @Test(arguments: Server.allCases) func answersUnderAFloodOfIdleConnections(_ server: Server) async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "hostile-\(server)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let process = try start(server, in: folder)
        defer { process.stop() }
        let port = try Int(await process.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)) ?? 0

        // 600 connections that say nothing, against at most 256 descriptors.
        let outcome = try await IdleConnectionFlood.run(port: port, idle: 600)
        #expect(outcome.response?.hasPrefix("HTTP/1.1 200") == true, "\(server) answered: \(outcome.response ?? "nothing")\n\(process.text.suffix(2000))")
        #expect(outcome.closedByServer > 0, "\(server) closed idle connections to make room")

        // A connection that never sends a complete head is closed after the head timeout.
        let silent = try RawConnection(port: port)
        try silent.send("GET /healthz HTTP/1.1\r\n")
        #expect(await silent.waitForClose(within: .seconds(30)))
        #expect(process.isRunning)
    }
}
