public import DeployKit
import ForgeKit
import Foundation
public import Hummingbird
public import Logging
import HTTPTypes
import NIOCore
import PipelineKit
import PlatformSupport

/// DeployKit's HTTP surface, to mount on a Hummingbird router: the runner API (a bearer token per
/// runner) and an API for people and tools (an optional shared bearer token).
///
/// Runner API — every call needs `Authorization: Bearer <runner token>`, else `401`:
///
/// | Route | |
/// |---|---|
/// | `POST /api/runner/jobs?wait=S` | claim the oldest deployment this runner may run, waiting up to S seconds (≤ 60); `200` a job, `204` none |
/// | `POST /api/runner/alive` | proof of life (`200 {"runner": NAME}`) |
/// | `POST /api/runner/deployments/{id}/heartbeat?attempt=N` | extend the lease; `204`, or `409` when the runner no longer holds it |
/// | `POST /api/runner/deployments/{id}/logs?attempt=N` | append the body (text) to the log; `204` or `409` |
/// | `POST /api/runner/deployments/{id}/finish` `{"attempt", "state": "succeeded"\|"failed", "reason", "release"}` | `200` the deployment, or `409` |
///
/// API — with ``Options/apiToken`` set, every call needs `Authorization: Bearer <token>`:
///
/// | Route | |
/// |---|---|
/// | `GET /api/deployments?project=&environment=&state=&before=&limit=` | newest first |
/// | `POST /api/deployments` `{"project", "branch", "commit", "environment"?, "requested_by"?}` | queue (`201`) |
/// | `GET /api/deployments/{id}` | one deployment |
/// | `GET /api/deployments/{id}/log?after=N&wait=S` | text after byte N, waiting up to S seconds for some; `X-Log-Next` is the next offset, `X-Deployment-State` the state |
/// | `GET /api/deployments/{id}/log?follow=true` | the log streamed until the deployment ends |
/// | `POST /api/deployments/{id}/start` · `POST /api/deployments/{id}/cancel` | start a manual one · cancel |
/// | `POST /api/rollbacks` `{"project", "environment", "release"?, "requested_by"?}` | queue a rollback (`201`) |
/// | `GET /api/projects` · `PUT /api/projects/{name}` (JSON settings) | projects |
/// | `GET /api/runners` · `POST /api/runners` `{"name", "projects"}` | runners; the new token is in the `201` answer, once |
///
/// Errors are `{"error": "…"}` with `400`, `401`, `404`, `409` (not held, or a state that does not
/// allow the change), `413`, `500` or `503`.
public struct DeploymentHTTPService: Sendable {
    /// How the service behaves.
    public struct Options: Sendable {
        /// When set, the non-runner API requires `Authorization: Bearer <apiToken>`.
        public var apiToken: String?
        /// The largest log body a runner may send in one request.
        public var maximumLogBody: Int
        /// The longest a claim or log request may wait.
        public var maximumWait: Duration

        /// Creates options.
        public init(apiToken: String? = nil, maximumLogBody: Int = 8 << 20, maximumWait: Duration = .seconds(60)) {
            self.apiToken = apiToken
            self.maximumLogBody = maximumLogBody
            self.maximumWait = maximumWait
        }
    }

    /// The controller behind the routes.
    public let controller: DeploymentController
    /// How the service behaves.
    public let options: Options
    let logger: Logger

    /// Creates the service.
    public init(controller: DeploymentController, options: Options = Options(), logger: Logger = Logger(label: "forgeworks.deploy.http")) {
        self.controller = controller
        self.options = options
        self.logger = logger
    }

