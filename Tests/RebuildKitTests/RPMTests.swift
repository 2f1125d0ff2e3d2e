import Foundation
import RebuildKit
import Testing

private let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/rpm").path

@Suite("RPM repodata and BuildRequires")
struct RPMTests {
    let group = ["bash", "coreutils", "rpm-build"]

    func resolver() throws -> RPMResolver {
        try RPMResolver(repositories: [RPMRepository(directory: "\(fixtures)/binary")], buildGroup: group)
    }

    func sources() throws -> [String: RPMSourcePackage] {
        let repository = try RPMRepository(directory: "\(fixtures)/source")
        return Dictionary(uniqueKeysWithValues: try RPMSourcePackage.load(primary: repository.primaryPath).map { ($0.name, $0) })
    }

    @Test("repomd.xml names a checksummed primary index; source RPMs carry their BuildRequires, rich ones included")
    func parsing() throws {
        let binary = try RPMRepository(directory: "\(fixtures)/binary")
        #expect(binary.primaryPath.hasSuffix("repodata/primary.xml.gz"))
        #expect(binary.revision == "1711111111")
        #expect(binary.identity.checksums["primary"] == binary.primaryChecksum)
        #expect(try resolver().binaryCount == 20)
        let sources = try sources()
        #expect(sources.count == 10)
        #expect(sources["pyfoo"]?.version == "1.0-1.fc40")
        #expect(sources["pyfoo"]?.buildRequires == ["python3 >= 3.12", "(python3-pytest or python3-nose)"])
        #expect(sources["javaapp"]?.buildRequires == ["java-devel >= 1:21"])
        #expect(sources["cond"]?.buildRequires == ["python3", "(python3-pytest if python3)"])
    }

    @Test("resolution: the build group, versions, virtual provides, rich dependencies, conflicts and what is missing")
    func resolution() throws {
        let resolver = try resolver()
        let sources = try sources()
        func environment(_ name: String) throws -> [String: ResolvedPackage] {
            let source = try #require(sources[name])
            guard case .satisfiable(let packages) = resolver.resolve(source) else {
                Issue.record("\(name): \(resolver.resolve(source))")
                return [:]
            }
            return Dictionary(uniqueKeysWithValues: packages.map { ($0.name, $0) })
        }
        let hello = try environment("hello")
        #expect(Set(hello.keys) == ["bash", "coreutils", "rpm-build", "patch", "glibc", "gcc", "glibc-devel", "binutils"])
        #expect(hello["gcc"]?.distance == 1)
        #expect(hello["binutils"]?.distance == 2)
        #expect(hello["glibc"]?.version == "2.39-5.fc40")
        #expect(hello["python3"] == nil, "weak dependencies (coreutils recommends python3) are not installed")
        let pyfoo = try environment("pyfoo")
        #expect(pyfoo["python3"] != nil && pyfoo["python3-libs"]?.distance == 2)
        #expect((pyfoo["python3-pytest"] != nil) != (pyfoo["python3-nose"] != nil), "exactly one side of the rich OR")
        #expect(try environment("cond")["python3-pytest"] != nil)
        #expect(try environment("sslapp").keys.contains { $0 == "openssl-devel" || $0 == "libressl-devel" })
        #expect(try environment("needsold")["old-lib"]?.version == "1.0-1.fc40")
        #expect(try environment("javaapp")["java-21-openjdk-devel"] != nil)
        for name in ["clash", "brokenbr", "missing", "wrongarch"] {
            let source = try #require(sources[name])
            guard case .unsatisfiable(let problems) = resolver.resolve(source) else {
                Issue.record("\(name) resolved")
                continue
            }
            #expect(!problems.isEmpty)
        }
        guard case .unsatisfiable(let problems) = resolver.resolve(try #require(sources["missing"])) else { return }
        #expect(problems.joined().contains("no-such-package"), "\(problems)")
    }

    @Test("a bad BuildRequires makes that package unparsable; the group must exist")
    func badBuildRequires() throws {
        let resolver = try resolver()
        for text in ["(python3 or", "gcc >> 3", "gcc >= ", "a b c d"] {
            guard case .unparsable(let reason) = resolver.resolve(buildRequires: [text]) else {
                Issue.record("accepted '\(text)'")
                continue
            }
            #expect(reason.contains(text.trimmingCharacters(in: .whitespaces)) || reason.contains("BuildRequires"), "\(reason)")
        }
        let noGroup = try RPMResolver(repositories: [RPMRepository(directory: "\(fixtures)/binary")], buildGroup: ["no-such-group-package"])
        guard case .unsatisfiable(let problems) = noGroup.resolve(buildRequires: ["gcc"]) else {
            Issue.record("a missing build group package resolved")
            return
        }
        #expect(problems == ["build group package no-such-group-package is not available"])
    }

    @Test("bad repositories: malformed XML with its line, a checksum mismatch, a truncated download, an unknown architecture")
    func badRepositories() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(directory)/repodata", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(primary: Data, listedChecksum: String? = nil, name: String = "primary.xml") throws {
            try primary.write(to: URL(fileURLWithPath: "\(directory)/repodata/\(name)"))
            let checksum = try listedChecksum ?? SnapshotIdentity.sha256(ofFile: "\(directory)/repodata/\(name)")
            try Data("""
                <?xml version="1.0"?>
                <repomd xmlns="http://linux.duke.edu/metadata/repo">
                  <data type="primary"><checksum type="sha256">\(checksum)</checksum><location href="repodata/\(name)"/></data>
                </repomd>
                """.utf8).write(to: URL(fileURLWithPath: "\(directory)/repodata/repomd.xml"))
        }
        // Malformed XML: the error has the file and the line.
        try write(primary: Data("<?xml version=\"1.0\"?>\n<metadata>\n<package type=\"rpm\">\n<name>a</nam>\n</package>\n</metadata>\n".utf8))
        do {
            _ = try RPMResolver(repositories: [RPMRepository(directory: directory)])
            Issue.record("malformed XML accepted")
        } catch {
            #expect(error.code == .invalidIndex)
            #expect(error.file?.hasSuffix("primary.xml") == true)
            #expect(error.line == 4, "\(error)")
        }
        // A primary index that is not what repomd.xml lists.
        try write(primary: Data("<metadata/>".utf8), listedChecksum: String(repeating: "0", count: 64))
        #expect(throws: RebuildError.self) { try RPMRepository(directory: directory) }
        do { _ = try RPMRepository(directory: directory) } catch { #expect(error.message.contains("checksum mismatch")) }
        // A truncated compressed download (listed with its own checksum, so only decompression can tell).
        let whole = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/binary/repodata/primary.xml.gz"))
        try write(primary: whole.prefix(whole.count / 2), name: "primary.xml.gz")
        do {
            _ = try RPMResolver(repositories: [RPMRepository(directory: directory)])
            Issue.record("a truncated primary index loaded")
        } catch {
            #expect(error.code == .invalidIndex, "\(error)")
        }
        // No repomd.xml at all, and one without a primary entry.
        #expect(throws: RebuildError.self) { try RPMRepository(directory: "\(directory)/nowhere") }
        try Data("<repomd></repomd>".utf8).write(to: URL(fileURLWithPath: "\(directory)/repodata/repomd.xml"))
        do { _ = try RPMRepository(directory: directory) } catch { #expect(error.message.contains("primary")) }
        // An unknown architecture.
        do {
            _ = try RPMResolver(primary: [], architecture: "x86-64")
            Issue.record("unknown architecture accepted")
        } catch {
            #expect(error.code == .unknownArchitecture)
            #expect(error.message.contains("x86-64"))
        }
    }
}
