import Foundation
import ForgeKitTesting
import Testing

@testable import ForgeKit

/// Compares ``TarArchiveWriter`` and ``ZipArchiveWriter`` with `git archive` on repositories built with
/// the git command line: the writers get the entries of `git ls-tree -r -t -z --full-tree` in that
/// order, with the commit's time and id, and must produce git's bytes.
@Suite("Archive writers")
struct ArchiveWriterTests {
    // MARK: - tar

    @Test("tar of a commit equals git archive --format=tar")
    func tarOfCommit() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=tar", commit.id])
        let actual = try repo.writeTar(commit: commit.id, time: commit.time, commentID: commit.id)
        try expectSameBytes(actual, expected, "tar")
    }

    @Test("tar with --prefix equals git", arguments: ["proj/", "a//", "pre-", "n/" + String(repeating: "p", count: 120) + "/"])
    func tarWithPrefix(prefix: String) throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=tar", "--prefix=\(prefix)", commit.id])
        let actual = try repo.writeTar(commit: commit.id, time: commit.time, commentID: commit.id, prefix: prefix, treeID: commit.tree)
        try expectSameBytes(actual, expected, "tar --prefix=\(prefix)")
    }

    @Test("tar with another tar.umask equals git")
    func tarWithUmask() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["-c", "tar.umask=022", "archive", "--format=tar", commit.id])
        let actual = try repo.writeTar(commit: commit.id, time: commit.time, commentID: commit.id, umask: 0o022)
        try expectSameBytes(actual, expected, "tar umask 022")
    }

    @Test("tar of a bare tree has no global header, like git")
    func tarOfTree() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=tar", commit.tree])
        // git stamps a tree with the current time; read it back from the first header.
        let mtimeField = String(decoding: expected[136..<147], as: UTF8.self)
        let time = try #require(Int64(mtimeField, radix: 8))
        #expect(Array(expected[0..<17]) != Array("pax_global_header".utf8))
        let actual = try repo.writeTar(commit: commit.tree, time: time, commentID: nil)
        try expectSameBytes(actual, expected, "tar of tree")
    }

    @Test("tar with times beyond the ustar limit and negative times equals git", arguments: [Int64(99_999_999_999), -100, 0])
    func tarWithExtremeTimes(time: Int64) throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let crafted = try repo.craftCommit(tree: commit.tree, time: time)
        let expected = try repo.git(["archive", "--format=tar", crafted])
        let actual = try repo.writeTar(commit: crafted, time: time, commentID: crafted)
        try expectSameBytes(actual, expected, "tar at time \(time)")
    }

    @Test("an empty tar archive is one block of zeros")
    func emptyTar() throws {
        let sink = MemorySink()
        let writer = TarArchiveWriter(sink: sink, modificationTime: 1_700_000_000, commentID: nil)
        try writer.finish()
        #expect(sink.bytes == [UInt8](repeating: 0, count: 10240))

        let withComment = MemorySink()
        let commented = TarArchiveWriter(
            sink: withComment, modificationTime: 1_700_000_000, commentID: String(repeating: "ab", count: 20))
        try commented.finish()
        #expect(withComment.bytes.count == 10240)
        #expect(Array(withComment.bytes[512..<523]) == Array("52 comment=".utf8))
    }

    // MARK: - zip

    @Test("zip of a commit equals git archive --format=zip (fixed time zone)")
    func zipOfCommit() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        // POSIX TZ "FWT-5" is five hours east of UTC.
        let expected = try repo.git(["archive", "--format=zip", commit.id], environment: ["TZ": "FWT-5"])
        let actual = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: 5 * 3600)
        try expectSameZip(actual, expected, "zip")
    }

    @Test("zip uses the local time zone of the process by default, like git")
    func zipInLocalTime() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        // git inherits this process's TZ (or, without one, /etc/localtime), as the writer uses.
        let expected = try repo.git(["archive", "--format=zip", commit.id], environment: [:], inheritTimeZone: true)
        let actual = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: nil)
        try expectSameZip(actual, expected, "zip in local time")
    }

    @Test("zip with --prefix equals git", arguments: ["proj/", "a//", "pre-"])
    func zipWithPrefix(prefix: String) throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=zip", "--prefix=\(prefix)", commit.id], environment: ["TZ": "UTC"])
        let actual = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, prefix: prefix, utcOffset: 0)
        try expectSameZip(actual, expected, "zip --prefix=\(prefix)")
    }

    @Test("zip at compression levels 0, 1 and 9 equals git", arguments: [Int32(0), 1, 9])
    func zipCompressionLevels(level: Int32) throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=zip", "-\(level)", commit.id], environment: ["TZ": "UTC"])
        let actual = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: 0, level: level)
        try expectSameZip(actual, expected, "zip -\(level)")
    }

    @Test("zip of files above core.bigFileThreshold (streamed by git) equals git", arguments: [Int32(-1), 0])
    func zipStreamedFiles(level: Int32) throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        var arguments = ["-c", "core.bigFileThreshold=2000", "archive", "--format=zip"]
        if level >= 0 { arguments.append("-\(level)") }
        let expected = try repo.git(arguments + [commit.id], environment: ["TZ": "UTC"])
        let actual = try repo.writeZip(
            commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: 0, level: level, bigFileThreshold: 2000)
        try expectSameZip(actual, expected, "streamed zip")
    }

    @Test("zip that deflates a file twice (small deflate buffer) equals git")
    func zipWithSmallDeflateBuffer() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=zip", commit.id], environment: ["TZ": "UTC"])
        let actual = try repo.writeZip(
            commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: 0, deflateBufferSize: 4096)
        try expectSameZip(actual, expected, "zip, deflated twice")
    }

    @Test("zip of a bare tree has no comment, like git")
    func zipOfTree() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let expected = try repo.git(["archive", "--format=zip", commit.tree], environment: ["TZ": "UTC"])
        // git stamps a tree with the current time: read it from the first entry's extended timestamp.
        let nameLength = Int(expected[26]) | Int(expected[27]) << 8
        let stamp = 30 + nameLength + 5
        let time = Int64(expected[stamp]) | Int64(expected[stamp + 1]) << 8 | Int64(expected[stamp + 2]) << 16 | Int64(expected[stamp + 3]) << 24
        let actual = try repo.writeZip(commit: commit.tree, time: time, commentID: nil, utcOffset: 0)
        try expectSameZip(actual, expected, "zip of tree")
        #expect(Array(expected.suffix(2)) == [0, 0])
    }

    @Test("zip at a time beyond 32 bits equals git; a negative time fails like git")
    func zipWithExtremeTimes() throws {
        let repo = try GitFixture()
        let commit = try repo.buildStandardTree()
        let late = try repo.craftCommit(tree: commit.tree, time: 99_999_999_999)
        let expected = try repo.git(["archive", "--format=zip", late], environment: ["TZ": "UTC"])
        let actual = try repo.writeZip(commit: late, time: 99_999_999_999, commentID: late, utcOffset: 0)
        try expectSameZip(actual, expected, "zip at a late time")

        let early = try repo.craftCommit(tree: commit.tree, time: -100)
        let gitResult = try repo.run(["archive", "--format=zip", early], environment: ["TZ": "UTC"])
        #expect(gitResult.status != 0)
        let error = #expect(throws: ForgeError.self) {
            try repo.writeZip(commit: early, time: -100, commentID: early, utcOffset: 0)
        }
        #expect(error?.code == .unsupported)
    }

    @Test("archives of more than 65535 entries (ZIP64 end records) equal git")
    func manyEntries() throws {
        let repo = try GitFixture()
        let commit = try repo.buildWideTree(files: 65_600)
        let expectedTar = try repo.git(["archive", "--format=tar", commit.id])
        let actualTar = try repo.writeTar(commit: commit.id, time: commit.time, commentID: commit.id)
        try expectSameBytes(actualTar, expectedTar, "tar of 65600 entries")

        let expectedZip = try repo.git(["archive", "--format=zip", commit.id], environment: ["TZ": "UTC"])
        let actualZip = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, utcOffset: 0)
        try expectSameZip(actualZip, expectedZip, "zip of 65600 entries")
        // The ZIP64 end-of-central-directory record is there.
        let signature: [UInt8] = [0x50, 0x4b, 0x06, 0x06]
        let tail = Array(actualZip.suffix(22 + 40 + 20 + 56))
        #expect(Array(tail[0..<4]) == signature)
    }

    @Test("directories without files (empty trees) are left out, like git", arguments: ["", "p/"])
    func emptyTrees(prefix: String) throws {
        let repo = try GitFixture()
        let commit = try repo.buildTreeWithEmptyDirectories()
        let expectedTar = try repo.git(["archive", "--format=tar", "--prefix=\(prefix)", commit.id])
        let actualTar = try repo.writeTar(commit: commit.id, time: commit.time, commentID: commit.id, prefix: prefix, treeID: commit.tree)
        try expectSameBytes(actualTar, expectedTar, "tar with empty trees")

        let expectedZip = try repo.git(["archive", "--format=zip", "--prefix=\(prefix)", commit.id], environment: ["TZ": "UTC"])
        let actualZip = try repo.writeZip(commit: commit.id, time: commit.time, commentID: commit.id, prefix: prefix, utcOffset: 0)
        try expectSameZip(actualZip, expectedZip, "zip with empty trees")
    }

    @Test("zip marks UTF-8 names by git's rules")
    func zipUTF8Flag() {
        #expect(ZipArchiveWriter.isValidUTF8(Array("ünïcødé/日本語 😀".utf8)))
        #expect(!ZipArchiveWriter.isValidUTF8([0x63, 0x61, 0x66, 0xe9]))  // Latin-1
        #expect(!ZipArchiveWriter.isValidUTF8([0xef, 0xbf, 0xbf]))  // U+FFFF
        #expect(!ZipArchiveWriter.isValidUTF8([0xed, 0xa0, 0x80]))  // a surrogate
        #expect(!ZipArchiveWriter.isValidUTF8([0xc0, 0xaf]))  // overlong
        #expect(!ZipArchiveWriter.isValidUTF8([0xf4, 0x90, 0x80, 0x80]))  // above U+10FFFF
        #expect(!ZipArchiveWriter.isValidUTF8([0xe2, 0x82]))  // truncated
    }

    // MARK: - Errors

    @Test("a failing sink's error propagates from both writers, and the writer refuses further use")
    func sinkErrorPropagates() throws {
        let contents = [UInt8](repeating: 0x61, count: 5000)
        let oid = String(repeating: "1", count: 40)

        let tarSink = FailingSink(allowedBytes: 1024)
        let tar = TarArchiveWriter(sink: tarSink, modificationTime: 1_700_000_000, commentID: oid)
        let tarError = #expect(throws: ForgeError.self) {
            try contents.withUnsafeBytes { raw in
                try tar.addFile(path: Array("a.txt".utf8), objectID: oid, executable: false, contents: raw)
            }
        }
        #expect(tarError?.code == .io)
        let tarAfter = #expect(throws: ForgeError.self) { try tar.finish() }
        #expect(tarAfter?.code == .misuse)

        let zipSink = FailingSink(allowedBytes: 10)
        let zip = ZipArchiveWriter(sink: zipSink, modificationTime: 1_700_000_000, commentID: oid)
        let zipError = #expect(throws: ForgeError.self) {
            try contents.withUnsafeBytes { raw in
                try zip.addFile(path: Array("a.txt".utf8), objectID: oid, executable: false, contents: raw)
            }
        }
        #expect(zipError?.code == .io)
        let zipAfter = #expect(throws: ForgeError.self) { try zip.finish() }
        #expect(zipAfter?.code == .misuse)

        // Failing in finish, too.
        let lateSink = FailingSink(allowedBytes: 60)
        let late = ZipArchiveWriter(sink: lateSink, modificationTime: 1_700_000_000, commentID: oid)
        try Array("x".utf8).withUnsafeBytes { raw in
            try late.addFile(path: Array("a".utf8), objectID: oid, executable: false, contents: raw)
        }
        let finishError = #expect(throws: ForgeError.self) { try late.finish() }
        #expect(finishError?.code == .io)
    }

    @Test("bad object ids and paths are rejected")
    func invalidArguments() throws {
        let tar = TarArchiveWriter(sink: MemorySink(), modificationTime: 0, commentID: nil)
        let badID = #expect(throws: ForgeError.self) {
            try tar.addSymlink(path: Array("l".utf8), objectID: "xyz", target: UnsafeRawBufferPointer(start: nil, count: 0))
        }
        #expect(badID?.code == .invalidArgument)

        let zip = ZipArchiveWriter(sink: MemorySink(), modificationTime: 0, commentID: nil)
        let emptyPath = #expect(throws: ForgeError.self) { try zip.addDirectory(path: []) }
        #expect(emptyPath?.code == .invalidArgument)

        let finished = ZipArchiveWriter(sink: MemorySink(), modificationTime: 0, commentID: nil)
        try finished.finish()
        let afterFinish = #expect(throws: ForgeError.self) { try finished.addDirectory(path: Array("d".utf8)) }
        #expect(afterFinish?.code == .misuse)
    }
}

