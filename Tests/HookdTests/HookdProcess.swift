import AsyncHTTPClient
import Crypto
import ForgeKitTesting
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A `hookd` process started for a test on a free loopback port, over a temporary runbook directory.
final class HookdProcess: @unchecked Sendable {
    static var toolPath: String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hookd").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ".build/debug/hookd"
    }

    let process: ExampleProcess
    let directory: String
    private(set) var port = 0
    var output: String { process.text }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `hookd --config-dir <temporary> --listen 127.0.0.1:0` with `arguments` and waits until it listens.
    static func start(_ arguments: [String] = []) async throws -> HookdProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = try HookdProcess(arguments, directory: directory)
        if let text = try? await process.process.waitFor(#"hookd listening on http://127\.0\.0\.1:(\d+)"#), let port = Int(text) {
            process.port = port
            return process
        }
        process.stop()
        throw HookdError("hookd did not start: \(process.output)")
    }

    private init(_ arguments: [String], directory: String) throws {
        self.directory = directory
        process = try ExampleProcess(executable: URL(fileURLWithPath: Self.toolPath).path,
                                     ["--config-dir", directory, "--listen", "127.0.0.1:0"] + arguments)
    }

    /// Writes `{id}.json`.
    func write(_ id: String, _ json: String) throws {
        try json.write(toFile: directory + "/" + id + ".json", atomically: true, encoding: .utf8)
    }

    /// Writes `{id}.json` from a runbook's parts.
    func write(_ id: String, scripts: [[String]], networks: [String]? = ["127.0.0.1/32", "::1/128"], secret: String? = nil) throws {
        var runbook: [String: Any] = [
            "scripts": scripts.map { ["command": $0[0], "args": Array($0.dropFirst())] },
        ]
        if let networks { runbook["allowedNetworks"] = networks }
        if let secret { runbook["secret"] = secret }
        let data = try JSONSerialization.data(withJSONObject: runbook)
        try write(id, String(decoding: data, as: UTF8.self))
    }

    /// A path in the runbook directory, for marker files.
    func path(_ name: String) -> String { directory + "/" + name }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// POSTs `body` to `/{id}`.
    func post(_ id: String, body: String = "{}", headers: [(String, String)] = []) async throws -> HookResponse {
        var request = HTTPClientRequest(url: baseURL + "/" + id)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return HookResponse(status: Int(response.status.code), body: String(buffer: buffer))
    }

    func stop() {
        if process.isRunning {
            process.stop()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

final class LogBox: Sendable {
    let text = Mutex("")
}

struct HookdError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct HookResponse {
    let status: Int
    let body: String
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
    var results: [[String: Any]] { json["results"] as? [[String: Any]] ?? [] }
    var statuses: [Int] { results.compactMap { $0["status_code"] as? Int } }
    var error: String { json["error"] as? String ?? "" }
}

func githubSignature(_ body: String, secret: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
    return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
}
