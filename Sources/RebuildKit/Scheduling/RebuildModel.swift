public import Foundation

/// What a collection is: one repository, architecture and build group whose source packages are
/// watched and rebuilt (Koschei's collection). Read from a JSON file by `rebuilder watch`.
public struct RebuildCollection: Sendable, Hashable, Codable {
    /// The repository's format.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `Packages` and `Sources` indexes (deb822, plain or compressed).
        case debian
        /// `repodata/repomd.xml` with a primary index; sources from a second repository.
        case rpm
    }

    /// A unique name.
    public var name: String
    public var kind: Kind
    /// Debian: a directory or http(s) URL holding `Packages` and `Sources` (or their `.xz`/`.gz`).
    /// RPM: the binary repository (a directory with `repodata/`, or its http(s) URL). URLs are
    /// mirrored by ``RepositoryMirror``.
    public var repository: String
    /// RPM: the source repository (a directory with `repodata/`, or its http(s) URL).
    public var sourceRepository: String?
    /// `amd64`, `x86_64`, …
    public var architecture: String
    /// The build group: Debian clauses (default `build-essential`) or RPM package names (default
    /// Fedora's `build` group).
    public var buildGroup: [String]?
    /// Packages to track; nil tracks every source package.
    public var tracked: [String]?
    /// Packages never scheduled.
    public var blocked: [String]?

    /// Creates a collection.
    public init(name: String, kind: Kind, repository: String, sourceRepository: String? = nil, architecture: String,
                buildGroup: [String]? = nil, tracked: [String]? = nil, blocked: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.repository = repository
        self.sourceRepository = sourceRepository
        self.architecture = architecture
        self.buildGroup = buildGroup
        self.tracked = tracked
        self.blocked = blocked
    }
}

/// Where a package stands, as the status page shows it.
public enum PackageState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Its build environment resolves and its last build (if any) succeeded.
    case ok
    /// Its last build failed.
    case failing
    /// Its build environment does not resolve (or its build-dependencies do not parse).
    case unresolved
    /// Never scheduled, by configuration or by hand.
    case blocked
    /// Not tracked.
    case untracked
}

/// A source package of a collection, with what scheduling needs.
public struct PackageRecord: Sendable, Hashable, Codable {
    public var collection: String
    public var name: String
    /// The version in the newest snapshot.
    public var version: String
    public var tracked: Bool
    public var blocked: Bool
    /// Set by a person; reset to 0 when a build is submitted (Koschei's manual priority).
    public var manualPriority: Double
    /// A fixed part, per package.
    public var staticPriority: Double
    /// Whether the newest resolution succeeded; nil before the first.
    public var resolved: Bool?
    /// Why it did not resolve.
    public var problems: [String]
    /// The newest resolved build environment.
    public var environment: [ResolvedPackage]

    /// Creates a record.
    public init(collection: String, name: String, version: String, tracked: Bool = true, blocked: Bool = false,
                manualPriority: Double = 0, staticPriority: Double = 0, resolved: Bool? = nil, problems: [String] = [],
                environment: [ResolvedPackage] = []) {
        self.collection = collection
        self.name = name
        self.version = version
        self.tracked = tracked
        self.blocked = blocked
        self.manualPriority = manualPriority
        self.staticPriority = staticPriority
        self.resolved = resolved
        self.problems = problems
        self.environment = environment
    }
}

extension ResolvedPackage: Codable {
    private enum CodingKeys: String, CodingKey { case name, version, distance }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), version: try container.decode(String.self, forKey: .version),
                  distance: try container.decodeIfPresent(Int.self, forKey: .distance))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(distance, forKey: .distance)
    }
}

extension DependencyChange: Codable {
    private enum CodingKeys: String, CodingKey { case name, oldVersion = "old_version", newVersion = "new_version", distance }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), oldVersion: try container.decodeIfPresent(String.self, forKey: .oldVersion),
                  newVersion: try container.decodeIfPresent(String.self, forKey: .newVersion),
                  distance: try container.decodeIfPresent(Int.self, forKey: .distance))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(oldVersion, forKey: .oldVersion)
        try container.encodeIfPresent(newVersion, forKey: .newVersion)
        try container.encodeIfPresent(distance, forKey: .distance)
    }
}

/// How a build is going or ended.
public enum BuildState: String, Sendable, Hashable, Codable {
    case running, succeeded, failed, canceled

    /// Whether it has ended.
    public var isFinished: Bool { self != .running }
}

/// One build of a package: what was submitted, with the environment it was resolved against, so
/// the next dependency diff is against it.
public struct BuildRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var collection: String
    public var package: String
    public var version: String
    public var state: BuildState
    /// The backend's handle for it.
    public var backendID: String
    public var started: Date
    public var finished: Date?
    /// The resolved build environment it was submitted with.
    public var environment: [ResolvedPackage]
    /// Why it failed, when it did.
    public var reason: String?

    /// Creates a record.
    public init(id: Int64 = 0, collection: String, package: String, version: String, state: BuildState = .running, backendID: String,
                started: Date, finished: Date? = nil, environment: [ResolvedPackage], reason: String? = nil) {
        self.id = id
        self.collection = collection
        self.package = package
        self.version = version
        self.state = state
        self.backendID = backendID
        self.started = started
        self.finished = finished
        self.environment = environment
        self.reason = reason
    }
}

extension RebuildCollection {
    /// Reads a collection file: JSON with snake_case keys (`{"name", "kind", "repository",
    /// "source_repository", "architecture", "build_group", "tracked", "blocked"}`).
    ///
    /// - Throws: ``RebuildError`` `invalidConfiguration` naming the file and the field that is missing,
    ///   mistyped or not JSON.
    public static func load(file path: String) throws(RebuildError) -> RebuildCollection {
        func failure(_ message: String) -> RebuildError {
            RebuildError(.invalidConfiguration, "\(path): \(message)", operation: "load collection")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw failure("cannot read the collection file") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let collection: RebuildCollection
        do {
            collection = try decoder.decode(RebuildCollection.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw failure("the field '\(key.stringValue)' is missing")
        } catch DecodingError.dataCorrupted(let context) {
            throw failure("not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))")
        } catch DecodingError.typeMismatch(_, let context) {
            throw failure("\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch DecodingError.valueNotFound(_, let context) {
            throw failure("\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw failure("\(error)")
        }
        guard !collection.name.isEmpty else { throw failure("the collection's name is empty") }
        return collection
    }
}
