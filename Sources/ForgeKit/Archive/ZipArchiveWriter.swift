import CZlib
import PlatformSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming writer of zip archives laid out the way `git archive --format=zip` lays them out.
///
/// Feed it the entries of a tree in the order git walks them (a directory before its contents, tree
/// order within a directory), then call ``finish()``. Entry data goes to the sink as it is produced;
/// the writer remembers only each entry's central-directory record (name, offsets, CRC, sizes), which
/// it writes at the end. With the same zlib as git, the bytes are identical to git's.
///
/// The format, as git 2.39 writes it:
/// - Entries come in the order given. A directory is held back until a file, link or submodule turns
///   up inside it (see ``PendingDirectories``), so directories holding nothing else are left out.
/// - Files are deflated (raw deflate, window bits 15, memory level 8, default strategy) at zlib's
///   default level 6 unless another level is chosen (`git archive -0` … `-9`). A file whose deflated
///   form is not smaller than the file, an empty file, a symbolic link (its target is the data) and a
///   directory are stored instead.
/// - Local headers carry the CRC and both sizes (no data descriptor), "version needed" 10 (45 with
///   ZIP64), flags 0 or bit 11 (UTF-8) for a path that is not ASCII but is valid UTF-8, the DOS date
///   and time of the commit time in the *local time zone of the process running git* (not the commit's
///   recorded zone), and one extra field: the extended timestamp (`0x5455`, flags 1, the 32-bit mtime).
/// - Files larger than `core.bigFileThreshold` (512 MiB by default) are streamed by git: flag bit 3,
///   always deflated (even when that grows them), zero CRC and compressed size in the local header,
///   and a data descriptor (the ZIP64 form for sizes of 4 GiB or more) after the data. A ZIP64 extra
///   field is added when a streamed file is larger than 2 GiB - 1.
/// - Central-directory records: "version made by" 0 (MS-DOS) for plain files and directories and
///   `0x0317` (Unix, 2.3) for executables and symbolic links; the internal attribute 1 ("text") for
///   files and links without a NUL byte in their first 8000 bytes; external attributes `0x10` for
///   directories and submodules, `0o100755 << 16` for executables, `0o120777 << 16` for symbolic links,
///   and 0 for other files.
/// - The end record carries the commit id as the archive comment. ZIP64 end records appear when there
///   are more than 65535 entries or the central directory starts beyond 4 GiB.
final class ZipArchiveWriter {
    /// git's default `core.bigFileThreshold`: larger files are streamed with a data descriptor.
    static let defaultBigFileThreshold = 512 * 1024 * 1024
    /// zlib's default compression level (6), which `git archive --format=zip` uses.
    static let defaultCompressionLevel: Int32 = Z_DEFAULT_COMPRESSION
    /// How much deflated output the writer keeps while deciding between storing and deflating a file.
    static let defaultDeflateBufferSize = 1024 * 1024

    private static let streamFlag: UInt16 = 1 << 3
    private static let utf8Flag: UInt16 = 1 << 11
    private static let methodStore: UInt16 = 0
    private static let methodDeflate: UInt16 = 8
    private static let unixCreator: UInt16 = 0x0317
    private static let maximum32: UInt64 = 0xffff_ffff

    private let sink: any ByteSink
    private let prefix: [UInt8]
    private let modificationTime: Int64
    private let commentID: String?
    private let compressionLevel: Int32
    private let bigFileThreshold: Int
    private let utcOffset: Int?
    private let deflateBufferSize: Int

    private var dosTime: UInt16 = 0
    private var dosDate: UInt16 = 0
    /// The extended-timestamp extra field every entry carries, local and central.
    private var timestampField: [UInt8] = []
    /// Bytes written so far: the offset of the next local header.
    private var offset: UInt64 = 0
    /// The central directory, built entry by entry: fixed-size records and names, no contents.
    private var centralDirectory: [UInt8] = []
    private var entryCount: UInt64 = 0
    private var maximumCreatorVersion: UInt16 = 0
    private var started = false
    private var state: ArchiveWriterState = .open
    /// A reused buffer for one local header.
    private var localHeader: [UInt8] = []
    private var deflater: Deflater?
    /// Directories walked into whose entries wait for something to put in them.
    private var pendingDirectories = PendingDirectories()


