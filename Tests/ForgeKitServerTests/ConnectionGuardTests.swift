import AsyncHTTPClient
import ForgeKitServer
import ForgeKitTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct ConnectionGuardTests {
    /// Runs a Hummingbird server behind a guard with `limits` (`/` answers at once, `/slow` after
    /// `slow`) and calls `body` with its port.
    func serve(_ limits: ConnectionGuard.Limits, slow: Duration = .seconds(3),
               _ body: (Int, ConnectionGuard) async throws -> Void) async throws {
        let router = Router()
        router.get("/") { _, _ in "ok\n" }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: slow)
            return "finally\n"
        }
        var logger = Logger(label: "test.connections")
        logger.logLevel = .warning
        let connections = ConnectionGuard(limits, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(router: router, server: connections.server,
                                      configuration: connections.configure(.init(address: .hostname("127.0.0.1", port: 0))),
                                      onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port, connections)
        }
    }

    func get(_ port: Int, _ path: String = "/") async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(60))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func aHeadMustArriveInTimeHoweverSteadilyItTrickles() async throws {
        try await serve(.init(headTimeout: .seconds(1), idleTimeout: .seconds(30), maximumConnections: 100)) { port, connections in
            // Silent: closed after the head timeout, well before the idle timeout.
            let silent = try RawConnection(port: port)
            // Slowloris: a byte every 100 ms keeps the connection busy but never finishes the head.
            let trickle = try RawConnection(port: port)
            let sender = Task.detached {
                for byte in "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 200) {
                    do { try trickle.send(String(byte)) } catch { return true }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            #expect(await silent.waitForClose(within: .seconds(15)))
            #expect(await sender.value, "the server closed the trickling connection before its head was complete")
            #expect(connections.statistics.headTimeouts >= 2)
            // Others are served meanwhile and after.
            #expect(try await get(port) == "ok\n")
        }
    }

    @Test func everyHeadOnAKeptAliveConnectionHasItsOwnTime() async throws {
        try await serve(.init(headTimeout: .seconds(1), idleTimeout: .seconds(30), maximumConnections: 100)) { port, connections in
            let connection = try RawConnection(port: port)
            // Quick requests for well over a head timeout: never cut, whenever the head clock looks.
            let start = ContinuousClock.now
            var answered = 0
            while ContinuousClock.now - start < .milliseconds(2500) {
                try connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let response = try #require(await connection.readResponse(within: .seconds(5)), "request \(answered + 1) was not answered")
                #expect(response.hasPrefix("HTTP/1.1 200"))
                answered += 1
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(connections.statistics.headTimeouts == 0)
            // Then a head begun between two looks of the clock, never finished: cut within its own
            // timeout (plus the clock's slack), not left open until the idle timeout.
            try await Task.sleep(for: .milliseconds(400))
            try connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let begun = ContinuousClock.now
            #expect(await connection.waitForClose(within: .seconds(10)))
            let waited = ContinuousClock.now - begun
            #expect(waited >= .milliseconds(900) && waited < .seconds(3), "closed after \(waited)")
            #expect(connections.statistics.headTimeouts == 1)
        }
    }
    @Test func idleConnectionsCloseButResponsesAreNeverCutShort() async throws {
        try await serve(.init(headTimeout: .seconds(1), idleTimeout: .seconds(2), maximumConnections: 100), slow: .seconds(4)) { port, _ in
            // A keep-alive connection that asked once and then says nothing is closed by the idle timeout.
            let keepAlive = try RawConnection(port: port)
            try keepAlive.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let first = await keepAlive.readResponse(within: .seconds(10))
            #expect(first?.hasPrefix("HTTP/1.1 200") == true)
            #expect(await keepAlive.waitForClose(within: .seconds(15)))
            // A response that takes longer than both timeouts still arrives whole.
            let slow = try RawConnection(port: port)
            try slow.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = await slow.readResponse(within: .seconds(30))
            #expect(answer?.hasSuffix("finally\n") == true, "\(answer ?? "nothing")")
        }
    }

    @Test func manyIdleConnectionsDoNotStopOthersAndBusyOnesAreKept() async throws {
        try await serve(.init(headTimeout: .seconds(20), idleTimeout: .seconds(60), maximumConnections: 32), slow: .seconds(3)) { port, connections in
            // A request in progress when the flood starts.
            let busy = try RawConnection(port: port)
            try busy.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await Task.sleep(for: .milliseconds(200))
            // Far more idle connections than the cap; they sit there saying nothing.
            let idle = try await RawConnection.idle(2000, port: port)
            defer { idle.forEach { $0.close() } }
            // Others are still served, each request taking the place of an idle connection.
            for _ in 0..<5 { #expect(try await get(port) == "ok\n") }
            let answer = await busy.readResponse(within: .seconds(30))
            #expect(answer?.hasSuffix("finally\n") == true, "the busy connection was not closed to make room")
            let statistics = connections.statistics
            #expect(statistics.evicted > 0 && statistics.open <= 32, "\(statistics)")
        }
    }
}
