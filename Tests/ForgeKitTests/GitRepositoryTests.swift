import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

@Suite("Git access through libgit2")
struct GitRepositoryTests {
    @Test("references, HEAD and revision expressions resolve as git rev-parse does")
    func references() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let path = history.fixture.path
        let repo = history.fixture.repository

        #expect(try await repo.head() == .branch(name: "main", commit: history.head))
        let refs = try await repo.references()
        #expect(refs.map(\.name) == ["refs/heads/conflict", "refs/heads/feature", "refs/heads/main", "refs/tags/v1.0", "refs/tags/v2.0"])
        let v1 = try #require(refs.first { $0.name == "refs/tags/v1.0" })
        #expect(v1.kind == .tag && v1.shortName == "v1.0")
        #expect(v1.peeledTarget == history.root)
        #expect(v1.target != history.root)  // annotated: the tag object

        for expression in ["main", "main~3", "main^", "v1.0^{commit}", "v1.0", "HEAD", "feature~1", "v2.0^2", history.head.abbreviated(9), "main:src/main.c"] {
            let ours = try await repo.resolve(expression)
            let theirs = try GitCLI.git(["rev-parse", expression], in: path).text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(ours.hex == theirs, "\(expression)")
        }
        await #expect { try await repo.resolve("no-such-branch") } throws: { ($0 as? ForgeError)?.code == .notFound }
        await #expect { try await repo.resolve("main~999") } throws: { ($0 as? ForgeError)?.code == .notFound }
        await #expect { try await repo.resolve("main^{tree") } throws: { [.invalidArgument, .notFound].contains(($0 as? ForgeError)?.code) }
        await #expect { try await repo.resolve("") } throws: { ($0 as? ForgeError)?.code == .invalidArgument }
    }

    @Test("an abbreviated id that matches several objects is ambiguous")
    func ambiguous() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        // Enough blobs that two share a first hex digit pair; find a 4-digit prefix that is shared.
        let ids = try await fixture.build { repo in try (0..<300).map { try repo.blob("blob \($0)\n") } }
        let prefixes = Dictionary(grouping: ids, by: { String($0.hex.prefix(4)) })
        let shared = try #require(prefixes.first { $0.value.count > 1 }?.key ?? prefixes.first { _ in false }?.key ?? Optional("0000"))
        if prefixes[shared, default: []].count > 1 {
            await #expect { try await fixture.repository.resolve(shared) } throws: { ($0 as? ForgeError)?.code == .ambiguous }
        }
        let unique = try #require(ids.first)
        #expect(try await fixture.repository.resolve(unique.abbreviated(12)) == unique)
    }

    @Test("a missing repository and a non-repository directory are errors, not crashes")
    func missingRepository() async throws {
        await #expect { try await GitRepository.open(at: "/nonexistent/forgeworks/repo") } throws: { ($0 as? ForgeError)?.code == .notFound }
        let dir = try RepositoryFixture.temporaryDirectory(prefix: "forgekit-empty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect { try await GitRepository.open(at: dir) } throws: { ($0 as? ForgeError)?.code == .notFound }
    }

    @Test("commits carry ids, parents, signatures with time zones, messages and summaries")
    func commitValues() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let commit = try await history.fixture.repository.commit(history.root.hex)
        #expect(commit.id == history.root)
        #expect(commit.parentIDs.isEmpty)
        #expect(commit.summary == "Initial import")
        #expect(commit.message == "Initial import\n\nWith a body.\n")
        #expect(commit.author.name == "Fixture Author" && commit.author.email == "author@example.com")
        #expect(commit.author.timeZone == "+0200")
        let cli = try GitCLI.git(["show", "-s", "--format=%H %T %at %ai %s", history.root.hex], in: history.fixture.path).text
        #expect(cli.hasPrefix("\(commit.id.hex) \(commit.treeID.hex) \(commit.author.time) "))
        #expect(cli.contains("+0200 Initial import"))
        let merge = try await history.fixture.repository.commit(history.merge.hex)
        #expect(merge.isMerge && merge.parentIDs.count == 2 && merge.parentIDs[1] == history.featureTip)
    }

    @Test("log order equals git log's, with ranges, limits, first-parent and paths", arguments: [
        ["main"], ["main", "-n", "3"], ["v1.0..main"], ["feature..main"], ["main..feature"], ["^feature", "main"],
        ["feature...conflict"], ["--first-parent", "main"], ["main", "--", "src"], ["main", "--", "src/lib/helpers.c"],
        ["main", "--", "README.md", "NEWS"], ["--first-parent", "main", "--", "src/main.c"], ["conflict", "main"],
    ])
    func logOrder(arguments: [String]) async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let expected = try GitCLI.git(["log", "--format=%H"] + arguments, in: history.fixture.path).lines
        var revisions: [String] = [], paths: [String] = []
        var limit: Int?, firstParent = false, afterDashes = false
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if afterDashes { paths.append(argument) }
            else if argument == "--" { afterDashes = true }
            else if argument == "-n" { limit = Int(iterator.next() ?? "") }
            else if argument == "--first-parent" { firstParent = true }
            else { revisions.append(argument) }
        }
        let ours = try await history.fixture.repository.log(LogOptions(revisions, limit: limit, firstParent: firstParent, paths: paths))
        #expect(ours.map(\.id.hex) == expected)
    }

    @Test("changed paths equal git diff --name-status --no-renames, in git's order")
    func changedPaths() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let pairs = [(history.root, history.renamed), (history.root, history.head), (history.renamed, history.merge),
                     (history.head, history.root), (history.empty, history.featureTip), (history.conflicting, history.head)]
        for (from, to) in pairs {
            let ours = try await history.fixture.repository.changes(from: from.hex, to: to.hex)
            let cli = try GitCLI.git(["-c", "core.quotePath=false", "diff", "--name-status", "--no-renames", "-z", from.hex, to.hex], in: history.fixture.path)
            let fields = cli.stdout.split(separator: 0, omittingEmptySubsequences: true).map { Array($0) }
            var expected: [String] = []
            for index in stride(from: 0, to: fields.count - 1, by: 2) {
                expected.append(String(decoding: fields[index], as: UTF8.self) + "\t" + String(decoding: fields[index + 1], as: UTF8.self))
            }
            #expect(ours.map { "\($0.kind.rawValue)\t\($0.path)" } == expected, "\(from)..\(to)")
        }
        // Per commit against the first parent; a root commit adds everything.
        let rootChanges = try await history.fixture.repository.withSession { try $0.changes(in: history.root) }
        #expect(rootChanges.allSatisfy { $0.kind == .added } && rootChanges.count == 9)
        let renamed = try await history.fixture.repository.withSession { try $0.changes(in: history.renamed) }
        #expect(renamed.contains { $0.path == "scripts/build.sh" && $0.kind == .modified && $0.oldMode == .executable && $0.newMode == .regular })
        #expect(renamed.contains { $0.path == "README.md" && $0.kind == .typeChanged && $0.newMode == .symlink })
        #expect(try await history.fixture.repository.withSession { try $0.changes(in: history.empty) }.isEmpty)
    }

    /// Trees of neighbouring commits share most of their bytes; the diff decodes and compares only the
    /// entries between their common start and end. A random history over wide directories whose names
    /// share prefixes (`a`, `a.txt`, `a-b`, `a/`) exercises the boundaries: entries added first and
    /// last, a file becoming a directory of the same name, modes, symlinks, deletions.
    @Test("changed paths along a random history of wide trees equal git's, commit by commit and across")
    func randomWideHistory() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let names = ["a", "a.txt", "a-b", "a0", "b", "bb", "b.c", "m", "z", "zz", "00", "~"]
        let commits = try await fixture.build { repo -> [ObjectID] in
            var generator = SplitMix64(seed: 0x5eed_f00d)
            var existing: Set<String> = []
            var made: [ObjectID] = []
            var changes: [FixtureChange] = []
            for index in 0..<120 { changes.append(.write("dir\(index % 7)/file\(index).txt", "\(index)\n")) }
            for name in names { changes.append(.write(name, "root \(name)\n")); existing.insert(name) }
            made.append(try repo.commit("wide", changes))
            for step in 0..<60 {
                var edits: [FixtureChange] = []
                for _ in 0..<Int(generator.next() % 3 + 1) {
                    let name = names[Int(generator.next() % UInt64(names.count))]
                    let inside = "dir\(generator.next() % 7)/file\(generator.next() % 150).txt"
                    switch generator.next() % 8 {
                    case 0: edits.append(.write(inside, "step \(step)\n"))
                    case 1: edits.append(.delete(inside))
                    case 2 where existing.contains(name): edits.append(.delete(name)); existing.remove(name)
                    case 3: edits.append(.write(name, "step \(step)\n")); existing.insert(name)
                    case 4 where !existing.contains(name):
                        // A directory where a file of the same name could be: it sorts as `name/`.
                        edits.append(.write("\(name)/inner", "step \(step)\n"))
                    case 5: edits.append(.write("\(name)/inner", "step \(step)\n")); existing.remove(name)
                    case 6 where existing.contains(name): edits.append(.chmod(name, executable: generator.next() % 2 == 0))
                    case 7: edits.append(.symlink("zz-link\(generator.next() % 3)", target: name))
                    default: edits.append(.write("\(names.first!)-\(step)", "\(step)\n"))
                    }
                }
                guard let commit = try? repo.commit("step \(step)", edits) else { continue }
                made.append(commit)
            }
            return made
        }
        #expect(commits.count > 40)
        func gitNameStatus(_ arguments: [String]) throws -> [String] {
            let cli = try GitCLI.git(["-c", "core.quotePath=false"] + arguments, in: fixture.path)
            let fields = cli.stdout.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
            return stride(from: 0, to: fields.count - 1, by: 2).map { fields[$0] + "\t" + fields[$0 + 1] }
        }
        var picker = SplitMix64(seed: 7)
        let pairs = zip(commits, commits.dropFirst()).map { ($0, $1) }
            + (0..<30).map { _ in (commits[Int(picker.next() % UInt64(commits.count))], commits[Int(picker.next() % UInt64(commits.count))]) }
        // One session for all pairs, so that trees decoded for one diff are shared with the next.
        let ours = try await fixture.repository.withSession { session in
            try pairs.map { pair in try session.changes(from: pair.0.hex, to: pair.1.hex).map { "\($0.kind.rawValue)\t\($0.path)" } }
        }
        for (index, pair) in pairs.enumerated() {
            let expected = try gitNameStatus(["diff", "--name-status", "--no-renames", "-z", pair.0.hex, pair.1.hex])
            #expect(ours[index] == expected, "\(pair.0)..\(pair.1)")
        }
        // Newest first, as a log walks: each commit against its parent.
        let perCommit = try await fixture.repository.withSession { session in
            try commits.reversed().map { id in try session.changes(in: id).map { "\($0.kind.rawValue)\t\($0.path)" } }
        }
        for (index, id) in commits.reversed().enumerated() {
            let expected = try gitNameStatus(["diff-tree", "--root", "-r", "--no-commit-id", "--name-status", "--no-renames", "-z", id.hex])
            #expect(perCommit[index] == expected, "\(id)")
        }
    }

    @Test("rename detection pairs a moved file, as git diff -M does")
    func renames() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let changes = try await history.fixture.repository.changes(from: history.root.hex, to: history.renamed.hex, options: DiffOptions(detectRenames: true))
        let rename = try #require(changes.first { $0.kind == .renamed })
        #expect(rename.oldPath == "src/lib/util.c" && rename.path == "src/lib/helpers.c")
        let cli = try GitCLI.git(["diff", "-M", "--name-status", history.root.hex, history.renamed.hex], in: history.fixture.path).text
        #expect(cli.contains("R100\tsrc/lib/util.c\tsrc/lib/helpers.c"))
    }

    @Test("blobs, tree listings, modes and sizes at a revision")
    func blobsAndTrees() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let repo = history.fixture.repository
        #expect(try await repo.blob(at: "main", path: "src/main.c") == Array("int main(void) { return 4; }\n".utf8))
        #expect(try await repo.blob(at: history.root.hex, path: "assets/logo.bin") == [0, 1, 2, 255, 254, 0, 10, 13])
        #expect(try await repo.blob(at: "v1.0", path: "docs") == Array("src/lib".utf8))  // a symlink's target
        #expect(try await repo.blob(at: "main", path: "später.md") == Array("ü\n".utf8))
        let entry = try await repo.withSession { try $0.entry(at: history.root.hex, path: "scripts/build.sh") }
        #expect(entry.mode == .executable && entry.size == 15)
        let listing = try await repo.tree(at: "main", recursive: true, includeSizes: true)
        let cli = try GitCLI.git(["ls-tree", "-r", "-t", "-l", "main"], in: history.fixture.path).lines
        #expect(listing.count == cli.count)
        for (ours, line) in zip(listing, cli) {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let meta = parts[0].split(separator: " ", omittingEmptySubsequences: true)
            #expect(String(meta[0]) == ours.mode.description)
            #expect(String(meta[2]) == ours.id.hex)
            #expect(String(meta[3]) == (ours.size.map(String.init) ?? "-"))
            #expect(String(parts[1]) == String(decoding: GitPathQuoting.quoted(Array(ours.path.utf8)), as: UTF8.self))
        }
        let src = try await repo.tree(at: "main", path: "src")
        #expect(src.map(\.name) == ["lib", "main.c"] && src[0].mode == .tree)

        await #expect { try await repo.blob(at: "main", path: "no/such/file") } throws: { ($0 as? ForgeError)?.code == .notFound }
        await #expect { try await repo.blob(at: "main", path: "../etc/passwd") } throws: { ($0 as? ForgeError)?.code == .invalidArgument }
        await #expect { try await repo.blob(at: "main", path: "/etc/passwd") } throws: { ($0 as? ForgeError)?.code == .invalidArgument }
        await #expect { try await repo.blob(at: "main", path: "src") } throws: { ($0 as? ForgeError)?.code == .invalidArgument }
        await #expect { try await repo.blob(at: "main", path: "src/main.c", maxSize: 4) } throws: { ($0 as? ForgeError)?.code == .invalidArgument }
    }

    @Test("a corrupt object is an error with its id, never a crash")
    func corruptObject() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let (commit, blob) = try await fixture.build { repo in
            let commit = try repo.commit("one", [.write("a.txt", "content that will be damaged\n")])
            let blob = try repo.session.entry(at: commit.hex, path: "a.txt").id
            try repo.corrupt(blob)
            return (commit, blob)
        }
        await #expect { try await fixture.repository.blob(at: commit.hex, path: "a.txt") } throws: { error in
            guard let error = error as? ForgeError else { return false }
            return error.code == .corrupt && error.message.contains(blob.hex)
        }
        // Reading what is still intact keeps working.
        #expect(try await fixture.repository.commit(commit.hex).summary == "one")
    }

    /// Archives read blobs ahead on two threads with their own handles; the order, a read error met
    /// half-way and files larger than the read-ahead budget (8 MiB) must not show it.
    @Test("archives read ahead in order; a damaged blob half-way is an error, not a hang")
    func archiveReadAhead() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let (commit, damaged) = try await fixture.build { repo in
            var changes: [FixtureChange] = (0..<600).map { .write("many/file\($0).txt", "file \($0)\n") }
            for index in 0..<3 {
                changes.append(.writeBytes("big/blob\(index).bin", (0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }))
            }
            let commit = try repo.commit("wide and heavy", changes)
            let damaged = try repo.commit("one damaged", [.write("many/file300.txt", "to be damaged\n")])
            try repo.corrupt(try repo.session.entry(at: damaged.hex, path: "many/file300.txt").id)
            return (commit, damaged)
        }
        for format in [ArchiveFormat.tar, .zip] {
            let bytes = try await fixture.repository.withSession { session in
                let sink = MemorySink()
                try session.archive(commit.hex, format: format, to: sink)
                return sink.bytes
            }
            let git = try GitCLI.git(["archive", "--format=\(format.rawValue)", commit.hex], in: fixture.path)
            #expect(bytes == git.stdout, "\(format)")
        }
        // tar.gz: a gzip stream whose content is exactly git's tar (gzip headers may differ between zlib builds).
        let gzipped = try await fixture.repository.withSession { session in
            let sink = MemorySink()
            try session.archive(commit.hex, format: .tarGzip, to: sink)
            return sink.bytes
        }
        #expect(gzipped.starts(with: [0x1f, 0x8b]))
        let file = fixture.path + "/../archive-\(UUID().uuidString).tar.gz"
        try Data(gzipped).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let gunzipped = try await ChildProcess.run(["/bin/gzip", "-dc", file], environment: ProcessInfo.processInfo.environment, limit: 256 << 20)
        #expect(gunzipped.status == 0)
        #expect(gunzipped.output == (try GitCLI.git(["archive", "--format=tar", commit.hex], in: fixture.path).stdout))
        await #expect { try await fixture.repository.withSession { try $0.archive(damaged.hex, format: .tar, to: MemorySink()) } } throws: { error in
            (error as? ForgeError)?.code == .corrupt
        }
    }

    @Test("checkout writes files, modes and symlinks into a directory, from a bare repository")
    func checkout() async throws {
        let history = try await StandardHistory.make(bare: true)
        defer { history.fixture.remove() }
        let target = history.fixture.root + "/checkout"
        try await history.fixture.repository.checkout(history.root.hex, into: target)
        let fm = FileManager.default
        #expect(try String(contentsOfFile: target + "/src/main.c", encoding: .utf8) == "int main(void) { return 0; }\n")
        #expect(fm.isExecutableFile(atPath: target + "/scripts/build.sh"))
        #expect(!fm.isExecutableFile(atPath: target + "/README.md"))
        #expect(try fm.destinationOfSymbolicLink(atPath: target + "/docs") == "src/lib")
        #expect(fm.fileExists(atPath: target + "/héllo wörld.txt"))
        #expect(!fm.fileExists(atPath: target + "/.git"))
    }

    @Test("mergeability: up to date, fast-forward, clean, and conflict with its paths")
    func mergeability() async throws {
        let history = try await StandardHistory.make()
        defer { history.fixture.remove() }
        let repo = history.fixture.repository
        #expect(try await repo.mergeability(base: "main", head: "feature") == .upToDate)
        #expect(try await repo.mergeability(base: history.renamed.hex, head: "feature") == .fastForward)
        #expect(try await repo.mergeability(base: "main", head: "conflict") == .conflict(paths: ["src/main.c"]))
        #expect(try await repo.mergeability(base: history.featureTip.hex, head: history.empty.hex) == .clean)
        let clean = try await history.fixture.build { repo in
            try repo.commit("side", on: "side", [])
        }
        _ = clean
        try await history.fixture.build { repo in
            try repo.branch("side", at: history.merge)
            try repo.commit("side change", on: "side", [.write("side.txt", "side\n")])
        }
        #expect(try await repo.mergeability(base: "main", head: "side") == .clean)
    }

    @Test("write API: blobs, trees, commits and compare-and-swap reference updates")
    func writing() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let first = try await fixture.build { try $0.commit("first", [.write("a", "a\n")]) }
        try await fixture.repository.withSession { session in
            let blob = try session.writeBlob(Array("b\n".utf8))
            let tree = try session.writeTree([TreeEntryInput(name: "b", mode: .regular, id: blob)])
            let sig = Signature(name: "W", email: "w@example.com", time: 1_700_000_000)
            let second = try session.writeCommit(tree: tree, parents: [first], author: sig, committer: sig, message: "second\n")
            #expect(throws: ForgeError.self) { try session.updateReference("refs/heads/main", to: second, expected: second) }
            try session.updateReference("refs/heads/main", to: second, expected: first)
            #expect(try session.resolveCommit("main") == second)
            #expect(throws: ForgeError.self) { try session.updateReference("refs/heads/main", to: first, expected: .zero) }
            #expect(throws: ForgeError.self) { try session.updateReference("refs/heads/bad..name", to: first) }
            #expect(throws: ForgeError.self) { try session.writeTree([TreeEntryInput(name: "a/b", mode: .regular, id: blob)]) }
        }
        let fsck = try GitCLI.run(["fsck", "--strict"], in: fixture.path)
        #expect(fsck.status == 0, "\(fsck.stderr)")
    }

    @Test("a session used after its closure returns throws misuse")
    func sessionEscape() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let box = SessionBox()
        try await fixture.repository.withSession { box.keep($0) }
        let escaped = try #require(box.session)
        #expect { try escaped.head() } throws: { ($0 as? ForgeError)?.code == .misuse }
    }
}

/// Deliberately smuggles a session out of its closure, to check that it refuses further use.
final class SessionBox: @unchecked Sendable {
    var session: GitSession?
    func keep(_ session: GitSession) { self.session = session }
}

/// A small deterministic random number generator, so that a failing random test fails again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test("a commit's summary is its first paragraph, lines joined, as git log --format=%s prints it")
func commitSummaries() {
    let someone = Signature(name: "A", email: "a@example.com", time: 0)
    func summary(_ message: String) -> String {
        Commit(id: .zero, treeID: .zero, parentIDs: [], author: someone, committer: someone, message: message).summary
    }
    #expect(summary("Subject\n\nBody\nmore\n") == "Subject")
    #expect(summary("\n\n  first line  \nsecond line\n\nbody") == "first line second line")
    #expect(summary("only") == "only")
    #expect(summary("") == "")
    #expect(summary("line\n" + String(repeating: "x\n", count: 10000)) == "line " + Array(repeating: "x", count: 10000).joined(separator: " "))
}