    /// The kinds of entry, which decide method, attributes and "version made by".
    private enum Kind {
        case directory
        case file(executable: Bool, binary: Bool? = nil)
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
    ///     or the current time when archiving a bare tree, as git does. It becomes the entries' DOS
    ///     date and time and their extended timestamp. git refuses negative times for zip, and so does
    ///     this writer (on the first write).
    ///   - commentID: The hexadecimal id of the archived commit, written as the archive comment; `nil`
    ///     when archiving a tree, which leaves the comment empty.
    ///   - prefix: Text put in front of every path (`git archive --prefix`). When it ends with `/`, the
    ///     archive starts with a directory entry for it, as git writes.
    ///   - compressionLevel: The deflate level, 0 (store everything) to 9, or -1 for zlib's default (6),
    ///     as `git archive -0` … `-9` select.
    ///   - bigFileThreshold: Files larger than this many bytes are written the way git streams them
    ///     (`core.bigFileThreshold`, 512 MiB by default).
    ///   - utcOffset: Seconds east of UTC to use for the DOS date and time; `nil` uses the local time
    ///     zone of this process, as git does (`TZ`, `/etc/localtime`).
    convenience init(
        sink: any ByteSink,
        modificationTime: Int64,
        commentID: String?,
        prefix: String = "",
        compressionLevel: Int32 = ZipArchiveWriter.defaultCompressionLevel,
        bigFileThreshold: Int = ZipArchiveWriter.defaultBigFileThreshold,
        utcOffset: Int? = nil
    ) {
        self.init(
            sink: sink, modificationTime: modificationTime, commentID: commentID, prefix: prefix,
            compressionLevel: compressionLevel, bigFileThreshold: bigFileThreshold, utcOffset: utcOffset,
            deflateBufferSize: Self.defaultDeflateBufferSize
        )
    }

    /// Creates a writer with a chosen size for the buffer of deflated output (for tests: a small buffer
    /// exercises the path that compresses a file twice rather than keep its deflated form).
    init(
        sink: any ByteSink,
        modificationTime: Int64,
        commentID: String?,
        prefix: String,
        compressionLevel: Int32,
        bigFileThreshold: Int,
        utcOffset: Int?,
        deflateBufferSize: Int
    ) {
        self.sink = sink
        self.prefix = Array(prefix.utf8)
        self.modificationTime = modificationTime
        self.commentID = commentID
        self.compressionLevel = compressionLevel
        self.bigFileThreshold = max(bigFileThreshold, 0)
        self.utcOffset = utcOffset
        self.deflateBufferSize = max(deflateBufferSize, 4096)
    }

    /// Adds a directory. `path` is the directory's path without a trailing slash; the writer adds it.
    ///
    /// Like git, the writer holds a directory back until something other than a directory turns up
    /// inside it, so a tree that holds no files, links or submodules (at any depth) leaves no entry.
    ///
    /// - Parameters:
    ///   - path: The path inside the tree, as bytes (without the prefix).
    ///   - objectID: The tree's id; git's zip format does not record it.
    func addDirectory(path: [UInt8], objectID: String? = nil) throws(ForgeError) {
        try state.checkOpen(format: "zip", operation: "addDirectory")
        try PendingDirectories.validate(path: path, operation: "addDirectory")
        pendingDirectories.push(path: path, objectID: objectID)
    }

    /// Adds a submodule (gitlink) entry, which git writes as an empty directory.
    ///
    /// - Parameters:
    ///   - path: The submodule's path without a trailing slash.
    ///   - objectID: The submodule commit's id; git's zip format does not record it.
    func addGitlink(path: [UInt8], objectID: String? = nil) throws(ForgeError) {
        try writeEntry(kind: .directory, path: path, data: UnsafeRawBufferPointer(start: nil, count: 0), operation: "addGitlink")
    }

    /// Adds a regular file, deflated or stored as git would.
    ///
    /// - Parameters:
    ///   - path: The file's path inside the tree, as bytes.
    ///   - objectID: The blob's hexadecimal id; git's zip format does not record it.
    ///   - executable: Whether the tree records the file as executable (mode `100755`).
    ///   - contents: The blob's contents.
    func addFile(path: [UInt8], objectID: String, executable: Bool, contents: UnsafeRawBufferPointer) throws(ForgeError) {
        try writeEntry(kind: .file(executable: executable), path: path, data: contents, operation: "addFile")
    }

