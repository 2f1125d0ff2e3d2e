/// A streaming writer of tar archives that are byte-for-byte what `git archive --format=tar` writes.
///
/// Feed it the entries of a tree in the order git walks them (a directory before its contents, tree
/// order within a directory), then call ``finish()``. The writer keeps at most one entry's header in
/// memory: file contents go straight to the sink, followed by the zero padding to the next 512-byte
/// record.
///
/// The format, as git 2.39 writes it:
/// - Entries come in the order given. A directory is held back until a file, link or submodule turns
///   up inside it (see ``PendingDirectories``), so directories holding nothing else are left out.
/// - POSIX ustar headers (`ustar\0` magic, version `00`), uid and gid 0, user and group `root`, device
///   numbers 0, every numeric field zero-padded octal followed by a NUL, and the checksum written as
///   seven octal digits and a NUL.
/// - Every entry's mtime is the commit time. When archiving a commit, the archive starts with a pax
///   global header (`pax_global_header`, type `g`) whose `comment` record is the commit id. A time
///   beyond the ustar limit (`077777777777`) moves into an `mtime` record of that global header and
///   the headers carry the limit.
/// - Permissions: directories and submodules `0777 & ~umask`, executables `0777 & ~umask`, other files
///   `0666 & ~umask`, symbolic links `0777`; git's default `tar.umask` is `002`.
/// - A path longer than 100 bytes is split at a slash into the 155-byte prefix field and the 100-byte
///   name field; when no split fits, the entry gets a pax extended header (type `x`, named
///   `<oid>.paxheader`) with a `path` record, and the name field holds `<oid>.data`. Link targets over
///   100 bytes (`linkpath`, with `see <oid>.paxheader` in the link field) and file sizes over the ustar
///   limit (`size`, with 0 in the size field) go into the same extended header.
/// - The archive ends with zeros up to the end of the current 10240-byte block (git's 20-record
///   blocking factor); if that leaves fewer than two zero records, one more whole block of zeros
///   follows. Every archive is therefore a multiple of 10240 bytes.
final class TarArchiveWriter {
    /// The size of a tar record: headers and content padding come in these units.
    static let recordSize = 512
    /// git's output block: 20 records. The archive's length is a multiple of it.
    static let blockSize = 20 * recordSize
    /// The largest value the 12-byte octal size and mtime fields hold (11 octal digits).
    static let ustarMaximum: UInt64 = 0o77777777777
    /// git's default `tar.umask`.
    static let defaultUmask: UInt32 = 0o002

    private static let zeros = [UInt8](repeating: 0, count: blockSize)
    private static let nullObjectID = String(repeating: "0", count: 40)

    private let sink: any ByteSink
    private let prefix: [UInt8]
    private let treeID: String?
    private let umask: UInt32
    private let originalTime: UInt64
    private let commentID: String?
    /// The time written in the headers (clamped to the ustar limit).
    private var headerTime: UInt64
    /// Bytes written so far; always a multiple of ``recordSize``.
    private var position: UInt64 = 0
    private var started = false
    private var state: ArchiveWriterState = .open
    /// The one header buffer, reused for every entry.
    private var header = [UInt8](repeating: 0, count: recordSize)
    /// Directories walked into whose entries wait for something to put in them.
    private var pendingDirectories = PendingDirectories()


    /// The kinds of entry, as the tar header types them.
    private enum Kind {
        case directory
        case file(executable: Bool)
        case symlink

        var isDirectory: Bool {
            if case .directory = self { return true }
            return false
        }
    }

    /// Creates a writer that sends its archive to `sink`.
    ///
    /// - Parameters:
    ///   - sink: Where the archive's bytes go.
    ///   - modificationTime: The commit time in seconds since the epoch (`git show -s --format=%ct`),
    ///     or the current time when archiving a bare tree, as git does. git reads commit times as
    ///     unsigned numbers, so a negative time is written as its two's-complement value (and, being
    ///     beyond the ustar limit, in the global header's `mtime` record), exactly as git does.
    ///   - commentID: The hexadecimal id of the archived commit, written as the `comment` of the
    ///     leading pax global header; `nil` when archiving a tree, which writes no comment.
    ///   - prefix: Text put in front of every path (`git archive --prefix`). When it ends with `/`,
    ///     the archive starts with a directory entry for it, as git writes.
    ///   - treeID: The id of the archived tree. git names the pax header of the prefix's directory entry
    ///     after it, which matters only when that path needs a pax header (it does not fit the ustar
    ///     name and prefix fields); `nil` uses the all-zero id there.
    ///   - umask: The permission bits cleared from files and directories (`tar.umask`, git's
    ///     default `002`).
    init(
        sink: any ByteSink,
        modificationTime: Int64,
        commentID: String?,
        prefix: String = "",
        treeID: String? = nil,
        umask: UInt32 = TarArchiveWriter.defaultUmask
    ) {
        self.sink = sink
        self.prefix = Array(prefix.utf8)
        self.treeID = treeID
        self.umask = umask & 0o7777
        self.commentID = commentID
        self.originalTime = UInt64(bitPattern: modificationTime)
        self.headerTime = min(originalTime, Self.ustarMaximum)
    }

