public import DeployKit
public import ForgeKit
import Foundation
import Logging
import PipelineKit

/// How a repository deploys, as its admins set it up from the web UI or `/api/v1`: which branches
/// deploy (automatically after a successful pipeline run, or waiting for a person's approval), to which
/// environment, with which script; and each environment's variables, secrets and releases.
///
/// What a repository admin may not choose is chosen by the forge: where releases live (a folder of the
/// forge's data, one per repository and environment) and the deploy script's network (the repository's
/// pipeline network, which only site admins change), so that setting up a deploy cannot reach outside
/// the repository's own corner.
public struct DeploySetup: Sendable, Hashable, Codable {
    /// A branch that deploys.
    public struct Branch: Sendable, Hashable, Codable {
        /// The branch (`main`).
        public var name: String
        /// `auto` or `manual`.
        public var mode: DeploymentMode
        /// The environment it deploys to.
        public var environment: String
        /// The script, run by `bash` in the checkout, in the sandbox (`./deploy.sh`).
        public var script: String

        /// Creates a branch rule.
        public init(name: String, mode: DeploymentMode = .manual, environment: String, script: String) {
            self.name = name
            self.mode = mode
            self.environment = environment
            self.script = script
        }

        enum CodingKeys: String, CodingKey { case name, mode, environment, script }

        /// Reads a branch rule; `mode` may be left out (`manual`).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            mode = try container.decodeIfPresent(DeploymentMode.self, forKey: .mode) ?? .manual
            environment = try container.decode(String.self, forKey: .environment)
            script = try container.decode(String.self, forKey: .script)
        }
    }

    /// An environment.
    public struct Environment: Sendable, Hashable, Codable {
        /// Its name (`production`).
        public var name: String
        /// Variables the script gets.
        public var variables: [String: String]
        /// Variables the script gets, masked in logs. Read back, only their names are filled (values empty);
        /// when saving, `nil` keeps the stored ones.
        public var secrets: [String: String]?
        /// How many releases to keep for rollbacks (each deployment a release, `current` switched to it);
        /// `nil` deploys in place, without releases.
        public var keepReleases: Int?

        /// Creates an environment.
        public init(name: String, variables: [String: String] = [:], secrets: [String: String]? = nil, keepReleases: Int? = 5) {
            self.name = name
            self.variables = variables
            self.secrets = secrets
            self.keepReleases = keepReleases
        }

        enum CodingKeys: String, CodingKey { case name, variables, secrets, keepReleases = "keep_releases" }

        /// Reads an environment; `variables` may be left out (none), `keep_releases` too (5; null deploys in place).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            variables = try container.decodeIfPresent([String: String].self, forKey: .variables) ?? [:]
            secrets = try container.decodeIfPresent([String: String].self, forKey: .secrets)
            keepReleases = container.contains(.keepReleases) ? try container.decodeIfPresent(Int.self, forKey: .keepReleases) : 5
        }
    }

    /// The branches that deploy.
    public var branches: [Branch]
    /// The environments.
    public var environments: [Environment]

    /// Creates a setup.
    public init(branches: [Branch], environments: [Environment]) {
        self.branches = branches
        self.environments = environments
    }

    /// Checks names, modes, scripts and references; the message names the field.
    func validate() throws(ForgeError) {
        let operation = "set up deployments"
        func invalid(_ message: String) -> ForgeError { ForgeError(.invalidArgument, message, operation: operation) }
        var environmentNames = Set<String>()
        for (index, environment) in environments.enumerated() {
            guard ProjectSettings.isValidName(environment.name) else {
                throw invalid("environments[\(index)].name: '\(environment.name)' is not a valid name (letters, digits, . _ -)")
            }
            guard environmentNames.insert(environment.name).inserted else { throw invalid("environments[\(index)].name: '\(environment.name)' is named twice") }
            for name in environment.variables.keys.sorted() + (environment.secrets?.keys.sorted() ?? []) where !Self.isVariableName(name) {
                throw invalid("environments[\(index)]: '\(name)' is not a valid variable name")
            }
            if let keep = environment.keepReleases, !(1...50).contains(keep) {
                throw invalid("environments[\(index)].keep_releases must be from 1 to 50")
            }
        }
        var branchNames = Set<String>()
        for (index, branch) in branches.enumerated() {
            guard !branch.name.isEmpty, branch.name.utf8.count <= 255, !branch.name.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw invalid("branches[\(index)].name: '\(branch.name)' is not a branch name")
            }
            guard branchNames.insert(branch.name).inserted else { throw invalid("branches[\(index)].name: '\(branch.name)' is named twice") }
            guard environmentNames.contains(branch.environment) else {
                throw invalid("branches[\(index)].environment: there is no environment '\(branch.environment)'")
            }
            guard !branch.script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, branch.script.utf8.count <= 4096 else {
                throw invalid("branches[\(index)].script must be a command of 1 to 4096 bytes")
            }
        }
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (65...90).contains(first) || (97...122).contains(first) else { return false }
        return name.utf8.count <= 128 && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}