// MARK: - Comparison

private struct Mismatch: Error, CustomStringConvertible {
    let description: String
}

/// Expects equal bytes; on a difference, reports the first differing offset.
private func expectSameBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if actual == expected { return }
    let common = min(actual.count, expected.count)
    let index = (0..<common).first { actual[$0] != expected[$0] } ?? common
    Issue.record(
        "\(what): \(actual.count) bytes, git wrote \(expected.count); first difference at offset \(index)",
        sourceLocation: sourceLocation)
}

/// Expects the zip archives to be equal byte for byte or, failing that, equal field by field apart from
/// the deflated bytes and what depends on their length (a different zlib would explain that).
private func expectSameZip(_ actual: [UInt8], _ expected: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if actual == expected { return }
    let ours = try ZipListing(actual)
    let theirs = try ZipListing(expected)
    #expect(ours.comment == theirs.comment, "\(what): comment", sourceLocation: sourceLocation)
    #expect(ours.entries.count == theirs.entries.count, "\(what): entry count", sourceLocation: sourceLocation)
    for (mine, git) in zip(ours.entries, theirs.entries) {
        #expect(mine.comparable == git.comparable, "\(what): entry \(String(decoding: git.name, as: UTF8.self))", sourceLocation: sourceLocation)
        if mine.method == 0 && git.method == 0 {
            #expect(mine.data == git.data, "\(what): stored data", sourceLocation: sourceLocation)
        }
    }
    Issue.record("\(what): the archive differs from git's in its bytes (see the field comparisons)", sourceLocation: sourceLocation)
}

