import AsyncHTTPClient
import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PipelineKit
import Synchronization
import Testing

/// A request the test server received.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String
}

/// A Hummingbird server on 127.0.0.1 and a port the system picks, playing a forge's comment API and
/// a few plain endpoints, recording what it receives.
enum TestServer {
    final class Log: Sendable {
        private let requests = Mutex<[ReceivedRequest]>([])
        func append(_ request: ReceivedRequest) { requests.withLock { $0.append(request) } }
        var all: [ReceivedRequest] { requests.withLock { $0 } }
    }

    static func with<T: Sendable>(_ body: @Sendable (_ baseURL: String, _ log: Log) async throws -> T) async throws -> T {
        let log = Log()
        let router = Router()
        @Sendable func record(_ request: Request) async throws -> ReceivedRequest {
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = ReceivedRequest(method: request.method.rawValue, path: request.uri.path, headers: headers,
                                           body: String(buffer: bytes))
            log.append(received)
            return received
        }
        @Sendable func response(_ status: HTTPResponse.Status, _ text: String, contentType: String = "application/json") -> Response {
            Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/api/repos/{owner}/{repo}/issues/{number}/comments") { request, context -> Response in
            _ = try await record(request)
            switch context.parameters.get("repo") {
            case "missing": return response(.notFound, #"{"message":"Not Found"}"#)
            case "broken": return response(.internalServerError, String(repeating: "x", count: 5000))
            default: return response(.created, #"{"id":1234,"html_url":"https://forge.example/acme/web/pull/7#issuecomment-1234","body":"…"}"#)
            }
        }
        router.get("/status/{code}") { request, context -> Response in
            _ = try await record(request)
            let code = context.parameters.get("code").flatMap { Int($0) } ?? 500
            return response(.init(code: code), "status \(code)", contentType: "text/plain")
        }
        router.put("/echo") { request, _ -> Response in
            let received = try await record(request)
            var echoed = response(.ok, received.body, contentType: "text/plain")
            if let name = HTTPField.Name("X-Method") { echoed.headers[name] = received.method }
            return echoed
        }
        router.get("/slow") { request, _ -> Response in
            _ = try await record(request)
            try await Task.sleep(for: .seconds(60))
            return response(.ok, "late", contentType: "text/plain")
        }
        router.get("/redirect") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://127.0.0.1:1/elsewhere"])
        }
        router.get("/large") { request, _ -> Response in
            _ = try await record(request)
            return response(.ok, String(repeating: "y", count: 300_000), contentType: "text/plain")
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "pipelinekit.test-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            return try await body("http://127.0.0.1:\(port)", log)
        }
    }
}

@Suite("http and pull_request_comment against a local HTTP server")
struct HTTPActionTests {
    let source = Source(sourceClass: "pull_request", attributes: ["repo": "acme/web", "number": 7, "branch": "feature"])

    @Test("pull_request_comment posts the rendered template to the issue comments of the pull request")
    func comment() async throws {
        try await TestServer.with { base, log in
            let harness = try ActionHarness(source: source, secrets: ["t0ken-abc123"])
            defer { harness.remove() }
            let action = PullRequestCommentAction(baseURL: base + "/api/", token: "t0ken-abc123")
            let result = try await action.run(harness.context(["template": "Flake8 violations:\n\n    E501 \"line\" too long\n"]))
            #expect(result == ["ok": true, "id": 1234, "html_url": "https://forge.example/acme/web/pull/7#issuecomment-1234"])
            let request = try #require(log.all.first)
            #expect(log.all.count == 1)
            #expect(request.method == "POST")
            #expect(request.path == "/api/repos/acme/web/issues/7/comments")
            #expect(request.headers["authorization"] == "Bearer t0ken-abc123")
            #expect(request.headers["accept"] == "application/vnd.github+json")
            #expect(request.headers["user-agent"] == "forgeworks")
            #expect(request.headers["content-type"] == "application/json")
            let body = try JSONDecoder().decode([String: String].self, from: Data(request.body.utf8))
            #expect(body == ["body": "Flake8 violations:\n\n    E501 \"line\" too long\n"])
        }
    }

