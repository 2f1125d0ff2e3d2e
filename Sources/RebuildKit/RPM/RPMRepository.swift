import CLibSolv
import Foundation

/// An RPM repository's metadata (`repodata/repomd.xml`) and the primary index it names, checked
/// against the checksum repomd.xml gives for it.
public struct RPMRepository: Sendable, Hashable {
    /// The repository's directory (the one holding `repodata/`).
    public var directory: String
    /// repomd.xml's `<revision>`, when it has one.
    public var revision: String?
    /// The primary index's path.
    public var primaryPath: String
    /// The primary index's SHA-256 as repomd.xml lists it.
    public var primaryChecksum: String

    /// What identifies this snapshot: the primary index's checksum.
    public var identity: SnapshotIdentity { SnapshotIdentity(checksums: ["primary": primaryChecksum]) }

    /// Reads `DIRECTORY/repodata/repomd.xml`.
    ///
    /// - Throws: ``RebuildError`` `.io` when it cannot be read, `.invalidIndex` with file and line when
    ///   it has no primary entry, no location or no SHA-256 checksum for it, when the primary index is
    ///   missing, or when its checksum differs from the listed one (a truncated or partial download).
    public init(directory: String) throws(RebuildError) {
        let path = "\(directory)/repodata/repomd.xml"
        let operation = "read repomd.xml"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RebuildError(.io, "cannot read", operation: operation, file: path)
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("<repomd") else {
            throw RebuildError(.invalidIndex, "not a repomd document (no <repomd> element)", operation: operation, file: path, line: 1)
        }
        guard let primaryStart = text.range(of: #"<data type="primary">"#) else {
            throw RebuildError(.invalidIndex, "no <data type=\"primary\"> entry", operation: operation, file: path)
        }
        let line = text[..<primaryStart.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        guard let primaryEnd = text.range(of: "</data>", range: primaryStart.upperBound..<text.endIndex) else {
            throw RebuildError(.invalidIndex, "the primary entry is not closed", operation: operation, file: path, line: line)
        }
        let entry = text[primaryStart.upperBound..<primaryEnd.lowerBound]
        guard let href = Self.attribute("href", ofFirst: "location", in: entry) else {
            throw RebuildError(.invalidIndex, "the primary entry has no <location href=…>", operation: operation, file: path, line: line)
        }
        guard let checksum = Self.checksum(in: entry) else {
            throw RebuildError(.invalidIndex, "the primary entry has no sha256 <checksum>", operation: operation, file: path, line: line)
        }
        guard !href.contains(".."), !href.hasPrefix("/") else {
            throw RebuildError(.invalidIndex, "the primary location '\(href)' leaves the repository", operation: operation, file: path, line: line)
        }
        self.directory = directory
        self.primaryPath = "\(directory)/\(href)"
        self.primaryChecksum = checksum
        if let revisionStart = text.range(of: "<revision>"), let revisionEnd = text.range(of: "</revision>", range: revisionStart.upperBound..<text.endIndex) {
            revision = String(text[revisionStart.upperBound..<revisionEnd.lowerBound])
        }
        let actual = try SnapshotIdentity.sha256(ofFile: primaryPath)
        guard actual == checksum else {
            throw RebuildError(.invalidIndex, "checksum mismatch: repomd.xml lists \(checksum), the file has \(actual) (truncated or partial?)",
                               operation: operation, file: primaryPath)
        }
    }

    /// The primary index's location (relative to the repository) that a repomd.xml names, without
    /// checking the index itself: what a mirror downloads next.
    ///
    /// - Throws: ``RebuildError`` `.io` or `.invalidIndex` as ``init(directory:)`` does.
    public static func primaryLocation(repomd path: String) throws(RebuildError) -> String {
        let operation = "read repomd.xml"
        guard let data = FileManager.default.contents(atPath: path) else { throw RebuildError(.io, "cannot read", operation: operation, file: path) }
        let text = String(decoding: data, as: UTF8.self)
        guard let start = text.range(of: #"<data type="primary">"#),
              let end = text.range(of: "</data>", range: start.upperBound..<text.endIndex),
              let href = attribute("href", ofFirst: "location", in: text[start.upperBound..<end.lowerBound]) else {
            throw RebuildError(.invalidIndex, "no primary entry with a <location href=…>", operation: operation, file: path)
        }
        guard !href.contains(".."), !href.hasPrefix("/") else {
            throw RebuildError(.invalidIndex, "the primary location '\(href)' leaves the repository", operation: operation, file: path)
        }
        return href
    }

    private static func attribute(_ name: String, ofFirst element: String, in text: Substring) -> String? {
        guard let open = text.range(of: "<\(element)"), let close = text.range(of: ">", range: open.upperBound..<text.endIndex) else { return nil }
        let tag = text[open.upperBound..<close.lowerBound]
        for quote in ["\"", "'"] {
            if let start = tag.range(of: "\(name)=\(quote)"), let end = tag.range(of: quote, range: start.upperBound..<tag.endIndex) {
                return String(tag[start.upperBound..<end.lowerBound])
            }
        }
        return nil
    }

    private static func checksum(in entry: Substring) -> String? {
        var rest = entry[...]
        while let open = rest.range(of: "<checksum") {
            guard let close = rest.range(of: ">", range: open.upperBound..<rest.endIndex),
                  let end = rest.range(of: "</checksum>", range: close.upperBound..<rest.endIndex) else { return nil }
            let tag = rest[open.upperBound..<close.lowerBound]
            if tag.contains(#"type="sha256""#) || tag.contains("type='sha256'") {
                return rest[close.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            }
            rest = rest[end.upperBound...]
        }
        return nil
    }
}

/// A source RPM from a repository's primary index (`<arch>src</arch>`), with its BuildRequires.
public struct RPMSourcePackage: Sendable, Hashable {
    /// The package name.
    public var name: String
    /// `[epoch:]version-release`.
    public var version: String
    /// Each BuildRequires as rpm writes it: `name`, `name >= 1.2-3`, or a rich dependency
    /// `(python3-foo or python3-bar)`.
    public var buildRequires: [String]

    /// Creates a source package.
    public init(name: String, version: String, buildRequires: [String]) {
        self.name = name
        self.version = version
        self.buildRequires = buildRequires
    }

    /// Reads the source packages of a primary index (plain or compressed).
    ///
    /// - Throws: ``RebuildError`` `.invalidIndex` with the file and line of malformed XML; nothing is
    ///   returned then, never a partial list.
    public static func load(primary path: String) throws(RebuildError) -> [RPMSourcePackage] {
        let pool = try SolvablePool(.rpm, architecture: "x86_64", operation: "read source packages")
        try RPMResolver.addPrimary(path, to: pool)
        let raw = pool.raw
        var result: [RPMSourcePackage] = []
        var requires = Queue()
        queue_init(&requires)
        defer { queue_free(&requires) }
        let sourceArchitectures: Set<Id> = [Id(ARCH_SRC.rawValue), Id(ARCH_NOSRC.rawValue)]
        for id in 2..<Int(raw.pointee.nsolvables) {
            let solvable = raw.pointee.solvables + id
            guard solvable.pointee.repo != nil, sourceArchitectures.contains(solvable.pointee.arch) else { continue }
            queue_empty(&requires)
            _ = solvable_lookup_deparray(solvable, Id(SOLVABLE_REQUIRES.rawValue), &requires, 0)
            var buildRequires: [String] = []
            for index in 0..<Int(requires.count) where requires.elements[index] != Id(SOLVABLE_PREREQMARKER.rawValue) {
                buildRequires.append(String(cString: pool_dep2str(raw, requires.elements[index])))
            }
            result.append(RPMSourcePackage(name: String(cString: pool_id2str(raw, solvable.pointee.name)),
                                           version: String(cString: pool_id2str(raw, solvable.pointee.evr)),
                                           buildRequires: buildRequires))
        }
        return result.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }
}
