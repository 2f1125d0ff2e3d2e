#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, parsed from text.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) are
/// the IPv4 address they carry, so they match IPv4 networks. A zone (`fe80::1%eth0`) and square
/// brackets (`[::1]`) are accepted and dropped.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses dotted-decimal IPv4 (`192.0.2.1`) or IPv6 text (`2001:db8::1`); nil when it is neither.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        guard !text.isEmpty, text.utf8.count <= 64, !text.utf8.contains(0) else { return nil }
        if text.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            let raw = withUnsafeBytes(of: storage) { Array($0) }
            if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
                bytes = Array(raw[12..<16])
            } else {
                bytes = raw
            }
        } else {
            var storage = in_addr()
            guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
            bytes = withUnsafeBytes(of: storage) { Array($0) }
        }
    }

    /// Whether this is an IPv4 address (including one given in IPv4-mapped IPv6 form).
    public var isIPv4: Bool { bytes.count == 4 }

    /// Whether this is a loopback address (`127.0.0.0/8`, `::1`).
    public var isLoopback: Bool { isIPv4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1] }

    /// Whether `host` (a name or an address to listen on) is this machine's loopback only.
    public static func isLoopback(host: String) -> Bool {
        host.lowercased() == "localhost" || IPAddress(host)?.isLoopback == true
    }

    /// The address as text (`192.0.2.1`, `2001:db8::1`).
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A network in CIDR notation, IPv4 (`192.30.252.0/22`) or IPv6 (`2001:db8::/32`).
///
/// A bare address is the network of that one address (`/32` or `/128`). Host bits set beyond the
/// prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as Go's `net.ParseCIDR` does. An IPv4-mapped
/// IPv6 network with a prefix of at least 96 (`::ffff:10.0.0.0/104`) is the IPv4 network it maps.
///
/// ```swift
/// let github = try CIDR("192.30.252.0/22")
/// github.contains("192.30.253.7")          // true
/// github.contains("::ffff:192.30.253.7")   // true
/// ```
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network's address, host bits cleared.
    public let network: IPAddress
    /// The number of leading bits that must match.
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address.
    ///
    /// - Throws: ``ForgeError`` with code `invalidArgument` when the address or the prefix is not valid.
    public init(_ text: String) throws(ForgeError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].hasPrefix("["), let address = IPAddress(parts[0]) else {
            throw Self.invalid(text)
        }
        let mappedV4 = address.isIPv4 && parts[0].contains(":")
        let maximum = address.isIPv4 && !mappedV4 ? 32 : 128
        var prefix = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let value = Int(digits), value <= maximum else {
                throw Self.invalid(text)
            }
            prefix = value
        }
        if mappedV4 {
            // Written as IPv6, parsed as the IPv4 address it maps: the prefix counts the 96 bits of `::ffff:`.
            guard prefix >= 96 else { throw Self.invalid(text, "an IPv4-mapped network needs a prefix of at least 96") }
            prefix -= 96
        }
        self.prefixLength = prefix
        self.network = IPAddress(bytes: Self.masked(address.bytes, prefix))
    }

    /// Whether `address` is in this network. An IPv4 address is never in an IPv6 network and the
    /// other way round (except IPv4-mapped addresses, which are IPv4).
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && Self.masked(address.bytes, prefixLength) == network.bytes
    }

    /// Whether the address written as `text` is in this network; false when `text` is not an address.
    public func contains(_ text: String) -> Bool {
        IPAddress(text).map(contains) ?? false
    }

    /// `address/prefix`.
    public var description: String { "\(network)/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bits = prefix - index * 8
            if bits >= 8 { continue }
            result[index] = bits <= 0 ? 0 : result[index] & ~(UInt8(0xFF) >> bits)
        }
        return result
    }

    private static func invalid(_ text: String, _ reason: String? = nil) -> ForgeError {
        ForgeError(.invalidArgument, "'\(text)' is not a network in CIDR notation" + (reason.map { ": \($0)" } ?? ""),
                   operation: "parse network")
    }
}

extension IPAddress {
    fileprivate init(bytes: [UInt8]) { self.bytes = bytes }
}