    /// Adds a directory. `path` is the directory's path without a trailing slash; the writer adds it.
    ///
    /// Like git, the writer holds a directory back until something other than a directory turns up
    /// inside it, so a tree that holds no files, links or submodules (at any depth) leaves no entry.
    ///
    /// - Parameters:
    ///   - path: The path inside the tree, as bytes (without the prefix).
    ///   - objectID: The tree's id, which names the pax header if the path needs one; `nil` uses the
    ///     all-zero id for that name (git would use the tree id).
    func addDirectory(path: [UInt8], objectID: String? = nil) throws(ForgeError) {
        try state.checkOpen(format: "tar", operation: "addDirectory")
        try PendingDirectories.validate(path: path, operation: "addDirectory")
        try Self.validate(objectID: objectID ?? Self.nullObjectID, operation: "addDirectory")
        pendingDirectories.push(path: path, objectID: objectID)
    }

    /// Adds a submodule (gitlink) entry, which git writes as an empty directory.
    ///
    /// - Parameters:
    ///   - path: The submodule's path without a trailing slash.
    ///   - objectID: The submodule commit's id, which names the pax header if the path needs one;
    ///     `nil` uses the all-zero id for that name.
    func addGitlink(path: [UInt8], objectID: String? = nil) throws(ForgeError) {
        try writeEntry(kind: .directory, path: path, objectID: objectID, operation: "addGitlink") { _ in }
    }

    /// Adds a regular file and streams its contents to the sink.
    ///
    /// - Parameters:
    ///   - path: The file's path inside the tree, as bytes.
    ///   - objectID: The blob's hexadecimal id (names the pax header when one is needed).
    ///   - executable: Whether the tree records the file as executable (mode `100755`).
    ///   - contents: The blob's contents.
    func addFile(path: [UInt8], objectID: String, executable: Bool, contents: UnsafeRawBufferPointer) throws(ForgeError) {
        try writeEntry(
            kind: .file(executable: executable), path: path, objectID: objectID,
            size: UInt64(contents.count), operation: "addFile"
        ) { (sink) throws(ForgeError) in
            guard !contents.isEmpty else { return }
            try sink.write(contents)
            try self.pad(afterWriting: contents.count)
        }
    }

    /// Adds a symbolic link.
    ///
    /// - Parameters:
    ///   - path: The link's path inside the tree, as bytes.
    ///   - objectID: The blob's hexadecimal id (names the pax header when the path or target needs one).
    ///   - target: The link's target, the blob's contents.
    func addSymlink(path: [UInt8], objectID: String, target: UnsafeRawBufferPointer) throws(ForgeError) {
        try writeEntry(kind: .symlink, path: path, objectID: objectID, linkTarget: target, operation: "addSymlink") { _ in }
    }

    /// Ends the archive: two or more zero records, up to a multiple of git's 10240-byte block, then
    /// flushes the sink. Nothing may be added afterwards.
    func finish() throws(ForgeError) {
        try state.checkOpen(format: "tar", operation: "finish")
        do {
            try startIfNeeded()
            let used = Int(position % UInt64(Self.blockSize))
            var tail = Self.blockSize - used
            if tail < 2 * Self.recordSize {
                tail += Self.blockSize
            }
            try writeZeros(count: tail)
            try sink.flush()
            state = .finished
        } catch {
            state = .failed
            throw error
        }
    }

    // MARK: - Entries


