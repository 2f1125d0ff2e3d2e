import ForgeKit
import Foundation
public import Hummingbird
public import Logging
public import PipelineKit
import HTTPServerSupport
import PlatformSupport

/// PipelineKit's HTTP surface, to mount on a Hummingbird router: webhook receivers for GitHub,
/// GitLab and Gitea/Forgejo, and a JSON API over runs.
///
/// | Route | |
/// |---|---|
/// | `POST /hooks/{github,gitlab,gitea}` | verify, decode, store, then `202 Accepted` |
/// | `GET /api/runs?configuration=&status=&before=&limit=` | runs, newest first |
/// | `GET /api/runs/{id}` | a run with its steps |
/// | `GET /api/runs/{id}/logs?after=N&follow=true` | output after offset N; `follow` streams until the run ends |
/// | `POST /api/runs/{id}/cancel` | cancel a run |
/// | `POST /api/runs` `{"configuration", "attributes", "repository_url", "commit"}` | trigger a `manual` run |
/// | `GET /api/configurations` | the configurations in use, from files and stored |
/// | `PUT /api/configurations/{name}` (JSON or YAML) · `DELETE /api/configurations/{name}` | edit stored ones |
///
/// A webhook is answered `202` only once its event (and its runs) are committed to the store; a bad
/// signature gets `401` and nothing is stored, a body over the limit `413`, a malformed one `400`,
/// a repeated delivery `200` with `"duplicate": true`, and an event nobody listens to `202` and a
/// log line.
///
/// ```swift
/// let router = Router()
/// PipelineHTTPService(dispatcher: dispatcher, options: .init(webhookSecrets: [.github: secret])).addRoutes(to: router)
/// try await Application(router: router).runService()
/// ```
public struct PipelineHTTPService: Sendable {
    /// How the service behaves.
    public struct Options: Sendable {
        /// The shared secret (GitHub, Gitea) or token (GitLab) per provider. A provider without one
        /// is refused with `401` unless ``acceptUnsigned`` is on.
        public var webhookSecrets: [WebhookProvider: String]
        /// Accept webhooks of providers that have no secret configured (for local experiments only).
        public var acceptUnsigned: Bool
        /// The largest webhook body accepted.
        public var maximumBodySize: Int
        /// Whether repository locations in payloads may be local paths or `file://` URLs. Off by
        /// default: a webhook must not make the server read arbitrary directories.
        public var allowFileURLs: Bool
        /// When set, `/api` requires `Authorization: Bearer <token>`.
        public var apiToken: String?
        /// Checks configurations sent to `PUT /api/configurations/{name}` (tasks and source types
        /// must be registered); `nil` turns editing off.
        public var configurationLoader: ConfigurationLoader?

        /// Creates options.
        public init(webhookSecrets: [WebhookProvider: String] = [:], acceptUnsigned: Bool = false,
                    maximumBodySize: Int = WebhookDecoder.defaultMaximumBodySize, allowFileURLs: Bool = false, apiToken: String? = nil,
                    configurationLoader: ConfigurationLoader? = nil) {
            self.configurationLoader = configurationLoader
            self.webhookSecrets = webhookSecrets
            self.acceptUnsigned = acceptUnsigned
            self.maximumBodySize = maximumBodySize
            self.allowFileURLs = allowFileURLs
            self.apiToken = apiToken
        }
    }

    /// Matches sources and stores runs.
    public let dispatcher: PipelineDispatcher
    /// How the service behaves.
    public let options: Options
    let logger: Logger
    let verifiers: [WebhookProvider: WebhookVerifier]
    let decoder: WebhookDecoder

    /// Creates the service. A secret that cannot be used (empty) is an error.
    public init(dispatcher: PipelineDispatcher, options: Options,
                logger: Logger = Logger(label: "forgeworks.pipeline.http")) throws(PipelineError) {
        self.dispatcher = dispatcher
        self.options = options
        self.logger = logger
        var verifiers: [WebhookProvider: WebhookVerifier] = [:]
        for provider in WebhookProvider.allCases {
            if let secret = options.webhookSecrets[provider] {
                verifiers[provider] = try WebhookVerifier(provider: provider, secret: secret)
            } else if options.acceptUnsigned {
                verifiers[provider] = .unverified(provider)
            }
        }
        self.verifiers = verifiers
        self.decoder = WebhookDecoder(maximumBodySize: options.maximumBodySize)
    }

