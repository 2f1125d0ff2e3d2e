import Foundation
import ForgeKitTesting
import RebuildKit
import Testing

private let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/debian").path

@Suite("deb822 indexes")
struct Deb822Tests {
    @Test("paragraphs, continuation lines, comments and case-insensitive field names")
    func paragraphs() throws {
        let text = "Package: a\nDescription: first\n second\n .\n third\n\n\n# a comment\npackage: b\r\nVersion: 1\r\n"
        let paragraphs = try Deb822.paragraphs(Array(text.utf8), file: "t")
        #expect(paragraphs.count == 2)
        #expect(paragraphs[0]["Description"] == "first\nsecond\n\nthird")
        #expect(paragraphs[1]["Package"] == "b")
        #expect(paragraphs[1]["version"] == "1")
        #expect(paragraphs[1].line == 9)
    }

    @Test("a malformed or truncated index is an error naming the file and line", arguments: [
        ("Package: a\nVersion 1\n", 2, "expected 'Field: value'"),
        (" continued\nPackage: a\n", 1, "continuation line"),
        ("Package: a\nVersion: 1\n\nVersion: 2\n", 4, "no Package field"),
        ("Package: a\nVersion: 1\n\nPackage: b\n", 4, "no Version field"),
    ])
    func malformed(_ text: String, _ line: Int, _ expected: String) throws {
        do {
            _ = try SourcePackage.parse(Array(text.utf8), file: "Sources")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == .invalidIndex)
            #expect(error.file == "Sources")
            #expect(error.line == line)
            #expect(error.message.contains(expected), "\(error)")
        }
    }

    @Test("compressed indexes read as the plain ones; a truncated one is an error")
    func compressed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deb822-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = try Deb822.read(fixtures + "/Sources")
        try Data(plain).write(to: URL(fileURLWithPath: directory + "/Sources"))
        for (tool, suffix) in [("/bin/gzip", "gz"), ("/usr/bin/xz", "xz")] {
            _ = try TestCommand.run([tool, "-k", directory + "/Sources"])
            #expect(try Deb822.read(directory + "/Sources.\(suffix)") == plain)
        }
        let gz = try Data(contentsOf: URL(fileURLWithPath: directory + "/Sources.gz"))
        try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: directory + "/Cut.gz"))
        #expect(throws: RebuildError.self) { _ = try SourcePackage.load(directory + "/Cut.gz") }
        #expect(throws: RebuildError.self) { _ = try Deb822.read(directory + "/does-not-exist") }
    }
}

@Suite("build-dependency fields")
struct DependencyTests {
    @Test("alternatives, versions, qualifiers, architecture lists and build profiles")
    func parse() throws {
        let clauses = try DependencyParser.parse("""
            debhelper-compat (= 13), python3:any (>= 3.9~) | python3-dev [linux-any], libfoo-dev [!hurd-i386 !kfreebsd-any],
             check <!nocheck> <stage1 cross>, gcc (<< 13) | clang (> 14),
            """)
        #expect(clauses.count == 5)
        #expect(clauses[0].alternatives[0].version! == (.equal, "13"))
        #expect(clauses[1].alternatives.map(\.name) == ["python3", "python3-dev"])
        #expect(clauses[1].alternatives[0].qualifier == "any")
        #expect(clauses[1].alternatives[0].version! == (.greaterOrEqual, "3.9~"))
        #expect(clauses[1].alternatives[1].architectures == ["linux-any"])
        #expect(clauses[2].alternatives[0].architectures == ["!hurd-i386", "!kfreebsd-any"])
        #expect(clauses[3].alternatives[0].profiles == [[ProfileTerm(name: "nocheck", negated: true)],
                                                        [ProfileTerm(name: "stage1", negated: false), ProfileTerm(name: "cross", negated: false)]])
        let last = try DependencyParser.parse("gcc (<< 13) | clang (> 14)")[0]
        #expect(last.alternatives[1].version! == (.greaterOrEqual, "14"))  // the obsolete '>' means '>='
        #expect(last.description == "gcc (<< 13) | clang (>= 14)")
    }

    @Test("restrictions decide which alternatives apply")
    func restrictions() throws {
        let amd64 = try DebianArchitecture("amd64"), armhf = try DebianArchitecture("armhf")
        func applies(_ text: String, _ architecture: DebianArchitecture, _ profiles: Set<String> = []) throws -> Bool {
            try DependencyParser.parse(text)[0].alternatives[0].applies(to: architecture, profiles: profiles)
        }
        #expect(try applies("a [amd64 i386]", amd64))
        #expect(try !applies("a [amd64 i386]", armhf))
        #expect(try !applies("a [!amd64]", amd64))
        #expect(try applies("a [linux-any]", armhf))
        #expect(try applies("a [any-arm]", armhf))
        #expect(try !applies("a [any-amd64]", armhf))
        #expect(try !applies("a [hurd-any]", amd64))
        #expect(try applies("a <!nocheck>", amd64))
        #expect(try !applies("a <!nocheck>", amd64, ["nocheck"]))
        #expect(try !applies("a <stage1>", amd64))
        #expect(try applies("a <stage1 !nocheck> <cross>", amd64, ["cross"]))
    }

    @Test("bad dependency fields and architectures are errors that say what is wrong", arguments: [
        ("foo (>= )", "bad version"), ("foo (=> 1)", "not a version relation"), ("foo (>= 1", "unclosed '('"),
        ("foo [amd64 !i386]", "mixes"), ("foo []", "empty architecture list"), ("(>= 1)", "package name is missing"),
        ("fo%o", "not a package name"), ("foo <>", "empty build profile group"), ("foo bar", "unexpected"),
    ])
    func bad(_ text: String, _ expected: String) {
        do {
            _ = try DependencyParser.parse(text, field: "Build-Depends")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == .invalidDependency)
            #expect(error.message.hasPrefix("Build-Depends: "), "\(error.message)")
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("an unknown architecture is a clear error")
    func unknownArchitecture() {
        do {
            _ = try DebianArchitecture("amd46")
            Issue.record("accepted amd46")
        } catch {
            #expect(error.code == .unknownArchitecture)
            #expect(error.message.contains("'amd46' is not a known Debian architecture"))
        }
    }
}

