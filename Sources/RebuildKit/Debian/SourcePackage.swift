/// A source package from a `Sources` index, with its build relationships as written.
public struct SourcePackage: Sendable, Hashable {
    /// `Package:`.
    public var name: String
    /// `Version:`.
    public var version: String
    /// `Architecture:` entries (`any`, `all`, `linux-any`, `amd64`, …).
    public var architectures: [String]
    /// `Build-Depends`, `Build-Depends-Arch`, `Build-Depends-Indep`, as written (missing fields are empty).
    public var buildDepends: String, buildDependsArch: String, buildDependsIndep: String
    /// `Build-Conflicts`, `Build-Conflicts-Arch`, `Build-Conflicts-Indep`, as written.
    public var buildConflicts: String, buildConflictsArch: String, buildConflictsIndep: String
    /// `Extra-Source-Only: yes`: kept in the archive only because a binary still refers to it.
    public var extraSourceOnly: Bool
    /// Where the stanza starts (file and line), for messages.
    public var location: String
    /// Why the stanza cannot be used though it was read — an invalid version, a field given twice,
    /// a value that is not UTF-8 — with file and line; such a package resolves as unparsable.
    public var problem: String?

    /// Creates a source package.
    public init(name: String, version: String, architectures: [String] = ["any"], buildDepends: String = "", buildDependsArch: String = "",
                buildDependsIndep: String = "", buildConflicts: String = "", buildConflictsArch: String = "",
                buildConflictsIndep: String = "", extraSourceOnly: Bool = false, location: String = "", problem: String? = nil) {
        self.name = name
        self.version = version
        self.architectures = architectures
        self.buildDepends = buildDepends
        self.buildDependsArch = buildDependsArch
        self.buildDependsIndep = buildDependsIndep
        self.buildConflicts = buildConflicts
        self.buildConflictsArch = buildConflictsArch
        self.buildConflictsIndep = buildConflictsIndep
        self.extraSourceOnly = extraSourceOnly
        self.location = location
        self.problem = problem
    }

    /// Reads every stanza of a `Sources` file (plain or compressed).
    ///
    /// - Throws: ``RebuildError`` `.invalidIndex` with the file and line for a malformed stanza or
    ///   one without `Package` or `Version`; nothing is returned then, never a partial list. A stanza
    ///   that splits into fields but is wrong otherwise (an invalid version, a field given twice, a
    ///   value that is not UTF-8) is returned with its ``problem``.
    public static func load(_ path: String) throws(RebuildError) -> [SourcePackage] {
        try parse(Deb822.read(path), file: path)
    }

    /// Parses `Sources` text.
    public static func parse(_ bytes: [UInt8], file: String) throws(RebuildError) -> [SourcePackage] {
        var sources: [SourcePackage] = []
        for paragraph in try Deb822.paragraphs(bytes, file: file) {
            guard let name = paragraph["Package"], !name.isEmpty else {
                throw RebuildError(.invalidIndex, "a stanza has no Package field", operation: "parse Sources", file: file, line: paragraph.line)
            }
            guard let version = paragraph["Version"], !version.isEmpty else {
                throw RebuildError(.invalidIndex, "source package '\(name)' has no Version field", operation: "parse Sources", file: file, line: paragraph.line)
            }
            var problems = paragraph.problems.map { "\(file):\($0)" }
            if let reason = DebianVersion.problem(version) {
                problems.insert("\(file):line \(paragraph.line): source package '\(name)' has an invalid version '\(version)': \(reason)", at: 0)
            }
            sources.append(SourcePackage(
                name: name, version: version,
                architectures: (paragraph["Architecture"] ?? "any").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init),
                buildDepends: paragraph["Build-Depends"] ?? "", buildDependsArch: paragraph["Build-Depends-Arch"] ?? "",
                buildDependsIndep: paragraph["Build-Depends-Indep"] ?? "", buildConflicts: paragraph["Build-Conflicts"] ?? "",
                buildConflictsArch: paragraph["Build-Conflicts-Arch"] ?? "", buildConflictsIndep: paragraph["Build-Conflicts-Indep"] ?? "",
                extraSourceOnly: paragraph["Extra-Source-Only"] == "yes", location: "\(file):\(paragraph.line)",
                problem: problems.isEmpty ? nil : problems.joined(separator: "; ")))
        }
        return sources
    }

    /// Whether the package builds on `architecture` (an `Architecture:` entry matches it).
    public func builds(on architecture: DebianArchitecture) -> Bool {
        architectures.contains { architecture.matches($0) }
    }
}
