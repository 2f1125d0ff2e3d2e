import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks: for in-process services that
/// only this host should reach (the egress proxy) and for tests.
public enum LoopbackListener {
    /// Opens the socket (close-on-exec) and returns it with its port. The caller owns the descriptor.
    ///
    /// - Throws: ``ForgeError`` `io` when no socket can be bound or listened on.
    public static func open(backlog: Int32 = 128) throws(ForgeError) -> (descriptor: Int32, port: Int) {
        let operation = "listen on loopback"
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ForgeError(.io, "socket: \(String(cString: strerror(errno)))", operation: operation) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound, listen(descriptor, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ForgeError(.io, "cannot listen on loopback: \(reason)", operation: operation)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