@Suite("resolving build environments with libsolv")
struct ResolverTests {
    let resolver: DebianResolver

    init() throws {
        resolver = try DebianResolver(packages: [fixtures + "/Packages"], architecture: DebianArchitecture("amd64"))
    }

    @Test("a satisfiable environment lists build-essential, the Essential packages and the build-dependencies with what they need")
    func environment() throws {
        let source = SourcePackage(name: "demo", version: "1", buildDepends: "nomaplain (>= 1.0), virt-v (>= 2) | missing, archall")
        guard case .satisfiable(let packages) = resolver.resolve(source) else {
            Issue.record("not satisfiable: \(resolver.resolve(source))")
            return
        }
        let names = Set(packages.map(\.name))
        #expect(names.isSuperset(of: ["build-essential", "libc6", "base-files", "nomaplain", "verprov", "archall"]))
        #expect(!names.contains("reco") && !names.contains("missing-thing"))
        #expect(packages.contains { $0.name == "libc6" && $0.version == "2.36-9" })
        // Distances: chosen for a clause → 1; needed by one of those → 2; only Essential → unknown.
        let distance = Dictionary(uniqueKeysWithValues: packages.map { ($0.name, $0.distance) })
        #expect(distance["build-essential"] == 1 && distance["nomaplain"] == 1 && distance["verprov"] == 1 && distance["archall"] == 1)
        #expect(distance["libc6"] == 2)
        #expect(distance["base-files"] == .some(nil))
    }

