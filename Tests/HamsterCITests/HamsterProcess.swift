import AsyncHTTPClient
import Crypto
import ForgeKitTesting
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A `hamster-ci serve` process started for a test, on a free loopback port.
final class HamsterProcess: Sendable {
    static var toolPath: String { ExampleProcess.toolPath("hamster-ci") }

    let process: ExampleProcess
    let port: Int
    /// What the process printed so far.
    var output: String { process.text }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `hamster-ci serve` with `arguments` (port 0 is added) and waits until it listens.
    static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> HamsterProcess {
        // Without a token of its own the API is served open, on loopback (the tests' server is).
        let serve = ["serve", "--port", "0"] + (arguments.contains("--api-token") ? [] : ["--open-api"]) + arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let process = try ExampleProcess("hamster-ci", serve, environment: merged)
        do {
            let port = try await process.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)
            guard let number = Int(port) else { throw HamsterError("hamster-ci printed no port: \(process.text)") }
            return HamsterProcess(process: process, port: number)
        } catch {
            process.stop()
            throw HamsterError("hamster-ci did not start: \(process.text)")
        }
    }

    private init(process: ExampleProcess, port: Int) {
        self.process = process
        self.port = port
    }

    /// Kills the process with SIGKILL: no shutdown, no cleanup — a crash.
    func crash() {
        process.kill(SIGKILL)
        process.stop()
    }

    func stop() { process.stop() }
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