/// A zip archive read back into its central-directory and local-header fields.
private struct ZipListing {
    struct Entry {
        var name: [UInt8] = []
        var creator: UInt16 = 0
        var needed: UInt16 = 0
        var flags: UInt16 = 0
        var method: UInt16 = 0
        var time: UInt16 = 0
        var date: UInt16 = 0
        var crc: UInt32 = 0
        var size: UInt32 = 0
        var internalAttributes: UInt16 = 0
        var externalAttributes: UInt32 = 0
        var extra: [UInt8] = []
        var localExtra: [UInt8] = []
        var localFlags: UInt16 = 0
        var localMethod: UInt16 = 0
        var data: [UInt8] = []

        /// Everything except the compressed size and offsets, labelled.
        var comparable: String {
            "name=\(String(decoding: name, as: UTF8.self)) creator=\(creator) needed=\(needed) flags=\(flags) "
                + "method=\(method) time=\(time) date=\(date) crc=\(crc) size=\(size) "
                + "internal=\(internalAttributes) external=\(String(externalAttributes, radix: 16)) extra=\(extra) "
                + "local-extra=\(localExtra) local-flags=\(localFlags) local-method=\(localMethod)"
        }
    }

    var entries: [Entry] = []
    var comment: [UInt8] = []

    init(_ bytes: [UInt8]) throws {
        func u16(_ at: Int) throws -> UInt16 {
            guard at + 2 <= bytes.count else { throw Mismatch(description: "truncated zip") }
            return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> UInt32 {
            UInt32(try u16(at)) | UInt32(try u16(at + 2)) << 16
        }
        var end = bytes.count - 22
        while end >= 0, try u32(end) != 0x0605_4b50 { end -= 1 }
        guard end >= 0 else { throw Mismatch(description: "no end record") }
        let count = Int(try u16(end + 10))
        var position = Int(try u32(end + 16))
        comment = Array(bytes[(end + 22)...])
        for _ in 0..<count {
            guard try u32(position) == 0x0201_4b50 else { throw Mismatch(description: "bad central record") }
            var entry = Entry()
            entry.creator = try u16(position + 4)
            entry.needed = try u16(position + 6)
            entry.flags = try u16(position + 8)
            entry.method = try u16(position + 10)
            entry.time = try u16(position + 12)
            entry.date = try u16(position + 14)
            entry.crc = try u32(position + 16)
            let compressed = Int(try u32(position + 20))
            entry.size = try u32(position + 24)
            let nameLength = Int(try u16(position + 28))
            let extraLength = Int(try u16(position + 30))
            let commentLength = Int(try u16(position + 32))
            entry.internalAttributes = try u16(position + 36)
            entry.externalAttributes = try u32(position + 38)
            let local = Int(try u32(position + 42))
            entry.name = Array(bytes[(position + 46)..<(position + 46 + nameLength)])
            entry.extra = Array(bytes[(position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)])
            position += 46 + nameLength + extraLength + commentLength

            entry.localFlags = try u16(local + 6)
            entry.localMethod = try u16(local + 8)
            let localName = Int(try u16(local + 26))
            let localExtra = Int(try u16(local + 28))
            entry.localExtra = Array(bytes[(local + 30 + localName)..<(local + 30 + localName + localExtra)])
            let dataStart = local + 30 + localName + localExtra
            entry.data = Array(bytes[dataStart..<(dataStart + compressed)])
            entries.append(entry)
        }
    }
}

// MARK: - Sinks

/// A sink that accepts a number of bytes and then fails.
private final class FailingSink: ByteSink {
    private var remaining: Int

