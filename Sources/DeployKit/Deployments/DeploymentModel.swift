public import Foundation
public import PipelineKit

/// A deployment's number, unique in its store and increasing with creation.
public struct DeploymentID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The number.
    public let rawValue: Int64
    /// Wraps a number.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Wraps a number.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(rawValue)" }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Whether a branch deploys by itself after a successful pipeline run, or waits for a person.
public enum DeploymentMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// A successful pipeline run queues an `initialized` deployment that runners pick up.
    case auto
    /// A successful pipeline run queues a `not_initialized` deployment that waits to be started.
    case manual
}

/// How a branch of a project is deployed (Polytene's branch configuration).
public struct BranchSettings: Sendable, Hashable, Codable {
    /// The branch's name, such as `main`.
    public var name: String
    /// Automatic or manual.
    public var mode: DeploymentMode
    /// The deploy script, run by `bash` on the runner (any tool: Capistrano, Ansible, `rsync`, …).
    public var script: String
    /// The environment a deployment of this branch goes to unless another is asked for.
    public var environment: String

    /// Creates branch settings.
    public init(name: String, mode: DeploymentMode = .manual, script: String, environment: String) {
        self.name = name
        self.mode = mode
        self.script = script
        self.environment = environment
    }
}

/// Where a runner keeps an environment's releases (Capistrano's and Kamal's layout, see
/// ``ReleaseManager``): `path/releases/<name>` and the `path/current` symlink.
public struct ReleaseSettings: Sendable, Hashable, Codable {
    /// The environment's deploy directory on the runner's machine (absolute).
    public var path: String
    /// How many activated releases to keep.
    public var keep: Int

    /// Creates release settings.
    public init(path: String, keep: Int = 5) {
        self.path = path
        self.keep = keep
    }
}

/// An environment of a project — `dev`, `stage`, `prod` or any other — with what its deploy script gets.
public struct EnvironmentSettings: Sendable, Hashable, Codable {
    /// The environment's name.
    public var name: String
    /// Variables the deploy script gets.
    public var variables: [String: String]
    /// Variables the deploy script gets whose values are masked in logs and notifications.
    public var secrets: [String: String]
    /// When set, each deployment becomes a release directory and success switches `current` to it.
    public var releases: ReleaseSettings?
    /// The network the deploy script reaches from the runner's sandbox: ``Sandbox/Network/host`` by
    /// default (deploying usually needs it), ``Sandbox/Network/none`` for an empty network namespace.
    public var network: Sandbox.Network

    /// Creates environment settings.
    public init(name: String, variables: [String: String] = [:], secrets: [String: String] = [:], releases: ReleaseSettings? = nil,
                network: Sandbox.Network = .host) {
        self.name = name
        self.variables = variables
        self.secrets = secrets
        self.releases = releases
        self.network = network
    }

    enum CodingKeys: String, CodingKey {
        case name, variables, secrets, releases, network
    }

    /// Decodes settings; those stored before the network policy existed get ``Sandbox/Network/host``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        variables = try container.decode([String: String].self, forKey: .variables)
        secrets = try container.decode([String: String].self, forKey: .secrets)
        releases = try container.decodeIfPresent(ReleaseSettings.self, forKey: .releases)
        network = try container.decodeIfPresent(Sandbox.Network.self, forKey: .network) ?? .host
    }
}

/// A deployable project: a repository, the branches that deploy and the environments they deploy to.
public struct ProjectSettings: Sendable, Hashable, Codable {
    /// The project's name (see ``isValidName(_:)``).
    public var name: String
    /// Where runners clone from: a URL (`https://`, `ssh://`, `git@host:path`) or a path on the runner's machine.
    public var repositoryURL: String
    /// The branches that deploy.
    public var branches: [BranchSettings]
    /// The environments.
    public var environments: [EnvironmentSettings]

