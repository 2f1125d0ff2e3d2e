public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads what a child process writes to a pipe, to its end, with blocking reads on a thread of its
/// own.
///
/// Tests use this instead of `FileHandle.readabilityHandler`: on Linux that handler is a libdispatch
/// read source, and tearing such sources down while descriptors close and are reused can leave
/// libdispatch's epoll bookkeeping pointing at freed memory, which crashes the whole test process in
/// `_dispatch_event_loop_drain` (swift-corelibs-libdispatch#949, swift-corelibs-foundation#3276). A
/// blocking read never registers the descriptor with libdispatch.
///
/// ```swift
/// let pipe = Pipe()
/// process.standardOutput = pipe
/// PipeDrain.start(pipe.fileHandleForReading) { data in log.append(data) }
/// try process.run()
/// ```
public enum PipeDrain {
    /// Starts reading `handle` on a new thread: `onData` gets each chunk as it arrives, `onEnd` is
    /// called once when every writer has closed the pipe (or reading fails). The thread reads a
    /// duplicate of the descriptor, which it closes at the end, so closing `handle` meanwhile is safe.
    public static func start(_ handle: FileHandle, onData: @escaping @Sendable (Data) -> Void,
                             onEnd: @escaping @Sendable () -> Void = {}) {
        let descriptor = fcntl(handle.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else {
            onEnd()
            return
        }
        let thread = Thread {
            defer {
                close(descriptor)
                onEnd()
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                onData(Data(buffer[..<count]))
            }
        }
        thread.name = "PipeDrain"
        thread.start()
    }
}
