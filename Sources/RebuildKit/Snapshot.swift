import Crypto
import Foundation
import PlatformSupport

/// What identifies a repository snapshot: the SHA-256 of each index file it was read from. Two
/// snapshots with the same ``id`` resolve the same way, so a watcher skips a poll that found nothing new.
public struct SnapshotIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Each index file's SHA-256 (lowercase hex), by the name it was read under.
    public var checksums: [String: String]

    /// Creates an identity from known checksums (for example the ones `repomd.xml` lists).
    public init(checksums: [String: String]) {
        self.checksums = checksums
    }

    /// Hashes the given files.
    ///
    /// - Throws: ``RebuildError`` `.io` naming the file that cannot be read.
    public init(files: [String]) throws(RebuildError) {
        var checksums: [String: String] = [:]
        for path in files { checksums[(path as NSString).lastPathComponent] = try Self.sha256(ofFile: path) }
        self.checksums = checksums
    }

    /// One digest over every file's name and checksum, in name order.
    public var id: String {
        var hasher = SHA256()
        for (name, checksum) in checksums.sorted(by: { $0.key < $1.key }) { hasher.update(data: Data("\(name)\0\(checksum)\n".utf8)) }
        return Hex.encode(hasher.finalize())
    }

    public var description: String { String(id.prefix(16)) }

    /// The SHA-256 of a file's bytes, in lowercase hex, read in 1 MiB pieces.
    public static func sha256(ofFile path: String) throws(RebuildError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RebuildError(.io, "cannot open", operation: "hash index", file: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw RebuildError(.io, "\(error)", operation: "hash index", file: path)
        }
        return Hex.encode(hasher.finalize())
    }
}