    /// Creates project settings.
    public init(name: String, repositoryURL: String, branches: [BranchSettings] = [], environments: [EnvironmentSettings] = []) {
        self.name = name
        self.repositoryURL = repositoryURL
        self.branches = branches
        self.environments = environments
    }

    /// The settings of `branch`, if it deploys.
    public func branch(_ name: String) -> BranchSettings? { branches.first { $0.name == name } }
    /// The settings of environment `name`.
    public func environment(_ name: String) -> EnvironmentSettings? { environments.first { $0.name == name } }

    /// Whether `name` can name a project, an environment or a runner: 1 to 100 characters of
    /// `[A-Za-z0-9._-]`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 100, isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Checks names, references between branches and environments, scripts and release settings.
    ///
    /// - Throws: ``DeployError`` `.invalidConfiguration` naming the project and the offending field.
    public func validate() throws(DeployError) {
        let operation = "check project"
        func fail(_ message: String) -> DeployError {
            DeployError(.invalidConfiguration, "project '\(name)': \(message)", operation: operation)
        }
        guard Self.isValidName(name) else {
            throw DeployError(.invalidConfiguration, "'\(name)' is not a valid project name (letters, digits, '.', '_', '-')", operation: operation)
        }
        guard !repositoryURL.isEmpty, !repositoryURL.utf8.contains(0) else { throw fail("repository is empty") }
        var environmentNames = Set<String>()
        for environment in environments {
            guard Self.isValidName(environment.name) else { throw fail("'\(environment.name)' is not a valid environment name") }
            guard environmentNames.insert(environment.name).inserted else { throw fail("environment '\(environment.name)' is defined twice") }
            for key in environment.variables.keys.sorted() + environment.secrets.keys.sorted() where !Self.isVariableName(key) {
                throw fail("environment '\(environment.name)': '\(key)' is not a valid variable name")
            }
            if let releases = environment.releases {
                guard releases.path.hasPrefix("/") else { throw fail("environment '\(environment.name)': releases.path must be absolute") }
                guard releases.keep >= 1 else { throw fail("environment '\(environment.name)': releases.keep must be at least 1") }
            }
        }
        var branchNames = Set<String>()
        for branch in branches {
            guard !branch.name.isEmpty, !branch.name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw fail("a branch has an empty or invalid name")
            }
            guard branchNames.insert(branch.name).inserted else { throw fail("branch '\(branch.name)' is defined twice") }
            guard environmentNames.contains(branch.environment) else {
                throw fail("branch '\(branch.name)' deploys to environment '\(branch.environment)', which is not defined")
            }
            guard !branch.script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("branch '\(branch.name)' has an empty script")
            }
        }
    }

    /// Whether `name` can be an environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
    public static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= 0x61 && first | 0x20 <= 0x7A) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }
}

/// What a deployment does.
public enum DeploymentKind: Sendable, Hashable {
    /// Check out the commit and run the branch's script (and switch `current` when the environment keeps releases).
    case deploy
    /// Switch `current` back to the previous release, or to the one named, without rebuilding.
    case rollback(to: String?)
}

/// A deployment as stored: a snapshot, not a live object.
public struct Deployment: Sendable, Hashable {
    /// Its number.
    public var id: DeploymentID
    /// The project's name.
    public var project: String
    /// The branch whose settings (script) it uses.
    public var branch: String
    /// The full commit id deployed (for a rollback, the commit of the deployment that made the current release, or empty).
    public var commit: String
    /// The environment.
    public var environment: String
    /// Deploy or roll back.
    public var kind: DeploymentKind
    /// Where it is in its life.
    public var state: DeploymentState
    /// How many times a runner has claimed it (1 for the first run).
    public var attempt: Int
    /// The runner holding (or that last held) it.
    public var runner: String?
    /// Who or what asked for it (`pipeline`, a user's name, `api`, `cli`).
    public var requestedBy: String
    /// When it was queued.
    public var createdAt: Date
    /// When a runner last claimed it.
    public var startedAt: Date?
    /// When it ended.
    public var finishedAt: Date?
    /// Why it failed or was cancelled, for a person (the failing line of the script, a lost runner, …).
    public var reason: String?
    /// The release directory it made or switched to, when the environment keeps releases.
    public var release: String?
    /// How many bytes of log it has.
    public var logSize: Int

