import Dispatch
import Foundation
import Synchronization
import PlatformSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where requests to URLs that users supply may go: outbound webhooks, the `http` action, polled
/// and mirrored repositories, clone URLs from webhook payloads.
///
/// Loopback, private (RFC 1918, unique-local, shared address space), link-local, multicast,
/// unspecified, reserved and broadcast addresses are refused, unless an admin allowed the host or a
/// network that holds the address (``init(allowing:)``, from `--webhook-allow HOST|CIDR`). The check
/// is made on the address actually connected to: requests go through ``proxy()``, an HTTP proxy on
/// loopback that resolves the host itself, refuses a forbidden address before connecting to it, and
/// then connects to exactly the address it checked — a DNS answer that changes between a check and
/// the connection (rebinding) cannot slip through. Clients must not follow redirects (a redirect is a
/// new request, to be checked as one).
///
/// Endpoints the operator configures on the command line (`--github-api`, notifier URLs, a runner's
/// `--server`) are trusted and do not go through the policy.
public final class OutboundPolicy: Sendable {
    /// What an admin allowed.
    public enum Allowance: Sendable, Hashable, CustomStringConvertible {
        /// A host name (compared without regard to case), whatever it resolves to.
        case host(String)
        /// Addresses in a network.
        case network(CIDR)

        public var description: String {
            switch self {
            case .host(let name): name
            case .network(let network): network.description
            }
        }
    }

    /// What an admin allowed beyond the public internet.
    public let allowances: [Allowance]
    private let started = Mutex<EgressProxy?>(nil)
    private let clients = Mutex<[ObjectIdentifier: any Sendable]>([:])

    /// A policy allowing the public internet and `allowances`.
    public init(allowances: [Allowance] = []) {
        self.allowances = allowances
    }

