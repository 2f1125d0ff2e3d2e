import DeployKit
import ForgeKit
import Foundation
import PipelineKit

// The REST API's request and response bodies, as Codable types: the JSON shapes in one place, checked
// by the compiler. Optional fields that an answer always carries (`@NullEncoded`) are written as `null`,
// the others left out when absent.

/// An optional field written as `null` when absent, instead of being left out.
@propertyWrapper
struct NullEncoded<Wrapped: Encodable>: Encodable {
    var wrappedValue: Wrapped?

    init(wrappedValue: Wrapped?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

/// `{"error": "…"}`.
struct APIErrorBody: Encodable {
    var error: String
}

/// A new token, shown once: Gitea's `AccessToken` (`sha1` is the token itself) plus `token` and `scope`.
struct APINewToken: Encodable {
    var id: Int64
    var name: String
    var token: String
    var sha1: String
    var scope: String
    var scopes: [String]
    var tokenLastEight: String

    init(_ record: APIToken, token: String) {
        id = record.id
        name = record.name
        self.token = token
        sha1 = token
        scope = record.scope.rawValue
        scopes = APITokenListItem.giteaScopes(record.scope)
        tokenLastEight = String(token.suffix(8))
    }
}

/// A token in a list (never the token itself).
struct APITokenListItem: Encodable {
    var id: Int64
    var name: String
    var scope: String
    var scopes: [String]
    var createdAt: Date
    var lastUsedAt: Date?

    init(_ record: APIToken) {
        id = record.id
        name = record.name
        scope = record.scope.rawValue
        scopes = Self.giteaScopes(record.scope)
        createdAt = record.createdAt
        lastUsedAt = record.lastUsedAt
    }

    /// Gitea's names for a scope.
    static func giteaScopes(_ scope: TokenScope) -> [String] {
        switch scope {
        case .read: ["read:repository", "read:user"]
        case .write: ["write:repository", "write:user"]
        case .admin: ["all"]
        }
    }

    enum CodingKeys: String, CodingKey { case id, name, scope, scopes, createdAt = "created_at", lastUsedAt = "last_used_at" }
}

struct APIGroup: Encodable {
    var path: String
    var description: String
}

struct APIGroupGrant: Encodable {
    var group: String
    var user: String
    var level: String
}

struct APIGrant: Encodable {
    var user: String
    var level: String
}

struct APIReference: Encodable {
    var name: String
    var ref: String?
    var commit: String
}

struct APISignature: Encodable {
    var name: String
    var email: String
    var time: Int64
    var offsetMinutes: Int?

    enum CodingKeys: String, CodingKey {
        case name, email, time
        case offsetMinutes = "offset_minutes"
    }
}

struct APIChangedFile: Encodable {
    var path: String
    var status: String
}

struct APICommit: Encodable {
    var id: String
    var parents: [String]
    var message: String
    var summary: String
    var author: APISignature
    var committer: APISignature
    /// With a commit's detail only.
    var files: [APIChangedFile]?
    var patch: String?
    var patchTruncated: Bool?

    init(_ commit: Commit) {
        id = commit.id.hex
        parents = commit.parentIDs.map(\.hex)
        message = commit.message
        summary = commit.summary
        author = APISignature(name: commit.author.name, email: commit.author.email, time: commit.author.time,
                              offsetMinutes: commit.author.timeZoneOffsetMinutes)
        committer = APISignature(name: commit.committer.name, email: commit.committer.email, time: commit.committer.time)
    }

    enum CodingKeys: String, CodingKey {
        case id, parents, message, summary, author, committer, files, patch
        case patchTruncated = "patch_truncated"
    }
}

struct APIChangeset: Encodable {
    var id: String
    var revision: Int?
    var message: String
    var branch: String
    var author: String
    var date: Double?
    /// With a changeset's detail only.
    var files: [APIChangedFile]?
}

struct APITreeEntry: Encodable {
    var name: String
    var path: String
    var mode: String
    var id: String
    @NullEncoded var size: Int?
}

struct APIBlob: Encodable {
    var path: String
    var size: Int
    var encoding: String
    var content: String
}

struct APIDelivery: Encodable {
    var id: Int64
    var guid: String
    var event: String
    var state: String
    var attempts: Int
    @NullEncoded var responseStatus: Int?
    @NullEncoded var error: String?

    enum CodingKeys: String, CodingKey {
        case id, guid, event, state, attempts, error
        case responseStatus = "response_status"
    }
}

struct APISecret: Encodable {
    var name: String
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
    }
}

struct APINetwork: Encodable {
    var network: String
}

/// A stored pipeline configuration of a repository: its name there, the name it is stored under, and
/// its definition in the seed's JSON schema.
struct APIStoredPipeline: Encodable {
    var name: String
    var fullName: String
    var configuration: Value

    enum CodingKeys: String, CodingKey {
        case name, configuration
        case fullName = "full_name"
    }
}

struct APISavedPipelines: Encodable {
    var saved: [String]
}

struct APIDeployment: Encodable {
    var id: Int64
    var branch: String
    var commit: String
    var environment: String
    var state: String
    var attempt: Int
    var requestedBy: String
    @NullEncoded var release: String?
    @NullEncoded var reason: String?
    var createdAt: Double
    /// `deploy` or `rollback`.
    var kind: String
    /// For a rollback, the release asked for (null: the previous one).
    @NullEncoded var rollbackTo: String?