    /// Creates a snapshot.
    public init(id: DeploymentID, project: String, branch: String, commit: String, environment: String, kind: DeploymentKind,
                state: DeploymentState, attempt: Int = 0, runner: String? = nil, requestedBy: String, createdAt: Date,
                startedAt: Date? = nil, finishedAt: Date? = nil, reason: String? = nil, release: String? = nil, logSize: Int = 0) {
        self.id = id
        self.project = project
        self.branch = branch
        self.commit = commit
        self.environment = environment
        self.kind = kind
        self.state = state
        self.attempt = attempt
        self.runner = runner
        self.requestedBy = requestedBy
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.reason = reason
        self.release = release
        self.logSize = logSize
    }
}

/// A deployment to create.
public struct NewDeployment: Sendable, Hashable {
    /// The project's name.
    public var project: String
    /// The branch.
    public var branch: String
    /// The full commit id.
    public var commit: String
    /// The environment.
    public var environment: String
    /// Deploy or roll back.
    public var kind: DeploymentKind
    /// `initialized` (runners may take it) or `notInitialized` (waits for a person).
    public var state: DeploymentState
    /// Who or what asked for it.
    public var requestedBy: String

    /// Describes a deployment to create.
    public init(project: String, branch: String, commit: String, environment: String, kind: DeploymentKind = .deploy,
                state: DeploymentState = .initialized, requestedBy: String) {
        self.project = project
        self.branch = branch
        self.commit = commit
        self.environment = environment
        self.kind = kind
        self.state = state
        self.requestedBy = requestedBy
    }
}

/// A registered runner (its token is stored only as a SHA-256 digest).
public struct RunnerRecord: Sendable, Hashable {
    /// The runner's name.
    public var name: String
    /// The projects it may deploy; empty means every project.
    public var projects: [String]
    /// When it last called the server.
    public var lastSeen: Date?

    /// Creates a record.
    public init(name: String, projects: [String], lastSeen: Date? = nil) {
        self.name = name
        self.projects = projects
        self.lastSeen = lastSeen
    }

    /// Whether the runner may deploy `project`.
    public func serves(_ project: String) -> Bool { projects.isEmpty || projects.contains(project) }
}

/// Which deployments to list.
public struct DeploymentQuery: Sendable, Hashable {
    /// Only this project's.
    public var project: String?
    /// Only this environment's.
    public var environment: String?
    /// Only those in this state.
    public var state: DeploymentState?
    /// Only those with a smaller id (paging, newest first).
    public var before: DeploymentID?
    /// At most this many.
    public var limit: Int

    /// Creates a query.
    public init(project: String? = nil, environment: String? = nil, state: DeploymentState? = nil,
                before: DeploymentID? = nil, limit: Int = 50) {
        self.project = project
        self.environment = environment
        self.state = state
        self.before = before
        self.limit = limit
    }
}

/// What happens to a running deployment whose runner stopped renewing its lease.
public enum LeaseExpiryPolicy: Sendable, Hashable {
    /// It fails, with the lost runner as the reason (a deploy script may not be safe to repeat).
    case fail
    /// It goes back to `initialized` for another runner, until it has been claimed `maxAttempts`
    /// times; then it fails.
    case requeue(maxAttempts: Int)
}

/// A part of a deployment's log: the text from byte `offset` up to `next`.
public struct DeploymentLog: Sendable, Hashable {
    /// The UTF-8 text.
    public var text: String
    /// The byte offset of its start.
    public var offset: Int
    /// The byte offset after it: pass it as `after` for the next part.
    public var next: Int

    /// Creates a log part.
    public init(text: String, offset: Int, next: Int) {
        self.text = text
        self.offset = offset
        self.next = next
    }
}
