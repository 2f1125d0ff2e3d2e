import ForgeKit
import PlatformSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where ``SQLiteRunStore`` keeps the bodies of the events it stores: appended to one file beside the
/// database (`<database>-events`), each row of `events` holding its body's offset, length and CRC-32.
///
/// A webhook body of a few kilobytes would fill a database page of its own, which SQLite writes into
/// the WAL, reads back and writes again into the database at the checkpoint; in this file it is
/// written once. Appends happen only inside the store's write transaction, which holds SQLite's write
/// lock, so processes sharing the database never append at once, and a body is written before the
/// row that points at it is committed: a crash between the two leaves unreferenced bytes at the end,
/// nothing else. With ``SQLiteRunStore/Durability/full`` the file is synced before that commit;
/// otherwise it is synced before every WAL checkpoint, so a row that reaches the database file has
/// its body on disk. A body lost anyway (a power cut before the sync) fails its checksum and is
/// reported as lost instead of being read as something else.
final class EventBodyFile: Sendable {
    /// Where a body is in the file.
    struct Location: Sendable {
        var offset: Int64
        var length: Int
        var checksum: UInt32
    }

    let path: String
    private let descriptor: Int32

    init(path: String) throws(PipelineError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw PipelineError(.store, "cannot open \(path): \(Self.reason())", operation: "open run store")
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Where the next append starts: the file's current end. Call it inside the write transaction.
    func end() throws(PipelineError) -> Int64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw PipelineError(.store, "cannot read the size of \(path): \(Self.reason())", operation: "store event bodies")
        }
        return Int64(status.st_size)
    }

    /// Writes `bytes` at `offset` (the end that ``end()`` returned, inside the same transaction), and
    /// syncs the file when `sync` is set.
    func write(_ bytes: [UInt8], at offset: Int64, sync: Bool) throws(PipelineError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written, off_t(offset) + off_t(written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw PipelineError(.store, "cannot write event bodies to \(path): \(Self.reason())", operation: "store event bodies")
            }
            written += result
        }
        if sync { try self.sync() }
    }

    /// Pushes what was written to disk.
    func sync() throws(PipelineError) {
        guard fdatasync(descriptor) == 0 else {
            throw PipelineError(.store, "cannot sync \(path): \(Self.reason())", operation: "store event bodies")
        }
    }

    /// The body at `location`, checked against its checksum.
    func read(_ location: Location, event: Int64) throws(PipelineError) -> [UInt8] {
        guard location.offset >= 0, location.length >= 0 else {
            throw lost(event, location, "its location is invalid")
        }
        var bytes = [UInt8](repeating: 0, count: location.length)
        var done = 0
        while done < location.length {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(location.offset) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw PipelineError(.store, "cannot read the body of event \(event) from \(path): \(Self.reason())", operation: "read event")
            }
            if result == 0 { throw lost(event, location, "the file ends at byte \(location.offset + Int64(done))") }
            done += result
        }
        guard CRC32.checksum(bytes) == location.checksum else {
            throw lost(event, location, "its checksum does not match")
        }
        return bytes
    }

    private func lost(_ event: Int64, _ location: Location, _ why: String) -> PipelineError {
        PipelineError(.store, """
            the body of event \(event) (bytes \(location.offset)..<\(location.offset + Int64(location.length)) of \(path)) is lost: \
            \(why); a power cut before it was synced, or the file was changed
            """, operation: "read event")
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