    /// The store behind the dispatcher.
    var store: any RunStore { dispatcher.store }

    /// Adds the routes to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/hooks/:provider") { request, context in
            try await self.receiveWebhook(request, context: context)
        }
        router.get("/api/runs") { request, context in
            try await self.authorized(request) { try await self.listRuns(request) }
        }
        router.post("/api/runs") { request, context in
            try await self.authorized(request) { try await self.triggerRun(request) }
        }
        router.get("/api/runs/:id") { request, context in
            try await self.authorized(request) { try await self.showRun(try Self.runID(context)) }
        }
        router.get("/api/runs/:id/logs") { request, context in
            try await self.authorized(request) { try await self.runLogs(try Self.runID(context), request: request) }
        }
        router.post("/api/runs/:id/cancel") { request, context in
            try await self.authorized(request) { try await self.cancelRun(try Self.runID(context)) }
        }
        router.get("/api/configurations") { request, context in
            try await self.authorized(request) { try await self.listConfigurations() }
        }
        router.put("/api/configurations/:name") { request, context in
            try await self.authorized(request) { try await self.saveConfiguration(request, name: context.parameters.get("name") ?? "") }
        }
        router.delete("/api/configurations/:name") { request, context in
            try await self.authorized(request) { try await self.deleteConfiguration(context.parameters.get("name") ?? "") }
        }
    }

    // MARK: - Configurations

    func listConfigurations() async throws -> Response {
        let stored = Set(try await dispatcher.configurationStore?.storedConfigurations().map(\.name) ?? [])
        let list = dispatcher.configurations.configurations.map { configuration -> Value in
            guard case .map(var members) = configuration.jsonValue else { return configuration.jsonValue }
            members["origin"] = .string(stored.contains(configuration.name) ? "stored" : "file")
            return .map(members)
        }
        return Self.json(.ok, ["configurations": .list(list)])
    }

    func saveConfiguration(_ request: Request, name: String) async throws -> Response {
        guard let loader = options.configurationLoader, dispatcher.configurationStore != nil else {
            return Self.error(.methodNotAllowed, "configurations cannot be edited here")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: loader.maximumFileSize)
        } catch {
            return Self.error(.contentTooLarge, "the configuration is larger than \(loader.maximumFileSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return Self.error(.badRequest, "the configuration is not UTF-8 text")
        }
        let configurations = try loader.load(text: text, file: "request body")
        guard configurations.count == 1, let configuration = configurations.first else {
            return Self.error(.badRequest, "send exactly one configuration")
        }
        guard configuration.name == name else {
            return Self.error(.badRequest, "the configuration is named '\(configuration.name)', not '\(name)'")
        }
        let saved = await Self.attempt { () async throws(PipelineError) in try await dispatcher.saveConfiguration(configuration) }
        if case .failure(let error) = saved {
            guard error.code == .duplicate else { throw error }
            return Self.error(.conflict, error.message)
        }
        return Self.json(.ok, configuration.jsonValue)
    }

    func deleteConfiguration(_ name: String) async throws -> Response {
        guard dispatcher.configurationStore != nil else {
            return Self.error(.methodNotAllowed, "configurations cannot be edited here")
        }
        let deleted = try await dispatcher.deleteConfiguration(named: name)
        return deleted ? Self.json(.ok, ["deleted": .string(name)]) : Self.error(.notFound, "no stored configuration '\(name)'")
    }

    // MARK: - Webhooks

    func receiveWebhook<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        // Every line this request logs carries its request id (hb.request.id).
        let logger = context.logger
        guard let name = context.parameters.get("provider"), let provider = WebhookProvider(rawValue: name) else {
            return Self.error(.notFound, "unknown webhook provider; use github, gitlab or gitea")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maximumBodySize {
            return Self.error(.contentTooLarge, "the body is larger than \(options.maximumBodySize) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maximumBodySize)
        } catch {
            return Self.error(.contentTooLarge, "the body is larger than \(options.maximumBodySize) bytes")
        }
        let body = Array(buffer.readableBytesView)
        let headers = HTTPHeaderFields(request.headers.map { ($0.name.rawName, $0.value) })
        guard let verifier = verifiers[provider] else {
            logger.warning("webhook refused: no secret configured", metadata: ["provider": "\(provider)"])
            return Self.error(.unauthorized, "no secret is configured for \(provider) webhooks")
        }
        do {
            try verifier.verify(headers: headers, body: body)
        } catch {
            logger.warning("webhook refused: bad signature", metadata: ["provider": "\(provider)", "error": "\(error.message)"])
            return Self.error(.unauthorized, error.message)
        }
        let delivery: WebhookDelivery
        do {
            delivery = try decoder.decode(provider: provider, headers: headers, body: body)
        } catch {
            let status: HTTPResponse.Status = error.code == .tooLarge ? .contentTooLarge : .badRequest
            return Self.error(status, error.description)
        }
        let record = EventRecord(provider: provider.rawValue, deliveryID: delivery.id, kind: delivery.kind, body: body)
        let trigger = "webhook \(provider) \(delivery.id)"
        guard let source = delivery.source else {
            // A ping, an unsupported event, a deleted branch: stored for the record, nothing to run.
            let result = try await dispatcher.store.enqueue(event: record, runs: [], now: Date())
            logger.info("webhook stored; no source to run", metadata: ["provider": "\(provider)", "kind": "\(delivery.kind)"])
            return Self.json(result.duplicate ? .ok : .accepted, [
                "delivery": .string(delivery.id), "duplicate": .bool(result.duplicate), "runs": [], "matched": [],
            ])
        }
        let locations = [source.attributes["clone_url"]?.text, source.attributes["head_clone_url"]?.text, source.checkout?.repositoryURL]
        for case let url? in locations {
            if let refusal = refuseLocalPath(url) { return refusal }
        }
        // The event is the stored body: the store parses it when an action's template needs it.
        let dispatch = try await dispatcher.dispatch(source: source, event: .null, record: record, trigger: trigger)
        return Self.json(dispatch.enqueued.duplicate ? .ok : .accepted, [
            "delivery": .string(delivery.id), "duplicate": .bool(dispatch.enqueued.duplicate),
            "runs": .list(dispatch.enqueued.runs.map { .int(Int($0.id.rawValue)) }),
            "matched": .list(dispatch.matched.map(Value.string)),
        ])
    }

    /// A 422 for a repository location on this machine, unless file URLs are allowed.
    func refuseLocalPath(_ url: String) -> Response? {
        guard !options.allowFileURLs, RepositoryConfigurationReader.isLocal(url) else { return nil }
        return Self.error(.unprocessableContent, "the repository location '\(url)' is a local path; it is refused unless file URLs are allowed")
    }

    // MARK: - API

    func authorized(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        guard JSONRequests.accepts(method: request.method.rawValue, contentType: request.headers[.contentType],
                                   contentLength: request.headers[.contentLength], isChunked: request.headers[.transferEncoding] != nil,
                                   alsoAccepted: ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]) else {
            return Self.error(.unsupportedMediaType, JSONRequests.refusal)
        }
        if let token = options.apiToken {
            guard let given = AuthorizationHeader.bearerToken(request.headers[.authorization]), ConstantTime.equal(given, token) else {
                return Self.error(.unauthorized, "a valid 'Authorization: Bearer' token is required")
            }
        }
        do {
            return try await body()
        } catch let error as PipelineError {
            return error.httpResponse
        }
    }

    static func runID<Context: RequestContext>(_ context: Context) throws(PipelineError) -> RunID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw PipelineError(.notFound, "no such run", operation: "read run")
        }
        return RunID(id)
    }

    func listRuns(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = RunQuery()
        if let name = parameters["configuration"] { query.configuration = String(name) }
        if let statuses = parameters["status"] {
            var set: Set<RunStatus> = []
            for name in statuses.split(separator: ",") {
                guard let status = RunStatus(rawValue: String(name)) else {
                    return Self.error(.badRequest, "unknown status '\(name)'; use \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                set.insert(status)
            }
            query.statuses = set
        }
        if let before = parameters["before"] {
            guard let id = Int64(String(before)) else { return Self.error(.badRequest, "'before' must be a run id") }
            query.before = RunID(id)
        }
        if let limit = parameters["limit"] {
            guard let number = Int(String(limit)), (1...1000).contains(number) else {
                return Self.error(.badRequest, "'limit' must be a number from 1 to 1000")
            }
            query.limit = number
        }
        let runs = try await store.runs(query)
        return Self.json(.ok, ["runs": .list(runs.map(\.jsonValue))])
    }

    func showRun(_ id: RunID) async throws -> Response {
        guard let detail = try await store.run(id) else { return Self.error(.notFound, "no run \(id)") }
        guard case .map(var members) = detail.run.jsonValue else { return Self.error(.internalServerError, "bad run") }
        members["steps"] = .list(detail.steps.map(\.jsonValue))
        return Self.json(.ok, .map(members))
    }

    func runLogs(_ id: RunID, request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var after: Int64 = 0
        if let text = parameters["after"] {
            guard let offset = Int64(String(text)), offset >= 0 else { return Self.error(.badRequest, "'after' must be a byte offset (the previous 'next')") }
            after = offset
        }
        guard try await store.run(id) != nil else { return Self.error(.notFound, "no run \(id)") }
        let follow = parameters["follow"].map { $0 == "true" || $0 == "1" } ?? false
        guard follow else {
            let chunks = try await store.logs(run: id, after: after, limit: 10_000)
            return Self.json(.ok, ["run": .int(Int(id.rawValue)), "chunks": .list(chunks.map(\.jsonValue)),
                                   "next": .int(Int(chunks.last?.end ?? after))])
        }
        // Follow: plain text as it comes, until the run ends.
        let store = self.store
        let start = after
        let body = ResponseBody { writer in
            var offset = start
            while true {
                let finished = try await store.run(id)?.run.status.isFinished ?? true
                let chunks = try await store.logs(run: id, after: offset, limit: 1000)
                for chunk in chunks {
                    try await writer.write(ByteBuffer(string: chunk.text))
                    offset = chunk.end
                }
                if chunks.isEmpty {
                    if finished { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
    }

    func cancelRun(_ id: RunID) async throws -> Response {
        let cancelled = try await store.cancel(id, reason: "cancelled through the API", now: Date())
        return Self.json(cancelled ? .accepted : .conflict, ["run": .int(Int(id.rawValue)), "cancelled": .bool(cancelled)])
    }

    func triggerRun(_ request: Request) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 1 << 20)
        } catch {
            return Self.error(.contentTooLarge, "the body is larger than 1 MiB")
        }
        let body = Array(buffer.readableBytesView)
        let value: Value
        do {
            value = try body.withUnsafeBufferPointer { bytes throws(PipelineError) in try Value(jsonBytes: bytes) }
        } catch {
            return Self.error(.badRequest, error.description)
        }
        guard let name = value["configuration"]?.text else { return Self.error(.badRequest, "'configuration' is required") }
        var attributes: [String: Value] = [:]
        if let given = value["attributes"] {
            guard case .map(let members) = given else { return Self.error(.badRequest, "'attributes' must be an object") }
            attributes = members
        }
        let user = "api"
        attributes["user"] = attributes["user"] ?? .string(user)
        var checkout: Source.Checkout?
        if let url = value["repository_url"]?.text {
            guard let commit = value["commit"]?.text else { return Self.error(.badRequest, "'commit' is required with 'repository_url'") }
            if let refusal = refuseLocalPath(url) { return refusal }
            checkout = Source.Checkout(repositoryURL: url, commit: commit)
            attributes["clone_url"] = attributes["clone_url"] ?? .string(url)
            attributes["commit"] = attributes["commit"] ?? .string(commit)
        }
        let run = try await dispatcher.trigger(configuration: name, source: Source(sourceClass: "manual", attributes: attributes, checkout: checkout), by: user)
        return Self.json(.created, run.jsonValue)
    }

    static func attempt(_ body: () async throws(PipelineError) -> Void) async -> Result<Void, PipelineError> {
        do {
            try await body()
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Responses

    static func json(_ status: HTTPResponse.Status, _ value: Value) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText + "\n")))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": .string(message)])
    }
}
