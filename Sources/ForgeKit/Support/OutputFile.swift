import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file to write output to that is replaced only when the output is complete: a regular file (or
/// a path that does not exist yet) is written beside it, synced, and renamed over it by
/// ``commit()``; anything else — a device such as `/dev/null`, a FIFO, a socket — is written in
/// place. On failure, ``abandon()`` (or `deinit`) removes only the file it created, so what was at
/// the path before is never truncated or removed.
///
/// A symbolic link is followed: the file it points to is replaced, the link stays.
///
/// ```swift
/// let file = try OutputFile(path: "release.tar")
/// try write(to: file.descriptor)     // on error, `file` goes away and release.tar is untouched
/// try file.commit()
/// ```
///
/// Owned by one thread at a time.
public final class OutputFile {
    /// Where output goes until ``commit()``.
    public let descriptor: Int32
    /// The path given.
    public let path: String
    /// The temporary file beside the target, when the target is (or will be) a regular file.
    private let temporary: String?
    /// The file the rename replaces (the target of a symbolic link, or `path`).
    private let target: String
    private var done = false

    /// Opens `path` for output.
    ///
    /// - Throws: ``ForgeError`` `io` when the folder cannot be written or the path cannot be opened.
    public init(path: String) throws(ForgeError) {
        self.path = path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var status = stat()
        let exists = stat(resolved, &status) == 0
        let isRegular = !exists || (status.st_mode & S_IFMT) == S_IFREG
        target = exists ? resolved : path
        if !isRegular {
            let opened = open(target, O_WRONLY | O_CLOEXEC)
            guard opened >= 0 else { throw Self.failure("cannot open \(path)", path: path) }
            descriptor = opened
            temporary = nil
            return
        }
        let folder = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        var template = Array(((folder.isEmpty ? "." : folder) + "/." + name + ".XXXXXX").utf8CString)
        let opened = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard opened >= 0 else { throw Self.failure("cannot create a file beside \(path)", path: path) }
        _ = fcntl(opened, F_SETFD, FD_CLOEXEC)
        descriptor = opened
        temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The mode the replaced file had, or what a new file gets (0666 less the umask).
        let mode: mode_t
        if exists {
            mode = status.st_mode & 0o7777
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        fchmod(opened, mode)
    }

    deinit {
        if !done { abandon() }
    }

    /// Finishes: syncs the output and renames it over the target (a regular file), or just closes
    /// it (a device, FIFO or socket).
    ///
    /// - Throws: ``ForgeError`` `io` when the sync or the rename fails; the target is then unchanged.
    public func commit() throws(ForgeError) {
        guard !done else { return }
        done = true
        guard let temporary else {
            close(descriptor)
            return
        }
        guard fsync(descriptor) == 0 else {
            let error = Self.failure("cannot write \(path)", path: path)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else {
            let error = Self.failure("cannot replace \(path)", path: path)
            unlink(temporary)
            throw error
        }
    }

    /// Gives up: closes the output and removes the temporary file; the target is unchanged.
    public func abandon() {
        guard !done else { return }
        done = true
        close(descriptor)
        if let temporary { unlink(temporary) }
    }

    private static func failure(_ message: String, path: String) -> ForgeError {
        ForgeError(.io, "\(message): \(String(cString: strerror(errno)))", operation: "write output", path: path)
    }
}
