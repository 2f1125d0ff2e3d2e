import AsyncHTTPClient
import Crypto
import ForgeKitTesting
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A `hamster-ci serve` process started for a test, on a free loopback port.
final class HamsterProcess: @unchecked Sendable {
    static var toolPath: String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hamster-ci").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ".build/debug/hamster-ci"
    }

    let process: ExampleProcess
    private(set) var port = 0
    /// What the process printed so far.
    var output: String { process.text }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `hamster-ci serve` with `arguments` (port 0 is added) and waits until it listens.
    static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> HamsterProcess {
        let process = try HamsterProcess(arguments, environment: environment)
        if let text = try? await process.process.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#), let port = Int(text) {
            process.port = port
            return process
        }
        process.process.terminate()
        throw HamsterError("hamster-ci did not start: \(process.output)")
    }

    private init(_ arguments: [String], environment: [String: String]) throws {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        // Without a token of its own the API is served open, on loopback (the tests' server is).
        process = try ExampleProcess(executable: URL(fileURLWithPath: Self.toolPath).path,
                                     ["serve", "--port", "0"] + (arguments.contains("--api-token") ? [] : ["--open-api"]) + arguments,
                                     environment: merged)
    }

    /// Kills the process with SIGKILL: no shutdown, no cleanup — a crash.
    func crash() {
        process.kill(SIGKILL)
        while process.isRunning { usleep(2_000) }
    }

    func stop() {
        if process.isRunning { process.stop() }
    }

    deinit { stop() }
}

final class OutputBox: Sendable {
    let text = Mutex("")
}

struct HamsterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct HTTPResult {
    let status: Int
    let body: String
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

enum Method: String { case GET, POST, PUT, DELETE }

func httpRequest(_ method: Method, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method.rawValue)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        // A body is JSON unless the caller says otherwise, as the API wants.
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { request.headers.add(name: "Content-Type", value: "application/json") }
        request.body = .bytes(ByteBuffer(bytes: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let buffer = try await response.body.collect(upTo: 16 << 20)
    return HTTPResult(status: Int(response.status.code), body: String(buffer: buffer))
}

func githubSignature(_ body: [UInt8], secret: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
    return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
}

/// Waits until `condition` holds, polling; throws after `seconds`.
func eventually(_ what: String, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw HamsterError("timed out waiting for \(what)")
}