    init(allowedBytes: Int) {
        remaining = allowedBytes
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ForgeError) {
        guard bytes.count <= remaining else {
            throw ForgeError(.io, "disk full", operation: "write")
        }
        remaining -= bytes.count
    }

    func flush() throws(ForgeError) {
        guard remaining > 0 else { throw ForgeError(.io, "disk full", operation: "flush") }
    }
}

// MARK: - Writers

/// The entry methods both writers share.
private protocol ArchiveEntryWriter {
    func addDirectory(path: [UInt8], objectID: String?) throws(ForgeError)
    func addGitlink(path: [UInt8], objectID: String?) throws(ForgeError)
    func addFile(path: [UInt8], objectID: String, executable: Bool, contents: UnsafeRawBufferPointer) throws(ForgeError)
    func addSymlink(path: [UInt8], objectID: String, target: UnsafeRawBufferPointer) throws(ForgeError)
    func finish() throws(ForgeError)
}

extension TarArchiveWriter: ArchiveEntryWriter {}
extension ZipArchiveWriter: ArchiveEntryWriter {}

// MARK: - Repository fixture

/// A bare repository in a temporary directory, driven by the git command line with a fixed identity,
/// fixed dates and no system or user configuration.
private final class GitFixture {
    struct Commit {
        let id: String
        let tree: String
        let time: Int64
    }