    /// Adds a file whose text-or-binary flag the attributes decide (`-diff`, as from the `binary`
    /// macro, marks it binary as git's zip writer does); `binary == nil` leaves it to the contents.
    func addFile(path: [UInt8], objectID: String, executable: Bool, binary: Bool?, contents: UnsafeRawBufferPointer) throws(ForgeError) {
        try writeEntry(kind: .file(executable: executable, binary: binary), path: path, data: contents, operation: "addFile")
    }

    /// Adds a symbolic link, stored with its target as data.
    ///
    /// - Parameters:
    ///   - path: The link's path inside the tree, as bytes.
    ///   - objectID: The blob's hexadecimal id; git's zip format does not record it.
    ///   - target: The link's target, the blob's contents.
    func addSymlink(path: [UInt8], objectID: String, target: UnsafeRawBufferPointer) throws(ForgeError) {
        try writeEntry(kind: .symlink, path: path, data: target, operation: "addSymlink")
    }

    /// Writes the central directory, the ZIP64 end records when needed, the end record with the
    /// comment, and flushes the sink. Nothing may be added afterwards.
    func finish() throws(ForgeError) {
        try state.checkOpen(format: "zip", operation: "finish")
        do {
            try startIfNeeded()
            let directoryOffset = offset
            let directorySize = UInt64(centralDirectory.count)
            try sink.writeArchiveBytes(centralDirectory)
            let comment = Array((commentID ?? "").utf8)

            var trailer: [UInt8] = []
            if entryCount > 0xffff || directoryOffset > Self.maximum32 {
                trailer.appendLE32(0x0606_4b50)  // ZIP64 end of central directory record
                trailer.appendLE64(44)  // size of the rest of the record
                trailer.appendLE16(maximumCreatorVersion)
                trailer.appendLE16(45)
                trailer.appendLE32(0)  // this disk
                trailer.appendLE32(0)  // disk where the directory starts
                trailer.appendLE64(entryCount)
                trailer.appendLE64(entryCount)
                trailer.appendLE64(directorySize)
                trailer.appendLE64(directoryOffset)
                trailer.appendLE32(0x0706_4b50)  // ZIP64 end of central directory locator
                trailer.appendLE32(0)
                trailer.appendLE64(directoryOffset + directorySize)
                trailer.appendLE32(1)  // number of disks
            }
            trailer.appendLE32(0x0605_4b50)  // end of central directory record
            trailer.appendLE16(0)
            trailer.appendLE16(0)
            trailer.appendLE16(UInt16(min(entryCount, 0xffff)))
            trailer.appendLE16(UInt16(min(entryCount, 0xffff)))
            trailer.appendLE32(UInt32(truncatingIfNeeded: directorySize))
            trailer.appendLE32(UInt32(min(directoryOffset, Self.maximum32)))
            trailer.appendLE16(UInt16(truncatingIfNeeded: comment.count))
            trailer.append(contentsOf: comment)
            try sink.writeArchiveBytes(trailer)
            try sink.flush()
            centralDirectory = []
            state = .finished
        } catch {
            state = .failed
            throw error
        }
    }

    // MARK: - Entries