    @Test("kwargs repo and number override the source's; without a token no Authorization is sent")
    func commentOverrides() async throws {
        try await TestServer.with { base, log in
            let harness = try ActionHarness(source: source)
            defer { harness.remove() }
            _ = try await PullRequestCommentAction(baseURL: base + "/api")
                .run(harness.context(["template": "hi", "repo": "other-org/other.repo", "number": "12"]))
            let request = try #require(log.all.first)
            #expect(request.path == "/api/repos/other-org/other.repo/issues/12/comments")
            #expect(request.headers["authorization"] == nil)
        }
    }

    @Test("a 404 or 500 answer throws actionFailed with the status and a bounded excerpt, token masked")
    func commentFailures() async throws {
        try await TestServer.with { base, _ in
            let harness = try ActionHarness(source: source)
            defer { harness.remove() }
            let action = PullRequestCommentAction(baseURL: base + "/api", token: "t0ken-abc123")
            let missing = await caughtError { _ = try await action.run(harness.context(["template": "x", "repo": "acme/missing"])) }
            #expect(missing?.code == .actionFailed)
            #expect(missing?.message.contains("404") == true)
            #expect(missing?.message.contains("Not Found") == true)
            let broken = await caughtError { _ = try await action.run(harness.context(["template": "x", "repo": "acme/broken"])) }
            #expect(broken?.code == .actionFailed)
            #expect(broken?.message.contains("500") == true)
            #expect((broken?.message.count ?? .max) < 1000)
            #expect(broken?.description.contains("t0ken") == false)
        }
    }

    @Test("bad repositories and numbers are refused before any request")
    func commentValidation() async throws {
        try await TestServer.with { base, log in
            let harness = try ActionHarness(source: Source(sourceClass: "push", attributes: ["repo": "acme/web"]))
            defer { harness.remove() }
            let action = PullRequestCommentAction(baseURL: base + "/api")
            let number = await caughtError { _ = try await action.run(harness.context(["template": "x"])) }
            #expect(number?.field == "kwargs.number")
            let traversal = await caughtError { _ = try await action.run(harness.context(["template": "x", "number": 1, "repo": "../admin"])) }
            #expect(traversal?.field == "kwargs.repo")
            #expect(log.all.isEmpty)
        }
    }

    @Test("http: method, headers, a JSON body, the response and the statuses expected")
    func http() async throws {
        try await TestServer.with { base, log in
            let harness = try ActionHarness()
            defer { harness.remove() }
            let action = HTTPAction(outbound: try OutboundPolicy(allowing: ["127.0.0.1"]))
            let echoed = try await action.run(harness.context([
                "url": .string(base + "/echo"), "method": "put", "headers": ["X-Build": "42"], "body": ["state": "success", "n": 1],
            ]))
            #expect(echoed["ok"] == true)
            #expect(echoed["status"] == 200)
            #expect(echoed["body"] == #"{"n":1,"state":"success"}"#)
            #expect(echoed["headers"]?["x-method"] == "PUT")
            let request = try #require(log.all.first)
            #expect(request.headers["x-build"] == "42")
            #expect(request.headers["content-type"] == "application/json")

            let notFound = try await action.run(harness.context(["url": .string(base + "/status/404")]))
            #expect(notFound["status"] == 404)
            #expect(!notFound.isTruthy)
            let expected = try await action.run(harness.context(["url": .string(base + "/status/404"), "expect": [200, "400-404"]]))
            #expect(expected.isTruthy)
        }
    }