    struct TreeEntry {
        let mode: String
        let objectID: String
        let path: [UInt8]
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("forgekit-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = try git(["init", "-q", "--bare", "-b", "main", "repo.git"], inRepository: false)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Builds the tree the tests archive with `git fast-import` and returns its commit.
    func buildStandardTree() throws -> Commit {
        var generator = ByteGenerator(seed: 0x5eed)
        let loremLine = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n"
        var compressible = ""
        for index in 0..<6000 {
            compressible += "\(index): \(loremLine)"
        }
        // Text, and hexadecimal noise that deflates to about half: larger than a small deflate buffer.
        var noisy = [UInt8]()
        for _ in 0..<40_000 {
            noisy.append(Array("0123456789abcdef".utf8)[Int(generator.next() & 15)])
        }
        var lateNUL = [UInt8](repeating: 0x62, count: 9000)
        lateNUL[8500] = 0  // beyond git's 8000-byte binary check: still "text"
        var earlyNUL = [UInt8](repeating: 0x62, count: 100)
        earlyNUL[50] = 0

        let splittable = "long/" + String(repeating: "a", count: 80) + "/" + String(repeating: "b", count: 60) + ".txt"
        let longName = "long/" + String(repeating: "c", count: 120) + ".txt"
        let longDirectory = String(repeating: "D", count: 110) + "/f.txt"
        var veryLong = "deep-long"
        for index in 0..<5 {
            veryLong += "/" + String(repeating: Character(String(index)), count: 60)
        }
        veryLong += "/leaf.txt"
        let exact100 = "exact/" + String(repeating: "e", count: 94)
        let exact101 = "exact/" + String(repeating: "f", count: 95)
        let prefixLimit = String(repeating: "g", count: 154) + "/" + String(repeating: "h", count: 100)
        let longTarget = "../" + String(repeating: "t", count: 147)
        let target100 = String(repeating: "u", count: 100)

        var files: [(mode: String, path: [UInt8], data: [UInt8])] = [
            ("100644", Array("README.md".utf8), Array("# Fixture\n\nHello, archive.\n".utf8)),
            ("100755", Array("bin/run.sh".utf8), Array("#!/bin/sh\necho run\n".utf8)),
            ("100644", Array("empty.txt".utf8), []),
            ("100644", Array("data/random.bin".utf8), (0..<20_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }),
            ("100644", Array("data/lorem.txt".utf8), Array(compressible.utf8)),
            ("100644", Array("data/noise.txt".utf8), noisy),
            ("100644", Array("data/late-nul.bin".utf8), lateNUL),
            ("100644", Array("data/early-nul.bin".utf8), earlyNUL),
            ("100644", Array("data/tiny.txt".utf8), Array("x".utf8)),
            ("100755", Array("data/tool".utf8), Array(String(repeating: "exec ", count: 500).utf8)),
            ("120000", Array("link-short".utf8), Array("README.md".utf8)),
            ("120000", Array("link-long".utf8), Array(longTarget.utf8)),
            ("120000", Array("link-100".utf8), Array(target100.utf8)),
            ("100644", Array("dir with space/file name with spaces.txt".utf8), Array("spaces\n".utf8)),
            ("100644", Array("ünïcødé/日本語 ファイル.txt".utf8), Array("unicode\n".utf8)),
            ("100644", Array("latin1-caf".utf8) + [0xe9] + Array(".txt".utf8), Array("latin-1 name\n".utf8)),
            ("100644", Array("nonchar-".utf8) + [0xef, 0xbf, 0xbf] + Array(".txt".utf8), Array("U+FFFF\n".utf8)),
            ("100644", Array(splittable.utf8), Array("split into prefix and name\n".utf8)),
            ("100644", Array(longName.utf8), Array("a name over 100 bytes\n".utf8)),
            ("100644", Array(longDirectory.utf8), Array("in a directory with a long name\n".utf8)),
            ("100644", Array(veryLong.utf8), Array("over 255 bytes\n".utf8)),
            ("100644", Array(exact100.utf8), Array("exactly 100\n".utf8)),
            ("100644", Array(exact101.utf8), Array("101\n".utf8)),
            ("100644", Array(prefixLimit.utf8), Array("prefix at its limit\n".utf8)),
            ("100644", Array("deep/a/b/c/d/e/f/g/h/only.txt".utf8), Array("deep\n".utf8)),
        ]
        files.sort { $0.path.lexicographicallyPrecedes($1.path) }

        var stream = [UInt8]()
        for (index, file) in files.enumerated() {
            stream += Array("blob\nmark :\(index + 1)\ndata \(file.data.count)\n".utf8) + file.data + [0x0a]
        }
        let message = "Fixture\n"
        stream += Array("commit refs/heads/main\ncommitter A U Thor <author@example.com> 1700000000 +0200\n".utf8)
        stream += Array("data \(message.utf8.count)\n\(message)".utf8)
        for (index, file) in files.enumerated() {
            stream += Array("M \(file.mode) :\(index + 1) ".utf8) + file.path + [0x0a]
        }
        // A submodule: git archive writes it as an empty directory.
        stream += Array("M 160000 4e02ff234e6bdb4d40531a9acdd11ac265402303 vendor/sub\n".utf8)
        stream += [0x0a]
        _ = try git(["fast-import", "--quiet"], input: stream)

        let id = try text(["rev-parse", "main"])
        let tree = try text(["rev-parse", "main^{tree}"])
        let time = try #require(Int64(try text(["show", "-s", "--format=%ct", id])))
        return Commit(id: id, tree: tree, time: time)
    }

    /// Builds a commit with `files` small files in one directory (the same blob under many names),
    /// with `git mktree` and `git commit-tree`.
    func buildWideTree(files: Int) throws -> Commit {
        let blob = try text(["hash-object", "-w", "--stdin"], input: Array("small\n".utf8))
        var listing = [UInt8]()
        for index in 0..<files {
            listing += Array("100644 blob \(blob)\tf\(index)\n".utf8)
        }
        let inner = try text(["mktree"], input: listing)
        let tree = try text(["mktree"], input: Array("040000 tree \(inner)\tmany\n".utf8))
        let id = try text(["commit-tree", tree], input: Array("wide\n".utf8))
        let time = try #require(Int64(try text(["show", "-s", "--format=%ct", id])))
        return Commit(id: id, tree: tree, time: time)
    }

    /// Builds a commit whose tree holds empty trees (at the top, and as the only thing in a directory),
    /// a file after them, and a submodule, with `git mktree`.
    func buildTreeWithEmptyDirectories() throws -> Commit {
        let blob = try text(["hash-object", "-w", "--stdin"], input: Array("z\n".utf8))
        let empty = try text(["mktree"], input: [])
        let onlyEmpty = try text(["mktree"], input: Array("040000 tree \(empty)\tempty\n".utf8))
        let nest = try text(["mktree"], input: Array("040000 tree \(onlyEmpty)\tdeeper\n100644 blob \(blob)\tz\n".utf8))
        let hollow = try text(["mktree"], input: Array("040000 tree \(onlyEmpty)\tinner\n".utf8))
        let root = try text(
            ["mktree", "--missing"],
            input: Array(
                ("040000 tree \(empty)\tempty\n040000 tree \(hollow)\thollow\n040000 tree \(nest)\tnest\n"
                    + "160000 commit 4e02ff234e6bdb4d40531a9acdd11ac265402303\tsub\n").utf8))
        let id = try text(["commit-tree", root], input: Array("empty trees\n".utf8))
        let time = try #require(Int64(try text(["show", "-s", "--format=%ct", id])))
        return Commit(id: id, tree: root, time: time)
    }

    /// Writes a commit object by hand, so that its time can be anything git can read.
    func craftCommit(tree: String, time: Int64) throws -> String {
        let body = "tree \(tree)\nauthor A U Thor <author@example.com> \(time) +0000\ncommitter A U Thor <author@example.com> \(time) +0000\n\ncrafted\n"
        return try text(["hash-object", "-t", "commit", "-w", "--stdin", "--literally"], input: Array(body.utf8))
    }

    /// The entries of `treeish` in git's order: each directory before its contents.
    func entries(of treeish: String) throws -> [TreeEntry] {
        let listing = try git(["ls-tree", "-r", "-t", "-z", "--full-tree", treeish])
        return try listing.split(separator: 0).map { record in
            guard let tab = record.firstIndex(of: 0x09) else { throw Mismatch(description: "bad ls-tree record") }
            let fields = String(decoding: record[record.startIndex..<tab], as: UTF8.self).split(separator: " ")
            guard fields.count == 3 else { throw Mismatch(description: "bad ls-tree fields") }
            return TreeEntry(mode: String(fields[0]), objectID: String(fields[2]), path: Array(record[(tab + 1)...]))
        }
    }

    /// The contents of the given blobs, read with one `git cat-file --batch`.
    func blobs(_ ids: [String]) throws -> [String: [UInt8]] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        let output = try git(["cat-file", "--batch"], input: Array(unique.joined(separator: "\n").utf8) + [0x0a])
        var result: [String: [UInt8]] = [:]
        var position = 0
        while position < output.count {
            guard let newline = output[position...].firstIndex(of: 0x0a) else { break }
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, let size = Int(header[2]) else { throw Mismatch(description: "bad cat-file header") }
            let start = newline + 1
            result[String(header[0])] = Array(output[start..<(start + size)])
            position = start + size + 1
        }
        return result
    }