    /// Computes the DOS date and time and writes the prefix's directory entry, before the first entry.
    private func startIfNeeded() throws(ForgeError) {
        guard !started else { return }
        started = true
        if let commentID {
            try TarArchiveWriter.validate(objectID: commentID, operation: "archive")
        }
        guard (0...9).contains(compressionLevel) || compressionLevel == Z_DEFAULT_COMPRESSION else {
            throw ForgeError(.invalidArgument, "compression level \(compressionLevel) is not between 0 and 9", operation: "archive")
        }
        try computeDOSTime()
        timestampField = []
        timestampField.appendLE16(0x5455)  // extended timestamp
        timestampField.appendLE16(5)
        timestampField.append(1)  // modification time only
        timestampField.appendLE32(UInt32(truncatingIfNeeded: modificationTime))

        if let last = prefix.last, last == UInt8(ascii: "/") {
            var length = prefix.count
            while length > 1 && prefix[length - 2] == UInt8(ascii: "/") {
                length -= 1
            }
            try writeEntryData(kind: .directory, fullPath: Array(prefix[0..<length]), data: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// The commit time as a DOS date and time, in the local time zone (or at ``utcOffset``).
    private func computeDOSTime() throws(ForgeError) {
        guard modificationTime >= 0 else {
            throw ForgeError(.unsupported, "timestamp \(modificationTime) is too large for a zip archive", operation: "archive")
        }
        var broken = tm()
        var seconds = time_t(modificationTime)
        let converted: UnsafeMutablePointer<tm>?
        if let utcOffset {
            let (shifted, overflow) = modificationTime.addingReportingOverflow(Int64(utcOffset))
            guard !overflow else {
                throw ForgeError(.unsupported, "timestamp \(modificationTime) is too large for a zip archive", operation: "archive")
            }
            seconds = time_t(shifted)
            converted = gmtime_r(&seconds, &broken)
        } else {
            converted = localtime_r(&seconds, &broken)
        }
        guard converted != nil else {
            throw ForgeError(.unsupported, "timestamp \(modificationTime) cannot be converted to a date", operation: "archive")
        }
        let date = Int(broken.tm_mday) + (Int(broken.tm_mon) + 1) * 32 + (Int(broken.tm_year) + 1900 - 1980) * 512
        let time = Int(broken.tm_sec) / 2 + Int(broken.tm_min) * 32 + Int(broken.tm_hour) * 2048
        dosDate = UInt16(truncatingIfNeeded: date)
        dosTime = UInt16(truncatingIfNeeded: time)
    }

    /// Checks and writes one entry, after the directories waiting for it.
    private func writeEntry(kind: Kind, path: [UInt8], data: UnsafeRawBufferPointer, operation: String) throws(ForgeError) {
        try state.checkOpen(format: "zip", operation: operation)
        try PendingDirectories.validate(path: path, operation: operation)
        let entryPath = try fullPath(path, directory: kind.isDirectory, operation: operation)
        do {
            try startIfNeeded()
            let noData = UnsafeRawBufferPointer(start: nil, count: 0)
            for directory in pendingDirectories.take(before: path) {
                let directoryPath = try fullPath(directory.path, directory: true, operation: operation)
                try writeEntryData(kind: .directory, fullPath: directoryPath, data: noData)
            }
            try writeEntryData(kind: kind, fullPath: entryPath, data: data)
        } catch {
            state = .failed
            throw error
        }
    }

    /// The path as it appears in the archive: the prefix, the path, and a slash for a directory.
    private func fullPath(_ path: [UInt8], directory: Bool, operation: String) throws(ForgeError) -> [UInt8] {
        var result = prefix
        result.reserveCapacity(prefix.count + path.count + 1)
        result.append(contentsOf: path)
        if directory {
            result.append(UInt8(ascii: "/"))
        }
        guard result.count <= 0xffff else {
            throw ForgeError(.invalidArgument, "a path of \(result.count) bytes is too long for a zip archive", operation: operation)
        }
        return result
    }

    /// Writes one entry's local header and data, and records its central-directory entry.
    private func writeEntryData(kind: Kind, fullPath: [UInt8], data: UnsafeRawBufferPointer) throws(ForgeError) {
        let entryOffset = offset
        var flags: UInt16 = 0
        if !fullPath.allSatisfy({ $0 < 0x80 }) && Self.isValidUTF8(fullPath) {
            flags |= Self.utf8Flag
        }

        var method = Self.methodStore
        var creatorVersion: UInt16 = 0
        var externalAttributes: UInt32 = 0
        var isText = false
        var crc: UInt32 = 0
        var size: UInt64 = 0
        var compressedSize: UInt64 = 0
        var streamed = false
        /// Deflated bytes kept in the deflate buffer, ready to write.
        var bufferedDeflate = false
        /// The file deflates to something smaller, but too large to keep: compress it again while writing.
        var deflateAgain = false

        switch kind {
        case .directory:
            externalAttributes = 0x10  // MS-DOS directory attribute
        case .symlink:
            externalAttributes = UInt32(0o120777) << 16
            creatorVersion = Self.unixCreator
            size = UInt64(data.count)
            compressedSize = size
            crc = CRC32.checksum(data)
            isText = !Self.looksBinary(data)
        case .file(let executable, let binary):
            if executable {
                externalAttributes = UInt32(0o100755) << 16
                creatorVersion = Self.unixCreator
            }
            size = UInt64(data.count)
            isText = binary.map { !$0 } ?? !Self.looksBinary(data)
            let deflate = compressionLevel != 0 && size > 0
            if data.count > bigFileThreshold {
                // git streams big blobs: always deflate (at a non-zero level), sizes after the data.
                streamed = true
                flags |= Self.streamFlag
                method = deflate ? Self.methodDeflate : Self.methodStore
                compressedSize = deflate ? 0 : size
            } else {
                crc = CRC32.checksum(data)
                compressedSize = size
                if deflate {
                    switch try deflateTrial(data) {
                    case .store:
                        break
                    case .buffered(let length):
                        method = Self.methodDeflate
                        compressedSize = length
                        bufferedDeflate = true
                    case .tooLargeToKeep(let length):
                        method = Self.methodDeflate
                        compressedSize = length
                        deflateAgain = true
                    }
                }
            }
        }
        if creatorVersion > maximumCreatorVersion {
            maximumCreatorVersion = creatorVersion
        }

        let needsZIP64Extra = size > Self.maximum32 || compressedSize > Self.maximum32 || (streamed && size > 0x7fff_ffff)
        let versionNeeded: UInt16 = needsZIP64Extra ? 45 : 10

        // The local header, its name and extra fields, in one write.
        localHeader.removeAll(keepingCapacity: true)
        localHeader.appendLE32(0x0403_4b50)
        localHeader.appendLE16(versionNeeded)
        localHeader.appendLE16(flags)
        localHeader.appendLE16(method)
        localHeader.appendLE16(dosTime)
        localHeader.appendLE16(dosDate)
        localHeader.appendLE32(crc)  // zero for a streamed file: git has not read it yet
        if needsZIP64Extra {
            localHeader.appendLE32(0xffff_ffff)
            localHeader.appendLE32(0xffff_ffff)
        } else {
            localHeader.appendLE32(UInt32(truncatingIfNeeded: compressedSize))
            localHeader.appendLE32(UInt32(truncatingIfNeeded: size))
        }
        localHeader.appendLE16(UInt16(fullPath.count))
        localHeader.appendLE16(UInt16(timestampField.count + (needsZIP64Extra ? 20 : 0)))
        localHeader.append(contentsOf: fullPath)
        localHeader.append(contentsOf: timestampField)
        if needsZIP64Extra {
            localHeader.appendLE16(0x0001)
            localHeader.appendLE16(16)
            localHeader.appendLE64(size)
            localHeader.appendLE64(compressedSize)
        }
        try sink.writeArchiveBytes(localHeader)
        offset += UInt64(localHeader.count)

        // The data.
        if streamed {
            crc = CRC32.checksum(data)
            if method == Self.methodDeflate {
                compressedSize = try deflateToSink(data)
            } else {
                try sink.write(data)
                compressedSize = size
            }
            offset += compressedSize
            var descriptor: [UInt8] = []
            descriptor.appendLE32(0x0807_4b50)
            descriptor.appendLE32(crc)
            if size >= Self.maximum32 || compressedSize >= Self.maximum32 {
                descriptor.appendLE64(compressedSize)
                descriptor.appendLE64(size)
            } else {
                descriptor.appendLE32(UInt32(compressedSize))
                descriptor.appendLE32(UInt32(size))
            }
            try sink.writeArchiveBytes(descriptor)
            offset += UInt64(descriptor.count)
        } else if bufferedDeflate {
            guard let buffer = deflater?.buffer else {
                throw ForgeError(.io, "the deflate buffer is missing", operation: "archive")
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(compressedSize)]))
            offset += compressedSize
        } else if deflateAgain {
            let written = try deflateToSink(data)
            guard written == compressedSize else {
                throw ForgeError(.io, "deflate produced \(written) bytes, then \(compressedSize) bytes for the same data", operation: "archive")
            }
            offset += compressedSize
        } else if compressedSize > 0 {
            try sink.write(data)
            offset += compressedSize
        }

        // The central-directory record.
        var zip64Payload: [UInt8] = []
        if compressedSize > Self.maximum32 || size > Self.maximum32 || entryOffset > Self.maximum32 {
            if size >= Self.maximum32 { zip64Payload.appendLE64(size) }
            if compressedSize >= Self.maximum32 { zip64Payload.appendLE64(compressedSize) }
            if entryOffset >= Self.maximum32 { zip64Payload.appendLE64(entryOffset) }
        }
        let extraLength = timestampField.count + (zip64Payload.isEmpty ? 0 : 4 + zip64Payload.count)
        centralDirectory.appendLE32(0x0201_4b50)
        centralDirectory.appendLE16(creatorVersion)
        centralDirectory.appendLE16(versionNeeded)
        centralDirectory.appendLE16(flags)
        centralDirectory.appendLE16(method)
        centralDirectory.appendLE16(dosTime)
        centralDirectory.appendLE16(dosDate)
        centralDirectory.appendLE32(crc)
        centralDirectory.appendLE32(UInt32(min(compressedSize, Self.maximum32)))
        centralDirectory.appendLE32(UInt32(min(size, Self.maximum32)))
        centralDirectory.appendLE16(UInt16(fullPath.count))
        centralDirectory.appendLE16(UInt16(extraLength))
        centralDirectory.appendLE16(0)  // comment length
        centralDirectory.appendLE16(0)  // disk
        centralDirectory.appendLE16(isText ? 1 : 0)  // internal attributes
        centralDirectory.appendLE32(externalAttributes)
        centralDirectory.appendLE32(UInt32(min(entryOffset, Self.maximum32)))
        centralDirectory.append(contentsOf: fullPath)
        centralDirectory.append(contentsOf: timestampField)
        if !zip64Payload.isEmpty {
            centralDirectory.appendLE16(0x0001)
            centralDirectory.appendLE16(UInt16(zip64Payload.count))
            centralDirectory.append(contentsOf: zip64Payload)
        }
        entryCount += 1
    }

    // MARK: - Deflate

    /// What a first deflate pass over a file found.
    private enum DeflateTrial {
        /// Deflating does not make the data smaller.
        case store
        /// The deflated data, this many bytes, is in the deflater's buffer.
        case buffered(UInt64)
        /// The data deflates to this many bytes, more than the buffer holds.
        case tooLargeToKeep(UInt64)
    }

    /// The writer's deflate stream, created on first use and reset for each file.
    private func makeDeflater() throws(ForgeError) -> Deflater {
        if let deflater {
            try deflater.reset()
            return deflater
        }
        let created = try Deflater(level: compressionLevel, bufferSize: deflateBufferSize)
        deflater = created
        return created
    }

    /// Deflates `data` to learn its deflated size, keeping the output if it fits the buffer. Stops
    /// as soon as the output is as large as the input, since git then stores the file.
    private func deflateTrial(_ data: UnsafeRawBufferPointer) throws(ForgeError) -> DeflateTrial {
        let deflater = try makeDeflater()
        let limit = UInt64(data.count)
        var overflowed = false
        let total = try deflater.deflate(data) { (_, finished) throws(ForgeError) in
            if finished { return true }
            // The buffer is full: its contents will be overwritten.
            overflowed = true
            return deflater.totalOut < limit
        }
        guard let total, total < limit else { return .store }
        return overflowed ? .tooLargeToKeep(total) : .buffered(total)
    }

    /// Deflates `data` straight to the sink and returns the deflated size.
    private func deflateToSink(_ data: UnsafeRawBufferPointer) throws(ForgeError) -> UInt64 {
        let deflater = try makeDeflater()
        let sink = self.sink
        let total = try deflater.deflate(data) { (chunk, _) throws(ForgeError) in
            try sink.write(chunk)
            return true
        }
        guard let total else {
            throw ForgeError(.io, "deflate stopped early", operation: "archive")
        }
        return total
    }

    // MARK: - Helpers

    /// git's binary test: a NUL byte among the first 8000 bytes.
    private static func looksBinary(_ data: UnsafeRawBufferPointer) -> Bool {
        guard let base = data.baseAddress, !data.isEmpty else { return false }
        return memchr(base, 0, min(data.count, 8000)) != nil
    }

    /// Whether `bytes` is UTF-8 by git's rules: no overlong forms, no surrogates, nothing above
    /// U+10FFFF, and not the noncharacters U+FFFE and U+FFFF.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var index = 0
        let count = bytes.count
        /// Whether the byte `offset` after the lead byte exists and is a continuation byte.
        func continuation(_ offset: Int) -> Bool {
            index + offset < count && bytes[index + offset] & 0xc0 == 0x80
        }
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
            } else if lead & 0xe0 == 0xc0 {
                guard continuation(1), lead & 0xfe != 0xc0 else { return false }
                index += 2
            } else if lead & 0xf0 == 0xe0 {
                guard continuation(1), continuation(2) else { return false }
                let second = bytes[index + 1]
                let third = bytes[index + 2]
                if lead == 0xe0 && second & 0xe0 == 0x80 { return false }  // overlong
                if lead == 0xed && second & 0xe0 == 0xa0 { return false }  // surrogate
                if lead == 0xef && second == 0xbf && third & 0xfe == 0xbe { return false }  // U+FFFE, U+FFFF
                index += 3
            } else if lead & 0xf8 == 0xf0 {
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let second = bytes[index + 1]
                if lead == 0xf0 && second & 0xf0 == 0x80 { return false }  // overlong
                if lead > 0xf4 || (lead == 0xf4 && second > 0x8f) { return false }  // above U+10FFFF
                index += 4
            } else {
                return false
            }
        }
        return true
    }
}

