public import ForgeKit
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A listener on 127.0.0.1 that accepts and closes every connection and counts them: a target for
/// tests that check what can, and what must not, connect to the host's loopback.
///
/// ```swift
/// let listener = try ConnectionCounter()
/// // … something that must not connect to 127.0.0.1:\(listener.port) …
/// #expect(listener.connections == 0)
/// ```
public final class ConnectionCounter: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    private let descriptor: Int32
    private let count = Counter()

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// Starts listening, on a thread of its own.
    public init() throws(ForgeError) {
        (descriptor, port) = try LoopbackListener.open(backlog: 64)
        let counter = count, listener = descriptor
        let thread = Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                counter.value.withLock { $0 += 1 }
                close(client)
            }
        }
        thread.start()
    }

    /// How many connections it has accepted.
    public var connections: Int { count.value.withLock { $0 } }

    deinit { shutdown(descriptor, Int32(SHUT_RDWR)); close(descriptor) }
}
