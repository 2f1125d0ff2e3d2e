public import AsyncHTTPClient
import ForgeKit
import Foundation
import NIOCore
import NIOHTTP1
import PlatformSupport
import HTTPCallSupport

/// How a ``DeploymentRunner`` talks to its server: claim a job, send logs, prove it is alive, report the end.
///
/// ``DeploymentClient`` speaks the HTTP runner API of DeployKitServer; ``LocalRunnerConnection``
/// calls a ``DeploymentController`` in the same process. Calls about a deployment the runner no
/// longer holds throw ``DeployError/Code/conflict``.
public protocol RunnerConnection: Sendable {
    /// The oldest deployment this runner may run, waiting up to `wait` for one; nil when none came.
    func claim(wait: Duration) async throws(DeployError) -> DeploymentJob?
    /// Proof of life for a held deployment (extends its lease).
    func heartbeat(_ id: DeploymentID, attempt: Int) async throws(DeployError)
    /// Appends output to a held deployment's log.
    func appendLog(_ id: DeploymentID, attempt: Int, text: String) async throws(DeployError)
    /// Ends a held deployment.
    func finish(_ id: DeploymentID, attempt: Int, succeeded: Bool, reason: String?, release: String?) async throws(DeployError)
}

/// A ``RunnerConnection`` to a controller in the same process (a forge that runs its own runner).
public struct LocalRunnerConnection: RunnerConnection {
    /// The controller.
    public let controller: DeploymentController
    /// The runner's registration.
    public let runner: RunnerRecord

    /// Connects `runner` to `controller`.
    public init(controller: DeploymentController, runner: RunnerRecord) {
        self.controller = controller
        self.runner = runner
    }

    public func claim(wait: Duration) async throws(DeployError) -> DeploymentJob? {
        try await controller.claim(for: runner, wait: wait)
    }

    public func heartbeat(_ id: DeploymentID, attempt: Int) async throws(DeployError) {
        try await controller.heartbeat(id, runner: runner, attempt: attempt)
    }

    public func appendLog(_ id: DeploymentID, attempt: Int, text: String) async throws(DeployError) {
        try await controller.appendLog(id, runner: runner, attempt: attempt, text: text)
    }

    public func finish(_ id: DeploymentID, attempt: Int, succeeded: Bool, reason: String?, release: String?) async throws(DeployError) {
        _ = try await controller.finish(id, runner: runner, attempt: attempt, succeeded: succeeded, reason: reason, release: release)
    }
}

/// The runner side of the HTTP runner API (see `DeploymentHTTPService` in DeployKitServer), with a
/// bearer token per runner.
///
/// ```swift
/// let connection = DeploymentClient(server: "http://deploy.internal:8090", token: token)
/// let runner = DeploymentRunner(connection: connection, options: .init(workDirectory: "/var/lib/deploy-runner"))
/// await runner.run()
/// ```
///
/// `401` becomes ``DeployError/Code/unauthenticated``, `409` ``DeployError/Code/conflict``, `404`
/// ``DeployError/Code/notFound``; other failures are ``DeployError/Code/io`` (worth retrying).
public struct DeploymentClient: RunnerConnection {
    /// The server's base URL, such as `http://127.0.0.1:8090`.
    public let server: String
    let token: String
    let client: HTTPClient

    /// Creates a client for `server` with the runner's `token`.
    public init(server: String, token: String, httpClient: HTTPClient = .shared) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        self.server = base
        self.token = token
        self.client = httpClient
    }

    public func claim(wait: Duration) async throws(DeployError) -> DeploymentJob? {
        let seconds = max(0, wait.inSeconds)
        let (status, body) = try await send(.POST, "/api/runner/jobs?wait=\(seconds)", body: nil, timeout: wait + .seconds(30),
                                            operation: "claim deployment")
        if status == 204 { return nil }
        do {
            return try JSONDecoder().decode(DeploymentJob.self, from: Data(body))
        } catch {
            throw DeployError(.io, "the server sent a job that cannot be read: \(error)", operation: "claim deployment")
        }
    }

    public func heartbeat(_ id: DeploymentID, attempt: Int) async throws(DeployError) {
        _ = try await send(.POST, "/api/runner/deployments/\(id)/heartbeat?attempt=\(attempt)", body: nil, timeout: .seconds(30),
                           operation: "heartbeat")
    }

    public func appendLog(_ id: DeploymentID, attempt: Int, text: String) async throws(DeployError) {
        _ = try await send(.POST, "/api/runner/deployments/\(id)/logs?attempt=\(attempt)", body: Array(text.utf8), timeout: .seconds(60),
                           operation: "send log", contentType: "text/plain; charset=utf-8")
    }

    public func finish(_ id: DeploymentID, attempt: Int, succeeded: Bool, reason: String?, release: String?) async throws(DeployError) {
        struct Body: Encodable {
            var attempt: Int
            var state: String
            var reason: String?
            var release: String?
        }
        let body: Data
        do {
            body = try JSONEncoder().encode(Body(attempt: attempt, state: succeeded ? "succeeded" : "failed", reason: reason, release: release))
        } catch {
            throw DeployError(.invalidRequest, "cannot encode the outcome: \(error)", operation: "finish deployment")
        }
        _ = try await send(.POST, "/api/runner/deployments/\(id)/finish", body: Array(body), timeout: .seconds(30), operation: "finish deployment")
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, timeout: Duration, operation: String,
                      contentType: String = "application/json") async throws(DeployError) -> (Int, [UInt8]) {
        var headers = [("Authorization", "Bearer \(token)"), ("User-Agent", "forgeworks-deploy-runner")]
        if body != nil { headers.append(("Content-Type", contentType)) }
        let status: Int, bytes: [UInt8]
        do {
            let response = try await HTTPCall(method, server + path, headers: headers, body: body, timeout: timeout, responseLimit: 64 << 20)
                .send(with: client)
            (status, bytes) = (response.status, response.body)
        } catch .cancelled {
            throw DeployError(.cancelled, "cancelled", operation: operation)
        } catch {
            throw DeployError(.io, "cannot reach \(server): \(error)", operation: operation, underlying: error)
        }
        if (200..<300).contains(status) { return (status, bytes) }
        let message = Self.errorMessage(bytes) ?? "the server answered \(status)"
        switch status {
        case 401: throw DeployError(.unauthenticated, message, operation: operation)
        case 404: throw DeployError(.notFound, message, operation: operation)
        case 409: throw DeployError(.conflict, message, operation: operation)
        case 400, 413, 422: throw DeployError(.invalidRequest, message, operation: operation)
        default: throw DeployError(.io, message, operation: operation)
        }
    }

    private static func errorMessage(_ body: [UInt8]) -> String? {
        struct ErrorBody: Decodable { var error: String }
        return try? JSONDecoder().decode(ErrorBody.self, from: Data(body)).error
    }
}