/// A raw-deflate stream (zlib, window bits -15) with an output buffer, reused across entries.
private final class Deflater {
    /// zlib keeps a pointer to its stream, so the stream lives at a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>
    /// Where deflated output goes.
    let buffer: UnsafeMutableRawBufferPointer

    /// Sets up a stream at `level` with git's parameters: raw deflate, 32 KiB window, memory level 8,
    /// default strategy.
    init(level: Int32, bufferSize: Int) throws(ForgeError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let result = deflateInit2_(
            stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)
        )
        guard result == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ForgeError(.io, "deflateInit2 failed (\(result))", operation: "archive")
        }
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    /// Releases the zlib stream and the buffer.
    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        buffer.deallocate()
    }

    /// The number of deflated bytes produced since the last reset.
    var totalOut: UInt64 { UInt64(stream.pointee.total_out) }

    /// Starts a new deflate stream with the same parameters.
    func reset() throws(ForgeError) {
        let result = deflateReset(stream)
        guard result == Z_OK else {
            throw ForgeError(.io, "deflateReset failed (\(result))", operation: "archive")
        }
    }

    /// Deflates all of `input`. Each time the buffer is full, and once at the end, `drain` gets the
    /// buffered output and whether the stream is finished; returning `false` stops early.
    ///
    /// - Returns: The deflated size, or `nil` when `drain` stopped early.
    func deflate(
        _ input: UnsafeRawBufferPointer,
        drain: (UnsafeRawBufferPointer, Bool) throws(ForgeError) -> Bool
    ) throws(ForgeError) -> UInt64? {
        guard let outputBase = buffer.baseAddress else {
            throw ForgeError(.io, "no deflate buffer", operation: "archive")
        }
        let output = outputBase.assumingMemoryBound(to: Bytef.self)
        let inputBase = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        var fed = 0
        stream.pointee.next_in = inputBase
        stream.pointee.avail_in = 0
        stream.pointee.next_out = output
        stream.pointee.avail_out = UInt32(buffer.count)
        while true {
            if stream.pointee.avail_in == 0 && fed < input.count, let inputBase {
                let chunk = min(input.count - fed, Int(UInt32.max))
                stream.pointee.next_in = inputBase + fed
                stream.pointee.avail_in = UInt32(chunk)
                fed += chunk
            }
            let allFed = fed == input.count
            let result = CZlib.deflate(stream, allFed ? Z_FINISH : Z_NO_FLUSH)
            let finished = result == Z_STREAM_END
            guard finished || result == Z_OK || result == Z_BUF_ERROR else {
                throw ForgeError(.io, "deflate failed (\(result))", operation: "archive")
            }
            if finished || stream.pointee.avail_out == 0 {
                let produced = buffer.count - Int(stream.pointee.avail_out)
                let proceed = try drain(UnsafeRawBufferPointer(start: outputBase, count: produced), finished)
                if finished { return totalOut }
                if !proceed { return nil }
                stream.pointee.next_out = output
                stream.pointee.avail_out = UInt32(buffer.count)
            } else if result == Z_BUF_ERROR && allFed {
                throw ForgeError(.io, "deflate made no progress", operation: "archive")
            }
        }
    }
}

/// Little-endian integers, as zip stores them.
extension Array where Element == UInt8 {
    /// Appends a 16-bit little-endian integer.
    fileprivate mutating func appendLE16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    /// Appends a 32-bit little-endian integer.
    fileprivate mutating func appendLE32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    /// Appends a 64-bit little-endian integer.
    fileprivate mutating func appendLE64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