    @Test("alternatives, virtual packages, :any, architecture qualifiers and conflicts", arguments: [
        ("missing | nomaplain", true), ("missing", false), ("virt-a", true), ("virt-a (>= 1)", false),
        ("virt-v (= 2.0)", true), ("virt-v (>> 2.0)", false), ("virt-a:any", false), ("virt-b:any", true),
        ("maforeign:any", true), ("nomaplain:any (>= 9)", true), ("nomaplain:native", true), ("nomaplain:i386", false),
        ("nomaplain [i386] | archall", true), ("missing [!amd64]", true), ("conflicter", false), ("breaker", false),
    ])
    func cases(_ dependency: String, _ satisfiable: Bool) {
        let resolution = resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: dependency))
        #expect(resolution.isSatisfiable == satisfiable, "\(dependency): \(resolution)")
    }

    @Test("Build-Conflicts keep packages out, a source for other architectures is not checked, a bad field is unparsable")
    func conflictsAndSkips() throws {
        #expect(!resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "nomaplain", buildConflicts: "nomaplain")).isSatisfiable)
        #expect(resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "nomaplain", buildConflicts: "maforeign")).isSatisfiable)
        #expect(resolver.resolve(SourcePackage(name: "t", version: "1", architectures: ["i386", "armel"], buildDepends: "missing")) == .notApplicable)
        guard case .unparsable(let reason) = resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "foo (>= ")) else {
            Issue.record("a bad field was not reported as unparsable")
            return
        }
        #expect(reason.contains("Build-Depends"))
        let missing = resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "nomaplain, missing (>= 2)"))
        #expect(missing == .unsatisfiable(["missing (>= 2) is not available"]))
    }

    @Test("the unsatisfiable set on the fixtures is exactly dose-builddebcheck's")
    func agreesWithDose() throws {
        let dose = "/usr/bin/dose-builddebcheck"
        try #require(FileManager.default.isExecutableFile(atPath: dose), "dose-builddebcheck is installed by scripts/bootstrap")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DEB_BUILD_PROFILES")
        let output = String(decoding: try TestCommand.run([dose, "--quiet", "--deb-native-arch=amd64", "-f", fixtures + "/Packages", fixtures + "/Sources"],
                                                          environment: environment).output, as: UTF8.self)
        var doseBroken = Set<String>(), name = "", version = ""
        for line in output.split(separator: "\n") {
            if line.hasPrefix("  package: ") { name = String(line.dropFirst(11)) }
            if line.hasPrefix("  version: ") { version = String(line.dropFirst(11)) }
            if line.hasPrefix("  status: broken") { doseBroken.insert("\(name) \(version)") }
        }
        #expect(!doseBroken.isEmpty)
        var ours = Set<String>()
        for source in try SourcePackage.load(fixtures + "/Sources") {
            switch resolver.resolve(source) {
            case .unsatisfiable, .unparsable: ours.insert("\(source.name) \(source.version)")
            case .satisfiable, .notApplicable: break
            }
        }
        #expect(ours == doseBroken, "only ours: \(ours.subtracting(doseBroken).sorted()); only dose's: \(doseBroken.subtracting(ours).sorted())")
    }
}

@Suite("change detection")
struct ChangeTests {
    static func resolver(_ packages: String) throws -> DebianResolver {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("Packages-\(UUID().uuidString)").path
        try packages.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try DebianResolver(packages: [path], architecture: DebianArchitecture("amd64"))
    }

    static let base = """
        Package: build-essential
        Version: 12.9
        Architecture: amd64
        Depends: gcc

        Package: gcc
        Version: 12.2
        Architecture: amd64
        Depends: libc6

        Package: libc6
        Version: 2.36-9
        Architecture: amd64

        Package: libfoo-dev
        Version: 1.0
        Architecture: amd64
        Depends: libfoo1 (= 1.0)

        Package: libfoo1
        Version: 1.0
        Architecture: amd64
        Depends: libc6

        """

    @Test("changed, added and removed packages with their distances, and the dependency priority they give")
    func diff() throws {
        let newer = Self.base.replacingOccurrences(of: "Version: 2.36-9", with: "Version: 2.37-1")
            .replacingOccurrences(of: "Version: 1.0\nArchitecture: amd64\nDepends: libfoo1 (= 1.0)", with: "Version: 1.1\nArchitecture: amd64\nDepends: libfoo1 (= 1.1), libbar1")
            .replacingOccurrences(of: "Package: libfoo1\nVersion: 1.0", with: "Package: libfoo1\nVersion: 1.1")
            + "\nPackage: libbar1\nVersion: 3\nArchitecture: amd64\n"
        let source = SourcePackage(name: "app", version: "1", buildDepends: "libfoo-dev")
        guard case .satisfiable(let old) = try Self.resolver(Self.base).resolve(source),
              case .satisfiable(let new) = try Self.resolver(newer).resolve(source) else {
            Issue.record("not satisfiable")
            return
        }
        let changes = ChangeDetector.changes(from: old, to: new)
        #expect(changes == [
            DependencyChange(name: "libbar1", oldVersion: nil, newVersion: "3", distance: 2),
            DependencyChange(name: "libc6", oldVersion: "2.36-9", newVersion: "2.37-1", distance: 3),
            DependencyChange(name: "libfoo-dev", oldVersion: "1.0", newVersion: "1.1", distance: 1),
            DependencyChange(name: "libfoo1", oldVersion: "1.0", newVersion: "1.1", distance: 2),
        ])
        // Koschei: Σ 256 / distance = 256/2 + 256/3 + 256/1 + 256/2.
        let priority = PriorityPolicy().dependencyPriority(distances: changes.map(\.distance))
        #expect(abs(priority - (128 + 256.0 / 3 + 256 + 128)) < 1e-9)
        #expect(ChangeDetector.changes(from: old, to: old).isEmpty)
    }
}