    @Test("http keeps at most the body limit, refuses other schemes, and throws on timeouts and refused connections")
    func httpLimits() async throws {
        try await TestServer.with { base, _ in
            let harness = try ActionHarness()
            defer { harness.remove() }
            let loopback = try OutboundPolicy(allowing: ["127.0.0.0/8"])
            let large = try await HTTPAction(outbound: loopback, bodyLimit: 1000).run(harness.context(["url": .string(base + "/large")]))
            #expect(large["body"]?.text?.count == 1000)
            #expect(large["truncated"] == true)
            let file = await caughtError { _ = try await HTTPAction().run(harness.context(["url": "file:///etc/passwd"])) }
            #expect(file?.code == .invalidConfiguration)
            #expect(file?.field == "kwargs.url")
            let slow = await caughtError {
                _ = try await HTTPAction(outbound: loopback).run(harness.context(["url": .string(base + "/slow"), "timeout": .double(0.5)]))
            }
            #expect(slow?.code == .timeout)
            let refused = await caughtError { _ = try await HTTPAction(outbound: loopback).run(harness.context(["url": "http://127.0.0.1:1/", "timeout": 1])) }
            #expect(refused?.code == .io)
        }
    }

    @Test("http refuses internal addresses unless allowed, and follows no redirect")
    func httpOutboundPolicy() async throws {
        try await TestServer.with { base, log in
            let harness = try ActionHarness()
            defer { harness.remove() }
            let port = URL(string: base)?.port ?? 0
            for url in ["\(base)/status/200", "http://localhost:\(port)/status/200", "http://[::1]:\(port)/", "http://10.1.2.3/",
                        "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:\(port)/", "http://[::ffff:127.0.0.1]:\(port)/",
                        "http://224.0.0.1/", "http://100.64.0.1/"] {
                let refused = await caughtError { _ = try await HTTPAction().run(harness.context(["url": .string(url), "timeout": 2])) }
                #expect(refused?.code == .invalidConfiguration, "\(url): \(String(describing: refused))")
                #expect(refused?.message.contains("address") == true && refused?.message.contains("--webhook-allow") == true)
            }
            #expect(log.all.isEmpty, "nothing reached the server")
            // Allowed by host name; the redirect's target is not followed (it would be refused anyway).
            let allowed = try await HTTPAction(outbound: try OutboundPolicy(allowing: ["localhost", "127.0.0.1"]))
                .run(harness.context(["url": .string("http://localhost:\(port)/redirect")]))
            #expect(allowed["status"] == 302)
        }
    }

    @Test("the proxy itself refuses an internal address, whatever the client checked first (no DNS rebinding)")
    func proxyRefusesOnTheAddressItConnectsTo() async throws {
        try await TestServer.with { base, log in
            let policy = OutboundPolicy()
            let (host, port) = try policy.proxy()
            // A client that skips the policy's own check and asks the proxy straight away.
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
            configuration.proxy = .server(host: host, port: port)
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            await #expect(throws: HTTPClientError.self) { _ = try await client.execute(HTTPClientRequest(url: base + "/status/200"), timeout: .seconds(10)) }
            // What the proxy answers, on the wire.
            let target = base.replacingOccurrences(of: "http://", with: "")
            let connection = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(connection) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr(host)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
            #expect(connected)
            let request = Array("CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            var buffer = [UInt8](repeating: 0, count: 2048)
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            let answer = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 403"), "\(answer)")
            #expect(answer.contains("loopback"))
            #expect(log.all.isEmpty, "nothing reached the server")
        }
    }

    @Test("the standard registry has the built-in actions; noop returns ok or its result")
    func standardRegistry() async throws {
        let registry = ActionRegistry.standard()
        #expect(registry.names == ["shell", "noop", "mergeable", "http", "pull_request_comment"])
        #expect(registry.action(named: "shell")?.literalKeys == ["command"])
        let harness = try ActionHarness()
        defer { harness.remove() }
        #expect(try await NoopAction().run(harness.context()) == ["ok": true])
        #expect(try await NoopAction().run(harness.context(["result": false])) == false)
    }
}
