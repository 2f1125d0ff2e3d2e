import Foundation
import PlatformSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP proxy on loopback that makes every outbound connection of untrusted URLs obey an
/// ``OutboundPolicy``: it resolves the target itself, refuses (403, with the reason) when no address
/// is allowed, connects to exactly the address it checked, and then relays bytes. `CONNECT host:port`
/// (HTTPS, as AsyncHTTPClient and libgit2 send it) and absolute-form requests (`GET http://host/…`,
/// for plain HTTP) are served; nothing else.
///
/// Each connection is served by a thread of its own (reads and writes block there, never on Swift's
/// cooperative pool); connections idle for two minutes are closed.
final class EgressProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let policy: OutboundPolicy

    /// The header of a refusal, so that a client reading a plain-HTTP answer tells it from the target's.
    static let refusalHeader = OutboundRefusal.header

    init(policy: OutboundPolicy) throws(ForgeError) {
        (listener, port) = try LoopbackListener.open(backlog: 128)
        self.policy = policy
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "forgeworks-egress"
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    continue
                }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    /// One client connection: its request head, the policy, the upstream connection, the relay.
    private func serve(_ client: Int32) {
        defer { close(client) }
        Self.setTimeouts(client, seconds: 30)
        guard let (head, rest) = Self.readHead(client) else { return }
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count == 3 else { return Self.answer(client, 400, "not an HTTP request") }
        let method = String(parts[0]), target = String(parts[1])
        let tunnel = method == "CONNECT"
        let host: String, port: Int, path: String
        if tunnel {
            guard let (h, p) = Self.hostAndPort(target, defaultPort: 443) else { return Self.answer(client, 400, "bad CONNECT target") }
            (host, port, path) = (h, p, "")
        } else {
            guard let components = URLComponents(string: target), components.scheme?.lowercased() == "http",
                  let h = components.host, !h.isEmpty else {
                return Self.answer(client, 400, "only CONNECT and http:// requests are proxied")
            }
            let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
            (host, port, path) = (h, components.port ?? 80, (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query)
        }
        let addresses: [IPAddress]
        switch OutboundPolicy.resolveBlocking(host, port: port) {
        case .success(let found): addresses = found
        case .failure(let error): return Self.answer(client, 502, error.message)
        }
        var refusals: [String] = []
        var upstream: Int32 = -1
        for address in addresses {
            if let reason = policy.refusal(of: address, host: host) {
                refusals.append(reason)
                continue
            }
            upstream = Self.connect(to: address, port: port)
            if upstream >= 0 { break }
        }
        guard upstream >= 0 else {
            if !refusals.isEmpty { return Self.answer(client, 403, refusals[0], refused: true) }
            return Self.answer(client, 502, "cannot connect to \(host):\(port)")
        }
        defer { close(upstream) }
        if tunnel {
            guard Self.writeAll(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8)) else { return }
            if !rest.isEmpty, !Self.writeAll(upstream, rest) { return }
        } else {
            // The request in origin form, without the proxy's own headers, and closed after one exchange.
            var forwarded = "\(method) \(path) \(parts[2])\r\n"
            for line in lines.dropFirst() where !line.isEmpty {
                let name = line.prefix { $0 != ":" }.lowercased()
                if name.hasPrefix("proxy-") || name == "connection" || name == "keep-alive" { continue }
                forwarded += line + "\r\n"
            }
            forwarded += "Connection: close\r\n\r\n"
            guard Self.writeAll(upstream, Array(forwarded.utf8) + rest) else { return }
        }
        Self.relay(client, upstream)
    }

    // MARK: - Sockets

    private static func answer(_ client: Int32, _ status: Int, _ message: String, refused: Bool = false) {
        let reason = [400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"][status] ?? "Error"
        let body = message + "\n"
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        if refused { head += "\(refusalHeader): \(message.filter { $0 != "\r" && $0 != "\n" })\r\n" }
        _ = writeAll(client, Array((head + "\r\n" + body).utf8))
    }

    /// The request head (up to the blank line, at most 16 KiB) and any bytes read after it.
    private static func readHead(_ descriptor: Int32) -> (String, [UInt8])? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while bytes.count < 16 << 10 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            bytes += chunk[..<count]
            if let range = bytes.firstRange(of: end) {
                return (String(decoding: bytes[..<range.lowerBound], as: UTF8.self), Array(bytes[range.upperBound...]))
            }
        }
        return nil
    }

    private static func hostAndPort(_ text: String, defaultPort: Int) -> (String, Int)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            guard let port = after.isEmpty ? defaultPort : Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let host = pieces.first, !host.isEmpty else { return nil }
        guard let port = pieces.count == 2 ? Int(pieces[1]) : defaultPort, (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// A TCP connection to `address`, waiting at most 10 s; -1 when it fails.
    private static func connect(to address: IPAddress, port: Int) -> Int32 {
        let family = address.isIPv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var result: Int32
        if address.isIPv4 {
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &target.sin_addr) { $0.copyBytes(from: address.bytes) }
            result = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var target = sockaddr_in6()
            target.sin6_family = sa_family_t(AF_INET6)
            target.sin6_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &target.sin6_addr) { $0.copyBytes(from: address.bytes) }
            result = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        if result != 0 {
            guard errno == EINPROGRESS else { close(descriptor); return -1 }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&waiting, 1, 10_000) == 1, getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) == 0, failure == 0 else {
                close(descriptor)
                return -1
            }
        }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK)
        setTimeouts(descriptor, seconds: 120)
        return descriptor
    }

    private static func setTimeouts(_ descriptor: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + written, $0.count - written, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// Copies bytes both ways until either side closes or both are idle for two minutes.
    private static func relay(_ first: Int32, _ second: Int32) {
        var descriptors = [pollfd(fd: first, events: Int16(POLLIN), revents: 0), pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let ready = poll(&descriptors, 2, 120_000)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return }
            for index in 0..<2 where descriptors[index].revents != 0 {
                let from = descriptors[index].fd, to = descriptors[1 - index].fd
                let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                guard writeAll(to, Array(buffer[..<count])) else { return }
            }
        }
    }
}