@Suite("invalid versions and repeated fields")
struct InvalidStanzaTests {
    @Test("Debian versions are checked as dpkg checks them", arguments: [
        ("1", nil), ("1:2.3-4", nil), ("2.36-9+deb12u1", nil), ("1.0~rc1-1~bpo12+1", nil), ("1:2:3-4-5", nil), ("0", nil),
        ("1:", "upstream version is empty"), (":1", "epoch (before ':') is empty"), ("1-", "Debian revision (after the last '-') is empty"),
        ("a:1", "is not a number"), ("1.0 beta", "space"), ("", "empty"), ("1_0", "upstream version '1_0'"), ("1-a_b", "Debian revision 'a_b'"),
        ("1.\u{FFFD}", "upstream version"),
    ] as [(String, String?)])
    func versions(_ text: String, _ expected: String?) {
        let problem = DebianVersion.problem(text)
        if let expected {
            #expect(problem?.contains(expected) == true, "\(text.debugDescription): \(problem ?? "accepted")")
        } else {
            #expect(problem == nil, "\(text.debugDescription): \(problem ?? "")")
        }
    }

    @Test("a source with an invalid version, a repeated field or bytes that are not UTF-8 is unparsable, with file and line; the rest resolve")
    func sources() throws {
        var text = Array("Package: good\nVersion: 1.0-1\nBuild-Depends: nomaplain\n\n".utf8)
        text += Array("Package: epochonly\nVersion: 1:\n\n".utf8)                       // line 5
        text += Array("Package: noepoch\nVersion: :1\n\n".utf8)                          // line 8
        text += Array("Package: norevision\nVersion: 1-\n\n".utf8)                       // line 11
        text += Array("Package: latin1\nVersion: 1.0-caf".utf8) + [0xE9] + Array("\n\n".utf8)   // line 14
        text += Array("Package: twice\nVersion: 2\nBuild-Depends: nomaplain\nbuild-depends: missing\n\n".utf8)  // line 17
        text += Array("Package: baddep\nVersion: 3\nBuild-Depends: nomaplain (>= 1:)\n".utf8)  // line 22
        let sources = try SourcePackage.parse(text, file: "Sources")
        #expect(sources.map(\.name) == ["good", "epochonly", "noepoch", "norevision", "latin1", "twice", "baddep"])
        let resolver = try DebianResolver(packages: [fixtures + "/Packages"], architecture: DebianArchitecture("amd64"))
        var reasons: [String: String] = [:]
        for source in sources {
            switch resolver.resolve(source) {
            case .unparsable(let reason): reasons[source.name] = reason
            case let other: #expect(source.name == "good" && other.isSatisfiable, "\(source.name): \(other)")
            }
        }
        #expect(reasons["epochonly"]?.contains("Sources:line 5: source package 'epochonly' has an invalid version '1:'") == true, "\(reasons)")
        #expect(reasons["noepoch"]?.contains("Sources:line 8") == true && reasons["noepoch"]?.contains("epoch") == true)
        #expect(reasons["norevision"]?.contains("Sources:line 11") == true && reasons["norevision"]?.contains("revision") == true)
        #expect(reasons["latin1"]?.contains("Sources:line 15: field 'Version' is not valid UTF-8") == true, "\(reasons["latin1"] ?? "")")
        #expect(reasons["twice"]?.contains("Sources:line 20: field 'build-depends' is given twice (first on line 19)") == true,
                "\(reasons["twice"] ?? "")")
        #expect(reasons["baddep"]?.contains("Sources:22") == true && reasons["baddep"]?.contains("a bad version '1:'") == true,
                "\(reasons["baddep"] ?? "")")
    }

    @Test("a binary with an invalid version or a repeated field is left out and reported; the others load")
    func binaries() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("deb822-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var packages = try String(contentsOfFile: fixtures + "/Packages", encoding: .utf8)
        packages += "\nPackage: brokenver\nVersion: 1-\nArchitecture: amd64\n\nPackage: twiceprov\nVersion: 1\nArchitecture: amd64\nProvides: a\nProvides: b\n"
        try packages.write(toFile: folder + "/Packages", atomically: true, encoding: .utf8)
        let resolver = try DebianResolver(packages: [folder + "/Packages"], architecture: DebianArchitecture("amd64"))
        #expect(resolver.rejectedBinaries.count == 2)
        #expect(resolver.rejectedBinaries.contains { $0.contains("binary package 'brokenver'") && $0.contains("invalid version '1-'") })
        #expect(resolver.rejectedBinaries.contains { $0.contains("binary package 'twiceprov'") && $0.contains("given twice") })
        #expect(!resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "brokenver")).isSatisfiable)
        #expect(resolver.resolve(SourcePackage(name: "t", version: "1", buildDepends: "nomaplain")).isSatisfiable)
    }
}
