#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Somewhere bytes are written to, in order.
///
/// ForgeKit's streaming writers (archives) write through a sink so that the bytes can go to a file
/// descriptor, a file, or memory without the writer holding them all.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes`, or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ForgeError)
    /// Writes whatever is buffered to its destination.
    func flush() throws(ForgeError)
}

extension ByteSink {
    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(ForgeError) {
        var failure: ForgeError?
        bytes.withUnsafeBytes { buffer in
            do throws(ForgeError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `count` copies of `byte`.
    public func write(repeating byte: UInt8, count: Int) throws(ForgeError) {
        guard count > 0 else { return }
        try write([UInt8](repeating: byte, count: count))
    }
}

/// A buffered sink over a file descriptor that it does not own (it never closes it).
///
/// Use it to stream an archive to standard output (`FileDescriptorSink(descriptor: 1)`) or to an open file.
public final class FileDescriptorSink: ByteSink {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    /// Creates a sink writing to `descriptor`, buffering up to `bufferSize` bytes between writes.
    public init(descriptor: Int32, bufferSize: Int = 256 * 1024) {
        self.descriptor = descriptor
        self.capacity = max(bufferSize, 4096)
        buffer.reserveCapacity(capacity)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ForgeError) {
        if buffer.count + bytes.count > capacity {
            try flush()
        }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func flush() throws(ForgeError) {
        guard !buffer.isEmpty else { return }
        var failure: ForgeError?
        buffer.withUnsafeBytes { raw in
            do throws(ForgeError) { try writeAll(raw) } catch { failure = error }
        }
        buffer.removeAll(keepingCapacity: true)
        if let failure { throw failure }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(ForgeError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc.write(descriptor, base, remaining)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ForgeError(.io, "write to descriptor \(descriptor): \(String(cString: strerror(code)))", operation: "write")
            }
            remaining -= written
            base += written
        }
    }
}

/// A sink that keeps everything in memory; for tests and small outputs.
public final class MemorySink: ByteSink {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty sink.
    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ForgeError) {
        self.bytes.append(contentsOf: bytes)
    }

    public func flush() throws(ForgeError) {}
}