    /// Adds the routes to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/api/runner/jobs") { request, context in
            await self.asRunner(request, logger: context.logger) { runner in try await self.claim(request, runner: runner) }
        }
        router.post("/api/runner/alive") { request, context in
            await self.asRunner(request, logger: context.logger) { runner in Self.json(.ok, ["runner": runner.name]) }
        }
        router.post("/api/runner/deployments/:id/heartbeat") { request, context in
            await self.asRunner(request, logger: context.logger) { runner in
                try await self.controller.heartbeat(try Self.id(context), runner: runner, attempt: try Self.attempt(request))
                return Response(status: .noContent)
            }
        }
        router.post("/api/runner/deployments/:id/logs") { request, context in
            await self.asRunner(request, logger: context.logger) { runner in try await self.appendLog(request, context: context, runner: runner) }
        }
        router.post("/api/runner/deployments/:id/finish") { request, context in
            await self.asRunner(request, logger: context.logger) { runner in try await self.finish(request, context: context, runner: runner) }
        }

        router.get("/api/deployments") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.list(request) }
        }
        router.post("/api/deployments") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.queue(request) }
        }
        router.get("/api/deployments/:id") { request, context in
            await self.asPerson(request, logger: context.logger) { Self.json(.ok, try await self.controller.deployment(try Self.id(context))) }
        }
        router.get("/api/deployments/:id/log") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.log(request, id: try Self.id(context)) }
        }
        router.post("/api/deployments/:id/start") { request, context in
            await self.asPerson(request, logger: context.logger) { Self.json(.ok, try await self.controller.start(try Self.id(context))) }
        }
        router.post("/api/deployments/:id/cancel") { request, context in
            await self.asPerson(request, logger: context.logger) { Self.json(.ok, try await self.controller.cancel(try Self.id(context))) }
        }
        router.post("/api/rollbacks") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.rollback(request) }
        }
        router.get("/api/projects") { request, context in
            await self.asPerson(request, logger: context.logger) { Self.json(.ok, try await self.controller.store.projects()) }
        }
        router.put("/api/projects/:name") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.saveProject(request, name: context.parameters.get("name") ?? "") }
        }
        router.get("/api/runners") { request, context in
            await self.asPerson(request, logger: context.logger) {
                let runners = try await self.controller.store.runners()
                return Self.json(.ok, runners.map(RunnerJSON.init))
            }
        }
        router.post("/api/runners") { request, context in
            await self.asPerson(request, logger: context.logger) { try await self.registerRunner(request) }
        }
    }

    // MARK: - Authentication and errors

    private func asRunner(_ request: Request, logger: Logger, _ body: (RunnerRecord) async throws -> Response) async -> Response {
        let token = Self.bearer(request) ?? ""
        do {
            guard let runner = try await controller.authenticate(token: token) else {
                return Self.error(.unauthorized, "a valid runner token is required ('Authorization: Bearer <token>')")
            }
            return try await body(runner)
        } catch {
            return respond(to: error, logger: logger)
        }
    }

    private func asPerson(_ request: Request, logger: Logger, _ body: () async throws -> Response) async -> Response {
        guard JSONRequests.accepts(method: request.method.rawValue, contentType: request.headers[.contentType],
                                   contentLength: request.headers[.contentLength], isChunked: request.headers[.transferEncoding] != nil,
                                   alsoAccepted: ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]) else {
            return Self.error(.unsupportedMediaType, JSONRequests.refusal)
        }
        if let token = options.apiToken {
            let given = Self.bearer(request) ?? ""
            guard ConstantTime.equal(given, token) else {
                return Self.error(.unauthorized, "a valid 'Authorization: Bearer' token is required")
            }
        }
        do {
            return try await body()
        } catch {
            return respond(to: error, logger: logger)
        }
    }

    private func respond(to error: any Error, logger: Logger) -> Response {
        guard let error = error as? DeployError else {
            logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.error(.internalServerError, "\(error)")
        }
        let status = error.status
        if status.code >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
        return Self.error(status, status.code >= 500 ? error.description : error.message)
    }

    private static func bearer(_ request: Request) -> String? {
        AuthorizationHeader.bearerToken(request.headers[.authorization])
    }

    // MARK: - Runner calls

    private func claim(_ request: Request, runner: RunnerRecord) async throws -> Response {
        let wait = try waitParameter(request)
        guard let job = try await controller.claim(for: runner, wait: wait) else {
            return Response(status: .noContent)
        }
        return Self.json(.ok, job)
    }

    private func appendLog<Context: RequestContext>(_ request: Request, context: Context, runner: RunnerRecord) async throws -> Response {
        let id = try Self.id(context), attempt = try Self.attempt(request)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maximumLogBody)
        } catch {
            throw DeployError(.tooLarge, "a log request may carry at most \(options.maximumLogBody) bytes", operation: "append log")
        }
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        try await controller.appendLog(id, runner: runner, attempt: attempt, text: text)
        return Response(status: .noContent)
    }

    private func finish<Context: RequestContext>(_ request: Request, context: Context, runner: RunnerRecord) async throws -> Response {
        let id = try Self.id(context)
        let body = try await Self.decode(FinishBody.self, request, operation: "finish deployment")
        guard body.state == "succeeded" || body.state == "failed" else {
            throw DeployError(.invalidRequest, "state must be succeeded or failed, not '\(body.state)'", operation: "finish deployment")
        }
        let deployment = try await controller.finish(id, runner: runner, attempt: body.attempt, succeeded: body.state == "succeeded",
                                                     reason: body.reason, release: body.release)
        return Self.json(.ok, deployment)
    }

    // MARK: - API calls

    private func list(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = DeploymentQuery()
        query.project = parameters["project"].map(String.init)
        query.environment = parameters["environment"].map(String.init)
        if let state = parameters["state"] {
            guard let parsed = DeploymentState(rawValue: String(state)) else {
                throw DeployError(.invalidRequest, "'\(state)' is not a deployment state", operation: "list deployments")
            }
            query.state = parsed
        }
        if let before = parameters["before"] {
            guard let number = Int64(String(before)) else {
                throw DeployError(.invalidRequest, "'before' must be a deployment id", operation: "list deployments")
            }
            query.before = DeploymentID(number)
        }
        if let limit = parameters["limit"] {
            guard let number = Int(String(limit)), number > 0 else {
                throw DeployError(.invalidRequest, "'limit' must be a positive number", operation: "list deployments")
            }
            query.limit = min(number, 1000)
        }
        return Self.json(.ok, try await controller.store.deployments(query))
    }

    private func queue(_ request: Request) async throws -> Response {
        struct Body: Decodable {
            var project: String
            var branch: String
            var commit: String
            var environment: String?
            var requestedBy: String?
            enum CodingKeys: String, CodingKey {
                case project, branch, commit, environment
                case requestedBy = "requested_by"
            }
        }
        let body = try await Self.decode(Body.self, request, operation: "queue deployment")
        let deployment = try await controller.queue(project: body.project, branch: body.branch, commit: body.commit,
                                                    environment: body.environment, trigger: .person(body.requestedBy ?? "api"))
        return Self.json(.created, deployment)
    }

    private func rollback(_ request: Request) async throws -> Response {
        struct Body: Decodable {
            var project: String
            var environment: String
            var release: String?
            var requestedBy: String?
            enum CodingKeys: String, CodingKey {
                case project, environment, release
                case requestedBy = "requested_by"
            }
        }
        let body = try await Self.decode(Body.self, request, operation: "queue rollback")
        let deployment = try await controller.rollback(project: body.project, environment: body.environment, to: body.release,
                                                       requestedBy: body.requestedBy ?? "api")
        return Self.json(.created, deployment)
    }

    private func log(_ request: Request, id: DeploymentID) async throws -> Response {
        let parameters = request.uri.queryParameters
        var after = 0
        if let text = parameters["after"] {
            guard let offset = Int(String(text)), offset >= 0 else {
                throw DeployError(.invalidRequest, "'after' must be a byte offset", operation: "read log")
            }
            after = offset
        }
        let follow = parameters["follow"].map { $0 == "true" || $0 == "1" } ?? false
        if follow {
            _ = try await controller.deployment(id)
            let controller = self.controller, start = after
            let body = ResponseBody { writer in
                var offset = start
                while true {
                    let part = try await controller.log(id, after: offset, wait: .seconds(30))
                    if !part.text.isEmpty {
                        try await writer.write(ByteBuffer(string: part.text))
                        offset = part.next
                        continue
                    }
                    let deployment = try await controller.deployment(id)
                    if deployment.state.isFinal, deployment.logSize <= offset { break }
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
        }
        let wait = try waitParameter(request)
        let part = try await controller.log(id, after: after, wait: wait)
        let deployment = try await controller.deployment(id)
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        if let next = HTTPField.Name("X-Log-Next") { headers[next] = "\(part.next)" }
        if let state = HTTPField.Name("X-Deployment-State") { headers[state] = deployment.state.rawValue }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: part.text)))
    }

    private func saveProject(_ request: Request, name: String) async throws -> Response {
        let project = try await Self.decode(ProjectSettings.self, request, operation: "save project")
        guard project.name == name else {
            throw DeployError(.invalidRequest, "the body names project '\(project.name)', the path '\(name)'", operation: "save project")
        }
        try await controller.store.saveProject(project)
        return Self.json(.ok, project)
    }

    private func registerRunner(_ request: Request) async throws -> Response {
        struct Body: Decodable {
            var name: String
            var projects: [String]?
        }
        let body = try await Self.decode(Body.self, request, operation: "register runner")
        let token = try await controller.registerRunner(name: body.name, projects: body.projects ?? [])
        return Self.json(.created, ["name": body.name, "token": token])
    }

    struct FinishBody: Decodable {
        var attempt: Int
        var state: String
        var reason: String?
        var release: String?
    }

    struct RunnerJSON: Encodable {
        var name: String
        var projects: [String]
        var lastSeen: String?
        init(_ runner: RunnerRecord) {
            name = runner.name
            projects = runner.projects
            lastSeen = runner.lastSeen?.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        enum CodingKeys: String, CodingKey {
            case name, projects
            case lastSeen = "last_seen"
        }
    }

    // MARK: - Helpers

    private func waitParameter(_ request: Request) throws(DeployError) -> Duration {
        guard let text = request.uri.queryParameters["wait"] else { return .zero }
        guard let seconds = Double(String(text)), seconds >= 0, seconds.isFinite else {
            throw DeployError(.invalidRequest, "'wait' must be a number of seconds", operation: "wait")
        }
        return min(.milliseconds(Int64(seconds * 1000)), options.maximumWait)
    }

    static func id<Context: RequestContext>(_ context: Context) throws(DeployError) -> DeploymentID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw DeployError(.notFound, "no such deployment", operation: "read deployment")
        }
        return DeploymentID(id)
    }

    static func attempt(_ request: Request) throws(DeployError) -> Int {
        guard let text = request.uri.queryParameters["attempt"], let attempt = Int(String(text)), attempt > 0 else {
            throw DeployError(.invalidRequest, "'attempt' (the attempt the claim returned) is required", operation: "runner call")
        }
        return attempt
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, operation: String) async throws(DeployError) -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 1 << 20)
        } catch {
            throw DeployError(.tooLarge, "the body is larger than 1 MiB", operation: operation)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw DeployError(.invalidRequest, "the body is not valid: \(Self.describe(error))", operation: operation)
        } catch {
            throw DeployError(.invalidRequest, "the body is not valid JSON: \(error)", operation: operation)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)
        var buffer = ByteBuffer(bytes: data)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }
}