    /// Feeds the entries of `treeish` to `writer`, as git walks them.
    func feed(_ treeish: String, to writer: some ArchiveEntryWriter) throws {
        let entries = try entries(of: treeish)
        let contents = try blobs(entries.filter { $0.mode.hasPrefix("10") || $0.mode == "120000" }.map(\.objectID))
        for entry in entries {
            switch entry.mode {
            case "040000":
                try writer.addDirectory(path: entry.path, objectID: entry.objectID)
            case "160000":
                try writer.addGitlink(path: entry.path, objectID: entry.objectID)
            case "120000":
                let target = try #require(contents[entry.objectID])
                try target.withUnsafeBytes { raw in
                    try writer.addSymlink(path: entry.path, objectID: entry.objectID, target: raw)
                }
            default:
                let data = try #require(contents[entry.objectID])
                try data.withUnsafeBytes { raw in
                    try writer.addFile(path: entry.path, objectID: entry.objectID, executable: entry.mode == "100755", contents: raw)
                }
            }
        }
        try writer.finish()
    }

    func writeTar(commit: String, time: Int64, commentID: String?, prefix: String = "", treeID: String? = nil, umask: UInt32 = 0o002) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = TarArchiveWriter(sink: sink, modificationTime: time, commentID: commentID, prefix: prefix, treeID: treeID, umask: umask)
        try feed(commit, to: writer)
        return sink.bytes
    }

