import Foundation
public import PipelineKit

/// What a runner receives when it claims a deployment: the deployment and everything needed to run
/// it on another machine.
public struct DeploymentJob: Sendable, Hashable, Codable {
    /// The claimed deployment (`running`, with the attempt the claim counted).
    public var deployment: Deployment
    /// Where to clone from.
    public var repositoryURL: String
    /// The branch's deploy script.
    public var script: String
    /// The environment's variables.
    public var variables: [String: String]
    /// The environment's secrets (masked in everything the runner sends back).
    public var secrets: [String: String]
    /// Where the environment keeps releases, if it does.
    public var releases: ReleaseSettings?
    /// How long the claim lasts without a heartbeat, in seconds.
    public var leaseSeconds: Double
    /// The network the script reaches (the environment's ``EnvironmentSettings/network``).
    public var network: Sandbox.Network

    /// Creates a job.
    public init(deployment: Deployment, repositoryURL: String, script: String, variables: [String: String],
                secrets: [String: String], releases: ReleaseSettings?, leaseSeconds: Double, network: Sandbox.Network = .host) {
        self.deployment = deployment
        self.repositoryURL = repositoryURL
        self.script = script
        self.variables = variables
        self.secrets = secrets
        self.releases = releases
        self.leaseSeconds = leaseSeconds
        self.network = network
    }

    enum CodingKeys: String, CodingKey {
        case deployment, script, variables, secrets, releases, network
        case repositoryURL = "repository_url"
        case leaseSeconds = "lease_seconds"
    }

    /// Decodes a job; a server that names no network gives ``Sandbox/Network/host``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        deployment = try container.decode(Deployment.self, forKey: .deployment)
        repositoryURL = try container.decode(String.self, forKey: .repositoryURL)
        script = try container.decode(String.self, forKey: .script)
        variables = try container.decode([String: String].self, forKey: .variables)
        secrets = try container.decode([String: String].self, forKey: .secrets)
        releases = try container.decodeIfPresent(ReleaseSettings.self, forKey: .releases)
        leaseSeconds = try container.decode(Double.self, forKey: .leaseSeconds)
        network = try container.decodeIfPresent(Sandbox.Network.self, forKey: .network) ?? .host
    }
}

/// A deployment's JSON form (snake_case keys, ISO 8601 times), used by the HTTP API and its client.
extension Deployment: Codable {
    enum CodingKeys: String, CodingKey {
        case id, project, branch, commit, environment, kind, state, attempt, runner, reason, release
        case rollbackTo = "rollback_to"
        case requestedBy = "requested_by"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case logSize = "log_size"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(DeploymentID.self, forKey: .id)
        project = try container.decode(String.self, forKey: .project)
        branch = try container.decode(String.self, forKey: .branch)
        commit = try container.decode(String.self, forKey: .commit)
        environment = try container.decode(String.self, forKey: .environment)
        switch try container.decode(String.self, forKey: .kind) {
        case "deploy": kind = .deploy
        case "rollback": kind = .rollback(to: try container.decodeIfPresent(String.self, forKey: .rollbackTo))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown kind '\(other)'")
        }
        state = try container.decode(DeploymentState.self, forKey: .state)
        attempt = try container.decode(Int.self, forKey: .attempt)
        runner = try container.decodeIfPresent(String.self, forKey: .runner)
        requestedBy = try container.decode(String.self, forKey: .requestedBy)
        createdAt = try Self.date(container, .createdAt) ?? Date(timeIntervalSince1970: 0)
        startedAt = try Self.date(container, .startedAt)
        finishedAt = try Self.date(container, .finishedAt)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        release = try container.decodeIfPresent(String.self, forKey: .release)
        logSize = try container.decodeIfPresent(Int.self, forKey: .logSize) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(project, forKey: .project)
        try container.encode(branch, forKey: .branch)
        try container.encode(commit, forKey: .commit)
        try container.encode(environment, forKey: .environment)
        switch kind {
        case .deploy:
            try container.encode("deploy", forKey: .kind)
        case .rollback(let target):
            try container.encode("rollback", forKey: .kind)
            try container.encodeIfPresent(target, forKey: .rollbackTo)
        }
        try container.encode(state, forKey: .state)
        try container.encode(attempt, forKey: .attempt)
        try container.encodeIfPresent(runner, forKey: .runner)
        try container.encode(requestedBy, forKey: .requestedBy)
        try container.encode(Self.format(createdAt), forKey: .createdAt)
        try container.encodeIfPresent(startedAt.map(Self.format), forKey: .startedAt)
        try container.encodeIfPresent(finishedAt.map(Self.format), forKey: .finishedAt)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(release, forKey: .release)
        try container.encode(logSize, forKey: .logSize)
    }

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func format(_ date: Date) -> String { date.formatted(timeFormat) }

    private static func date(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = try? timeFormat.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "'\(text)' is not an ISO 8601 time")
        }
        return date
    }
}