    init(_ deployment: Deployment) {
        id = deployment.id.rawValue
        switch deployment.kind {
        case .deploy: kind = "deploy"
        case .rollback(let release):
            kind = "rollback"
            rollbackTo = release
        }
        branch = deployment.branch
        commit = deployment.commit
        environment = deployment.environment
        state = deployment.state.rawValue
        attempt = deployment.attempt
        requestedBy = deployment.requestedBy
        release = deployment.release
        reason = deployment.reason
        createdAt = deployment.createdAt.timeIntervalSince1970
    }

    enum CodingKeys: String, CodingKey {
        case id, branch, commit, environment, state, attempt, release, reason, kind
        case requestedBy = "requested_by", createdAt = "created_at", rollbackTo = "rollback_to"
    }
}

/// A release an environment can roll back to.
struct APIRelease: Encodable {
    var release: String
    var commit: String
    var branch: String
    var deployment: Int64
    var current: Bool
    var finishedAt: Double?

    init(_ deployment: Deployment, current: Bool) {
        release = deployment.release ?? ""
        commit = deployment.commit
        branch = deployment.branch
        self.deployment = deployment.id.rawValue
        self.current = current
        finishedAt = deployment.finishedAt?.timeIntervalSince1970
    }

    enum CodingKeys: String, CodingKey { case release, commit, branch, deployment, current, finishedAt = "finished_at" }
}

/// A run as the lists show it; `GET /api/v1/runs/ID` adds its steps (state, attempts, result, error).
/// A step's state in words: a step whose action returned a falsy result (a command's non-zero exit)
/// failed the run, whatever the action itself did, and says `failed`.
func displayedState(of step: StepRecord, in run: RunStatus) -> String {
    if step.state == .succeeded, let result = step.result, !result.isTruthy { return "failed" }
    // A step of a run that has ended is not waiting or running any more, whatever the store last heard.
    if run.isFinished, step.state == .queued || step.state == .running { return run == .cancelled || run == .superseded ? run.rawValue : "stopped" }
    return step.state.rawValue
}

struct APIRun: Encodable {
    struct Step: Encodable {
        var sequence: Int
        var name: String
        var task: String
        var state: String
        var attempts: Int
        @NullEncoded var result: Value?
        @NullEncoded var error: String?
    }

    var id: Int64
    /// The run's number in its repository (`/NAME/-/run/N`); null for runs stored before numbers.
    @NullEncoded var number: Int64?
    var configuration: String
    var status: String
    var trigger: String
    @NullEncoded var commit: String?
    @NullEncoded var branch: String?
    @NullEncoded var reason: String?
    var createdAt: Double
    /// With one run only; left out of lists.
    var steps: [Step]?

    init(_ run: RunRecord) {
        id = run.id.rawValue
        number = run.number
        branch = run.source.attributes["branch"]?.text
        configuration = run.configurationName
        status = run.status.rawValue
        trigger = run.trigger
        commit = run.source.checkout?.commit
        reason = run.reason
        createdAt = run.createdAt.timeIntervalSince1970
    }

    init(_ detail: RunDetail) {
        self.init(detail.run)
        steps = detail.steps.map {
            Step(sequence: $0.sequence, name: $0.actionName, task: $0.task, state: displayedState(of: $0, in: detail.run.status), attempts: $0.attempts,
                 result: $0.result, error: $0.error)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, number, configuration, status, trigger, commit, branch, reason, steps
        case createdAt = "created_at"
    }
}

/// `{text, next, state, done}`: a part of a run's or a deployment's log.
struct APILogPart: Encodable {
    var text: String
    var next: Int
    var state: String
    var done: Bool
}

// MARK: - Request bodies

/// `POST /user/tokens`.
/// `POST /user/tokens` and Gitea's `POST /users/{name}/tokens`: `scope` is `read`, `write` or
/// `admin`; Gitea's `scopes` list is read as the highest level it names (`all` or `…:admin` is admin).
struct APITokenRequest: Decodable {
    var name: String?
    var scope: String?
    var scopes: [String]?

    func resolvedScope() -> TokenScope? {
        if let scope { return TokenScope(rawValue: scope) }
        guard let scopes, !scopes.isEmpty else { return .write }
        if scopes.contains(where: { $0 == "all" || $0.hasSuffix(":admin") }) { return .admin }
        if scopes.contains(where: { $0.hasPrefix("write:") }) { return .write }
        return scopes.allSatisfy { $0.hasPrefix("read:") } ? .read : nil
    }
}

/// `POST /users`.
struct APIUserRequest: Decodable {
    var name: String?
    var email: String?
    var password: String?
    var admin: Bool?
}

/// `POST /repos`.
struct APIRepositoryRequest: Decodable {
    var name: String?
    var type: String?
    var `private`: Bool?
    var description: String?
}

/// `PUT …/permissions/USER`.
struct APILevelRequest: Decodable {
    var level: String?
}

/// `POST …/hooks`.
struct APIWebhookRequest: Decodable {
    var url: String?
    var secret: String?
}

/// `PUT …/secrets/NAME`.
struct APISecretRequest: Decodable {
    var data: String?
}

/// `PUT …/pipeline-network`.
struct APINetworkRequest: Decodable {
    var network: String?
}

/// `POST …/deployments` and its actions.
struct APIDeploymentRequest: Decodable {
    var branch: String?
    var commit: String?
    var environment: String?
    var release: String?

    var fields: [String: String] {
        var fields: [String: String] = [:]
        fields["branch"] = branch
        fields["commit"] = commit
        fields["environment"] = environment
        fields["release"] = release
        return fields
    }
}