    /// Writes the global header and the prefix's directory entry before the first entry.
    private func startIfNeeded() throws(ForgeError) {
        guard !started else { return }
        started = true
        if let commentID {
            try Self.validate(objectID: commentID, operation: "archive")
        }
        var records: [UInt8] = []
        if let commentID {
            Self.appendPaxRecord(to: &records, keyword: "comment", value: Array(commentID.utf8))
        }
        if originalTime > Self.ustarMaximum {
            Self.appendPaxRecord(to: &records, keyword: "mtime", value: Array(String(originalTime).utf8))
        }
        if !records.isEmpty {
            resetHeader()
            putString("pax_global_header", at: 0, width: 100)
            header[156] = UInt8(ascii: "g")
            finishHeader(permissions: 0o666, size: UInt64(records.count))
            try writeHeader()
            try writePadded(records)
        }

        // git writes a directory entry for a prefix that ends with a slash, with repeated trailing
        // slashes collapsed to one.
        if let last = prefix.last, last == UInt8(ascii: "/") {
            var length = prefix.count
            while length > 1 && prefix[length - 2] == UInt8(ascii: "/") {
                length -= 1
            }
            let treeID = self.treeID ?? Self.nullObjectID
            try Self.validate(objectID: treeID, operation: "archive")
            try writeHeaders(kind: .directory, fullPath: prefix[0..<length], objectID: treeID, size: 0, linkTarget: nil)
        }
    }

    /// Checks and writes one entry: the directories waiting for it, its headers, then its contents
    /// (`contents` writes them and their padding).
    private func writeEntry(
        kind: Kind,
        path: [UInt8],
        objectID: String?,
        size: UInt64 = 0,
        linkTarget: UnsafeRawBufferPointer? = nil,
        operation: String,
        contents: (any ByteSink) throws(ForgeError) -> Void
    ) throws(ForgeError) {
        try state.checkOpen(format: "tar", operation: operation)
        try PendingDirectories.validate(path: path, operation: operation)
        let oid = objectID ?? Self.nullObjectID
        try Self.validate(objectID: oid, operation: operation)
        do {
            try startIfNeeded()
            for directory in pendingDirectories.take(before: path) {
                try writeHeaders(
                    kind: .directory, fullPath: fullPath(directory.path, directory: true)[...],
                    objectID: directory.objectID ?? Self.nullObjectID, size: 0, linkTarget: nil
                )
            }
            try writeHeaders(
                kind: kind, fullPath: fullPath(path, directory: kind.isDirectory)[...], objectID: oid,
                size: size, linkTarget: linkTarget
            )
            try contents(sink)
        } catch {
            state = .failed
            throw error
        }
    }

    /// The path as it appears in the archive: the prefix, the path, and a slash for a directory.
    private func fullPath(_ path: [UInt8], directory: Bool) -> [UInt8] {
        var result = prefix
        result.reserveCapacity(prefix.count + path.count + 1)
        result.append(contentsOf: path)
        if directory {
            result.append(UInt8(ascii: "/"))
        }
        return result
    }

    /// Writes the optional pax extended header and the ustar header of one entry.
    private func writeHeaders(
        kind: Kind,
        fullPath: ArraySlice<UInt8>,
        objectID: String,
        size: UInt64,
        linkTarget: UnsafeRawBufferPointer?
    ) throws(ForgeError) {
        // First decide what does not fit the ustar fields and collect it as pax records.
        var records: [UInt8] = []
        var split: Int? = nil
        if fullPath.count > 100 {
            let length = Self.prefixLength(of: fullPath)
            if length > 0 && fullPath.count - length - 1 <= 100 {
                split = length
            } else {
                Self.appendPaxRecord(to: &records, keyword: "path", value: fullPath)
            }
        }
        var longLink = false
        if case .symlink = kind, let linkTarget, linkTarget.count > 100 {
            longLink = true
            Self.appendPaxRecord(to: &records, keyword: "linkpath", value: linkTarget)
        }
        var sizeInHeader: UInt64 = 0
        if case .file = kind {
            if size > Self.ustarMaximum {
                Self.appendPaxRecord(to: &records, keyword: "size", value: Array(String(size).utf8))
            } else {
                sizeInHeader = size
            }
        }

        // The extended header, named after the object, comes before the entry's own header.
        if !records.isEmpty {
            resetHeader()
            putString(objectID + ".paxheader", at: 0, width: 100)
            header[156] = UInt8(ascii: "x")
            finishHeader(permissions: 0o666, size: UInt64(records.count))
            try writeHeader()
            try writePadded(records)
        }

        resetHeader()
        if fullPath.count <= 100 {
            putBytes(fullPath, at: 0)
        } else if let split {
            let start = fullPath.startIndex
            putBytes(fullPath[start..<(start + split)], at: 345)
            putBytes(fullPath[(start + split + 1)...], at: 0)
        } else {
            putString(objectID + ".data", at: 0, width: 100)
        }

        let permissions: UInt32
        switch kind {
        case .directory:
            header[156] = UInt8(ascii: "5")
            permissions = 0o777 & ~umask
        case .symlink:
            header[156] = UInt8(ascii: "2")
            permissions = 0o777
            if longLink {
                putString("see " + objectID + ".paxheader", at: 157, width: 100)
            } else if let linkTarget {
                putBytes(linkTarget, at: 157)
            }
        case .file(let executable):
            header[156] = UInt8(ascii: "0")
            permissions = (executable ? 0o777 : 0o666) & ~umask
        }
        finishHeader(permissions: permissions, size: sizeInHeader)
        try writeHeader()
    }