/// Reads and saves repositories' ``DeploySetup`` (one place for the web UI and the API).
public struct DeploymentSetups: Sendable {
    let deployments: DeploymentController
    let repositories: RepositoryStore
    let dataDirectory: String
    let logger: Logger

    /// Where an environment of `repository` keeps its releases: the forge's data, never a path a
    /// repository admin chose.
    public func releasesPath(of repository: RepositoryRecord, environment: String) -> String {
        dataDirectory + "/releases/" + Forge.deployProject(of: repository) + "/" + environment
    }

    /// How `repository` deploys (secret values left out); nil when it does not.
    public func setup(of repository: RepositoryRecord) async throws -> DeploySetup? {
        guard let project = try await deployments.store.project(named: Forge.deployProject(of: repository)) else { return nil }
        return DeploySetup(
            branches: project.branches.map { DeploySetup.Branch(name: $0.name, mode: $0.mode, environment: $0.environment, script: $0.script) },
            environments: project.environments.map {
                DeploySetup.Environment(name: $0.name, variables: $0.variables, secrets: $0.secrets.mapValues { _ in "" },
                                        keepReleases: $0.releases?.keep)
            })
    }

    /// Makes `repository` deploy as `setup` says (replacing what it did before; secrets not given are
    /// kept). An empty setup stops it deploying new commits.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` naming the field that is wrong.
    public func save(_ setup: DeploySetup, for repository: RepositoryRecord) async throws {
        try setup.validate()
        let name = Forge.deployProject(of: repository)
        let existing = try await deployments.store.project(named: name)
        let network: Sandbox.Network = repository.pipelineNetwork == .host ? .host : .none
        let environments = setup.environments.map { environment in
            EnvironmentSettings(name: environment.name, variables: environment.variables,
                                secrets: environment.secrets ?? existing?.environment(environment.name)?.secrets ?? [:],
                                releases: environment.keepReleases.map { ReleaseSettings(path: releasesPath(of: repository, environment: environment.name), keep: $0) },
                                network: network)
        }
        try await deployments.store.saveProject(ProjectSettings(
            name: name, repositoryURL: repositories.directory(for: repository.path),
            branches: setup.branches.map { BranchSettings(name: $0.name, mode: $0.mode, script: $0.script, environment: $0.environment) },
            environments: environments))
        logger.info("deployments set up", metadata: ["repository": "\(repository.path)", "branches": "\(setup.branches.map(\.name))"])
    }
}

extension Forge {
    /// Repositories' deploy set-ups.
    public var deploymentSetups: DeploymentSetups {
        DeploymentSetups(deployments: deployments, repositories: repositories, dataDirectory: options.dataDirectory, logger: logger)
    }
}