    func writeZip(
        commit: String, time: Int64, commentID: String?, prefix: String = "", utcOffset: Int?, level: Int32 = -1,
        bigFileThreshold: Int = ZipArchiveWriter.defaultBigFileThreshold,
        deflateBufferSize: Int = ZipArchiveWriter.defaultDeflateBufferSize
    ) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = ZipArchiveWriter(
            sink: sink, modificationTime: time, commentID: commentID, prefix: prefix, compressionLevel: level,
            bigFileThreshold: bigFileThreshold, utcOffset: utcOffset, deflateBufferSize: deflateBufferSize)
        try feed(commit, to: writer)
        return sink.bytes
    }

    // MARK: Running git

    /// Runs git in the repository and returns its standard output; fails when git fails.
    func git(
        _ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:], inheritTimeZone: Bool = false,
        inRepository: Bool = true
    ) throws -> [UInt8] {
        let result = try run(arguments, input: input, environment: environment, inheritTimeZone: inheritTimeZone, inRepository: inRepository)
        guard result.status == 0 else {
            throw Mismatch(description: "git \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.error)")
        }
        return result.output
    }

    /// Runs git and returns its output as trimmed text.
    func text(_ arguments: [String], input: [UInt8]? = nil) throws -> String {
        String(decoding: try git(arguments, input: input), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git with files for its standard streams (no pipe can fill up and block it).
    func run(
        _ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:], inheritTimeZone: Bool = false,
        inRepository: Bool = true
    ) throws -> (status: Int32, output: [UInt8], error: String) {
        var processEnvironment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("GIT_") && (inheritTimeZone || key != "TZ")
        }
        processEnvironment["GIT_CONFIG_NOSYSTEM"] = "1"
        processEnvironment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        processEnvironment["HOME"] = directory.path
        processEnvironment["GIT_AUTHOR_NAME"] = "A U Thor"
        processEnvironment["GIT_AUTHOR_EMAIL"] = "author@example.com"
        processEnvironment["GIT_COMMITTER_NAME"] = "A U Thor"
        processEnvironment["GIT_COMMITTER_EMAIL"] = "author@example.com"
        processEnvironment["GIT_AUTHOR_DATE"] = "1700000000 +0200"
        processEnvironment["GIT_COMMITTER_DATE"] = "1700000000 +0200"
        if !inheritTimeZone && environment["TZ"] == nil {
            processEnvironment["TZ"] = "UTC"
        }
        if inRepository {
            processEnvironment["GIT_DIR"] = directory.appendingPathComponent("repo.git").path
        }
        processEnvironment.merge(environment) { _, new in new }
        return try TestCommand.run(["git"] + arguments, environment: processEnvironment, workingDirectory: directory.path, input: input ?? [])
    }
}

/// A small deterministic pseudo-random generator (xorshift) for test data.
private struct ByteGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9e37_79b9_7f4a_7c15 : seed
    }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