    /// The length of the part of a long path that goes into the ustar prefix field: the last slash
    /// before byte 155 (ignoring a trailing slash), or 0 when there is none.
    private static func prefixLength(of path: ArraySlice<UInt8>) -> Int {
        let start = path.startIndex
        var index = path.count
        if index > 1 && path[start + index - 1] == UInt8(ascii: "/") {
            index -= 1
        }
        index = min(index, 155)
        repeat {
            index -= 1
        } while index > 0 && path[start + index] != UInt8(ascii: "/")
        return index
    }

    // MARK: - Header fields

    /// Zeroes the header buffer.
    private func resetHeader() {
        header.withUnsafeMutableBytes { raw in
            _ = raw.initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// Copies `bytes` into the header at `offset`.
    private func putBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes, at offset: Int) {
        header.withUnsafeMutableBufferPointer { buffer in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[offset...]).initialize(from: bytes)
        }
    }

    /// Copies raw `bytes` into the header at `offset`.
    private func putBytes(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        header.withUnsafeMutableBytes { raw in
            raw.baseAddress?.advanced(by: offset).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// Copies `string` into a field of `width` bytes, keeping room for a terminating NUL.
    private func putString(_ string: String, at offset: Int, width: Int) {
        putBytes(string.utf8.prefix(width - 1), at: offset)
    }

    /// Writes `value` as `width - 1` zero-padded octal digits followed by a NUL.
    private func putOctal(_ value: UInt64, at offset: Int, width: Int) {
        var remaining = value
        var index = offset + width - 2
        while index >= offset {
            header[index] = UInt8(ascii: "0") + UInt8(remaining & 7)
            remaining >>= 3
            index -= 1
        }
        header[offset + width - 1] = 0
    }

    /// Fills the fields every header shares and the checksum. The name, link and type must be set.
    private func finishHeader(permissions: UInt32, size: UInt64) {
        putOctal(UInt64(permissions & 0o7777), at: 100, width: 8)  // mode
        putOctal(0, at: 108, width: 8)  // uid
        putOctal(0, at: 116, width: 8)  // gid
        putOctal(size, at: 124, width: 12)
        putOctal(headerTime, at: 136, width: 12)
        putBytes("ustar\0".utf8, at: 257)  // magic
        putBytes("00".utf8, at: 263)  // version
        putBytes("root".utf8, at: 265)  // uname
        putBytes("root".utf8, at: 297)  // gname
        putOctal(0, at: 329, width: 8)  // devmajor
        putOctal(0, at: 337, width: 8)  // devminor

        // The checksum counts its own field as eight spaces; the field is still zero here.
        var sum: UInt32 = 8 * UInt32(UInt8(ascii: " "))
        header.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                sum &+= UInt32(byte)
            }
        }
        putOctal(UInt64(sum), at: 148, width: 8)
    }

    // MARK: - Output

    /// Writes the header buffer as one record.
    private func writeHeader() throws(ForgeError) {
        try sink.writeArchiveBytes(header)
        position += UInt64(Self.recordSize)
    }

    /// Writes `bytes` followed by zeros up to the next record boundary.
    private func writePadded(_ bytes: [UInt8]) throws(ForgeError) {
        try sink.writeArchiveBytes(bytes)
        try pad(afterWriting: bytes.count)
    }