    /// A policy allowing the public internet and `allowing`: host names or networks in CIDR notation
    /// (a bare address is that address alone).
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for an entry that is neither.
    public convenience init(allowing: [String]) throws(ForgeError) {
        var allowances: [Allowance] = []
        for entry in allowing {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if let network = try? CIDR(text) {
                allowances.append(.network(network))
            } else if !text.isEmpty, text.utf8.count <= 253,
                      text.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }) {
                allowances.append(.host(text.lowercased()))
            } else {
                throw ForgeError(.invalidArgument, "'\(entry)' is neither a host name nor a network (CIDR)", operation: "read the outbound policy")
            }
        }
        self.init(allowances: allowances)
    }

    /// The public internet only.
    public static let standard = OutboundPolicy()

    /// The header the proxy puts on its own refusals of plain-HTTP requests (their status is 403), so
    /// that a client tells them from the target's answers.
    public static let refusalHeader = EgressProxy.refusalHeader

    /// Why a connection to `address` (for `host`) is refused; nil when it is allowed.
    public func refusal(of address: IPAddress, host: String) -> String? {
        if allowances.contains(where: { allowance in
            switch allowance {
            case .host(let name): name == host.lowercased()
            case .network(let network): network.contains(address)
            }
        }) { return nil }
        guard let kind = Self.internalKind(of: address) else { return nil }
        return "\(host == address.description ? address.description : "\(host) (\(address))") is a \(kind) address; "
            + "requests to it are refused unless an admin allows it (--webhook-allow)"
    }

    /// Checks `url` before a request: an http or https URL with a host, none of whose addresses is
    /// refused. The proxy checks again on the address it connects to; this gives the clear reason.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for a URL that is not http(s) with a host,
    ///   `forbidden` with the reason when an address is refused, `notFound` when the host does not resolve.
    public func check(url: String) async throws(ForgeError) {
        let operation = "check an outbound request"
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw ForgeError(.invalidArgument, "'\(url.prefix(200))' is not an http or https URL", operation: operation)
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let addresses = try await Self.resolve(host, port: port)
        for address in addresses {
            if let reason = refusal(of: address, host: host) { throw ForgeError(.forbidden, reason, operation: operation) }
        }
    }

    /// The HTTP proxy (on loopback) that enforces the policy on every connection, started on first use.
    public func proxy() throws(ForgeError) -> (host: String, port: Int) {
        let proxy = try started.withLock { (running: inout EgressProxy?) throws(ForgeError) -> EgressProxy in
            if let running { return running }
            let made = try EgressProxy(policy: self)
            running = made
            return made
        }
        return ("127.0.0.1", proxy.port)
    }

    /// The HTTP client for this policy's requests, made once by `make` from the proxy's address and
    /// kept as long as the policy (a client that sends through ``proxy()`` and follows no redirect).
    public func client<Client: Sendable>(_ make: (_ proxyHost: String, _ proxyPort: Int) throws -> Client) throws(ForgeError) -> Client {
        let (host, port) = try proxy()
        do {
            return try clients.withLock { (made: inout [ObjectIdentifier: any Sendable]) throws -> Client in
                if let existing = made[ObjectIdentifier(Client.self)] as? Client { return existing }
                let client = try make(host, port)
                made[ObjectIdentifier(Client.self)] = client
                return client
            }
        } catch let error as ForgeError {
            throw error
        } catch {
            throw ForgeError(.io, "cannot make an HTTP client: \(error)", operation: "send an outbound request")
        }
    }

    /// The proxy as a URL for libgit2 (`http://127.0.0.1:PORT`).
    public func proxyURL() throws(ForgeError) -> String {
        let (host, port) = try proxy()
        return "http://\(host):\(port)"
    }

    /// The kind of internal address `address` is, or nil for a public one.
    public static func internalKind(of address: IPAddress) -> String? {
        let b = address.bytes
        if address.isIPv4 {
            switch (b[0], b[1]) {
            case (0, _): return b.allSatisfy({ $0 == 0 }) ? "unspecified" : "reserved (\"this network\")"
            case (127, _): return "loopback"
            case (10, _), (172, 16...31), (192, 168): return "private"
            case (100, 64...127): return "private (shared address space)"
            case (169, 254): return "link-local"
            case (192, 0) where b[2] == 0: return "reserved (IETF protocol assignments)"
            case (198, 18...19): return "reserved (benchmarking)"
            case (224...239, _): return "multicast"
            case (240...255, _): return b.allSatisfy({ $0 == 255 }) ? "broadcast" : "reserved"
            default: return nil
            }
        }
        if b.allSatisfy({ $0 == 0 }) { return "unspecified" }
        if b.dropLast().allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback" }
        if b[0] & 0xFE == 0xFC { return "private (unique local)" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "link-local" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "private (site-local)" }
        if b[0] == 0xFF { return "multicast" }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judge that one.
        if b[0...11] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0], let embedded = IPAddress(b[12...15].map(String.init).joined(separator: ".")) {
            return internalKind(of: embedded)
        }
        if b[0] == 0x20 && b[1] == 0x02, let embedded = IPAddress(b[2...5].map(String.init).joined(separator: ".")) {
            return internalKind(of: embedded)
        }
        return nil
    }

    /// The addresses `host` resolves to (an address literal is itself), off Swift's cooperative pool.
    ///
    /// - Throws: ``ForgeError`` `notFound` when it resolves to nothing.
    static func resolve(_ host: String, port: Int) async throws(ForgeError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await BlockingQueue.shared.run { () throws(ForgeError) in try resolveBlocking(host, port: port).get() }
    }

    /// `getaddrinfo` for TCP, on the calling thread.
    static func resolveBlocking(_ host: String, port: Int) -> Result<[IPAddress], ForgeError> {
        if let literal = IPAddress(host) { return .success([literal]) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            return .failure(ForgeError(.notFound, "\(host) does not resolve: \(reason)", operation: "resolve \(host)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = IPAddress(socketAddress: entry.pointee.ai_addr), !addresses.contains(address) { addresses.append(address) }
            cursor = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(ForgeError(.notFound, "\(host) does not resolve", operation: "resolve \(host)")) : .success(addresses)
    }
}

extension IPAddress {
    /// The address of a `sockaddr_in` or `sockaddr_in6`.
    init?(socketAddress: UnsafePointer<sockaddr>?) {
        guard let socketAddress else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            var address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        case AF_INET6:
            var address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        default:
            return nil
        }
        self.init(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
