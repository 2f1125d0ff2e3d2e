import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for tests that play a hostile or careless client: connect and say nothing,
/// send a request head a byte at a time, keep a connection idle, and see when the server closes it.
/// Blocking waits run on Dispatch threads, never on Swift's cooperative pool.
///
/// ```swift
/// let connection = try RawConnection(port: port)
/// try connection.send("GET / HTTP/1.1\r\nHost: x\r\n")   // and never the blank line
/// #expect(await connection.waitForClose(within: .seconds(10)))
/// ```
public final class RawConnection: @unchecked Sendable {
    /// The socket (-1 once closed).
    private var descriptor: Int32
    private let lock = NSLock()

    /// Connects to `host:port` (IPv4), waiting at most `timeout`.
    public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(10)) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError("socket: \(String(cString: strerror(errno)))") }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            guard errno == EINPROGRESS else {
                let message = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw RawConnectionError("connect: \(message)")
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&poller, 1, Int32(timeout.milliseconds)) == 1,
                  getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                Glibc.close(descriptor)
                throw RawConnectionError("connect to \(host):\(port) did not complete")
            }
        }
    }

    deinit { close() }

    /// Closes the connection from this side.
    public func close() {
        lock.withLock {
            if descriptor >= 0 { _ = Glibc.close(descriptor) }
            descriptor = -1
        }
    }

    /// Sends `text`; throws when the server has closed the connection.
    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, 1000)
                    continue
                }
                throw RawConnectionError("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Whether the server closes the connection within `timeout` (what arrives before is read and
    /// dropped).
    public func waitForClose(within timeout: Duration) async -> Bool {
        let descriptor = descriptor
        return await Self.offPool {
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let left = max(1, (deadline - ContinuousClock.now).milliseconds)
                guard poll(&poller, 1, Int32(min(left, 1000))) == 1 else { continue }
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { return true }
                if count < 0, errno != EAGAIN, errno != EINTR { return true }
            }
            return false
        }
    }

    /// Reads one HTTP response (its head and a `Content-Length` body) within `timeout`; nil when the
    /// connection closes or the time runs out first.
    public func readResponse(within timeout: Duration) async -> String? {
        let descriptor = descriptor
        return await Self.offPool {
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let separator: [UInt8] = [13, 10, 13, 10]
            while ContinuousClock.now < deadline {
                if let end = (0..<max(0, received.count - 3)).first(where: { Array(received[$0..<$0 + 4]) == separator }) {
                    let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if received.count - (end + 4) >= length { return String(decoding: received, as: UTF8.self) }
                }
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 200) == 1 else { continue }
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { return nil }
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return nil
                }
                received += buffer[..<count]
            }
            return nil
        }
    }

    /// Whether the server has closed the connection (checked without waiting).
    public var isClosedByPeer: Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) == 1 else { return false }
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)
    }

    /// Opens `count` connections to `port` that send nothing (off Swift's pool).
    public static func idle(_ count: Int, port: Int) async throws -> [RawConnection] {
        try await offPool { () -> Result<[RawConnection], any Error> in
            Result { try (0..<count).map { _ in try RawConnection(port: port) } }
        }.get()
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// A failure of ``RawConnection``.
public struct RawConnectionError: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    fileprivate var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// A hostile client's test of a server: many connections that say nothing, then an ordinary request.
public enum IdleConnectionFlood {
    /// What happened.
    public struct Outcome: Sendable {
        /// The answer to the ordinary request on a new connection, nil when none came within the time.
        public var response: String?
        /// How many of the idle connections the server had closed by the time it answered.
        public var closedByServer: Int
    }

    /// Opens `idle` connections to `port` that send nothing, then sends `GET path` on a new one and
    /// waits up to `timeout` for the answer.
    public static func run(port: Int, idle: Int, path: String = "/healthz", timeout: Duration = .seconds(60)) async throws -> Outcome {
        let connections = try await RawConnection.idle(idle, port: port)
        defer { connections.forEach { $0.close() } }
        let ordinary = try RawConnection(port: port, timeout: timeout)
        try ordinary.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let response = await ordinary.readResponse(within: timeout)
        return Outcome(response: response, closedByServer: connections.filter(\.isClosedByPeer).count)
    }
}