    /// Accounts for `count` bytes just written and pads them to the next record boundary.
    private func pad(afterWriting count: Int) throws(ForgeError) {
        position += UInt64(count)
        let tail = Int(position % UInt64(Self.recordSize))
        if tail != 0 {
            try writeZeros(count: Self.recordSize - tail)
        }
    }

    /// Writes `count` zero bytes.
    private func writeZeros(count: Int) throws(ForgeError) {
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, Self.zeros.count)
            try sink.writeArchiveBytes(Self.zeros, count: chunk)
            remaining -= chunk
            position += UInt64(chunk)
        }
    }

    // MARK: - Helpers

    /// Appends a pax record, `"<length> <keyword>=<value>\n"`, where the length counts the whole
    /// record including its own digits.
    private static func appendPaxRecord<Value: Collection<UInt8>>(to records: inout [UInt8], keyword: String, value: Value) {
        let keywordBytes = Array(keyword.utf8)
        let base = keywordBytes.count + value.count + 3  // space, "=", newline
        var length = base + 1
        while String(length).utf8.count + base != length {
            length = String(length).utf8.count + base
        }
        records.append(contentsOf: String(length).utf8)
        records.append(UInt8(ascii: " "))
        records.append(contentsOf: keywordBytes)
        records.append(UInt8(ascii: "="))
        records.append(contentsOf: value)
        records.append(UInt8(ascii: "\n"))
    }

    /// Checks that `objectID` is a full hexadecimal object id (SHA-1 or SHA-256).
    static func validate(objectID: String, operation: String) throws(ForgeError) {
        let utf8 = objectID.utf8
        let isHex = utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }
        guard (utf8.count == 40 || utf8.count == 64) && isHex else {
            throw ForgeError(.invalidArgument, "'\(objectID)' is not a full lowercase hexadecimal object id", operation: operation)
        }
    }
}

/// Writing whole arrays to a sink, keeping the sink's typed error.
extension ByteSink {
    /// Writes the first `count` bytes of `bytes` (all of them by default).
    ///
    /// `Array.withUnsafeBytes` is `rethrows`, which would widen the sink's typed error to `any Error`,
    /// so the error passes through a `Result`.
    func writeArchiveBytes(_ bytes: [UInt8], count: Int? = nil) throws(ForgeError) {
        let length = min(count ?? bytes.count, bytes.count)
        let result = bytes.withUnsafeBytes { (raw) -> Result<Void, ForgeError> in
            do throws(ForgeError) {
                try write(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}

/// The directories an archive writer has been given but not yet written.
///
/// git writes a directory's entry only when an entry other than a directory (a file, a link or a
/// submodule) turns up somewhere inside it; directories holding nothing else are left out. The
/// writers keep the chain of directories walked into (at most one per level of depth) and write it,
/// outermost first, before the next such entry inside it.
struct PendingDirectories {
    /// A directory waiting to be written: its path without a trailing slash, and its tree id.
    struct Directory {
        let path: [UInt8]
        let objectID: String?
    }

    private var chain: [Directory] = []

    /// Records a directory the walk has entered.
    mutating func push(path: [UInt8], objectID: String?) {
        dropUnrelated(to: path)
        chain.append(Directory(path: path, objectID: objectID))
    }

    /// The waiting directories that contain `path`, outermost first; they count as written afterwards.
    mutating func take(before path: [UInt8]) -> [Directory] {
        dropUnrelated(to: path)
        defer { chain.removeAll(keepingCapacity: true) }
        return chain
    }

    /// Forgets the directories that do not contain `path`: the walk has left them, still empty.
    private mutating func dropUnrelated(to path: [UInt8]) {
        while let last = chain.last, !Self.contains(last.path, path) {
            chain.removeLast()
        }
    }

    /// Whether `path` lies inside `directory`.
    private static func contains(_ directory: [UInt8], _ path: [UInt8]) -> Bool {
        path.count > directory.count && path[directory.count] == UInt8(ascii: "/") && path.starts(with: directory)
    }

    /// Checks a path given to a writer: not empty, no NUL byte.
    static func validate(path: [UInt8], operation: String) throws(ForgeError) {
        guard !path.isEmpty else {
            throw ForgeError(.invalidArgument, "an archive entry needs a non-empty path", operation: operation)
        }
        guard !path.contains(0) else {
            throw ForgeError(.invalidArgument, "a path in an archive cannot contain a NUL byte", operation: operation)
        }
    }
}
