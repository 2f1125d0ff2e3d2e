import CGit2

/// A git object id: the 20-byte SHA-1 name of a commit, tree, blob or tag.
///
/// Object ids compare and hash by value, print as 40 lowercase hex digits, and parse from them.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    // Three words instead of a 20-byte tuple: equality and hashing stay cheap on the diff hot path.
    @usableFromInline let a: UInt64
    @usableFromInline let b: UInt64
    @usableFromInline let c: UInt32

    /// The id whose bytes are all zero; git uses it for "no object" (a created or deleted ref).
    public static let zero = ObjectID(a: 0, b: 0, c: 0)

    @usableFromInline init(a: UInt64, b: UInt64, c: UInt32) {
        self.a = a
        self.b = b
        self.c = c
    }

    /// Reads an id from 20 raw bytes starting at `pointer`.
    @inlinable init(rawBytes pointer: UnsafeRawPointer) {
        // Big-endian loads, so that the integer order is the byte (and hex) order.
        a = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
        b = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        c = UInt32(bigEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    init(_ oid: git_oid) {
        var copy = oid
        self = withUnsafeBytes(of: &copy.id) { ObjectID(rawBytes: $0.baseAddress!) }
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// Parses 40 hex digits (either case). Returns `nil` for anything else.
    public init?(hex: String) {
        var bytes = [UInt8](repeating: 0, count: 20)
        var utf8 = hex.utf8.makeIterator()
        var count = 0
        while let high = utf8.next() {
            guard count < 20, let h = ObjectID.nibble(high), let lowByte = utf8.next(), let l = ObjectID.nibble(lowByte) else {
                return nil
            }
            bytes[count] = h << 4 | l
            count += 1
        }
        guard count == 20 else { return nil }
        self = bytes.withUnsafeBytes { ObjectID(rawBytes: $0.baseAddress!) }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The 20 bytes of the id.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 20)
        result.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: a.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: b.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: c.bigEndian, toByteOffset: 16, as: UInt32.self)
        }
        return result
    }

    /// 40 lowercase hex digits.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        let raw = bytes
        return String(unsafeUninitializedCapacity: 40) { buffer in
            for (index, byte) in raw.enumerated() {
                buffer[index * 2] = digits[Int(byte >> 4)]
                buffer[index * 2 + 1] = digits[Int(byte & 0x0f)]
            }
            return 40
        }
    }

    /// The first `length` hex digits (7 by default), as `git log --abbrev-commit` shows without disambiguation.
    public func abbreviated(_ length: Int = 7) -> String {
        String(hex.prefix(max(4, min(40, length))))
    }

    /// Whether this is ``zero``.
    public var isZero: Bool { a == 0 && b == 0 && c == 0 }

    public var description: String { hex }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        (lhs.a, lhs.b, lhs.c) < (rhs.a, rhs.b, rhs.c)
    }

    /// A libgit2 `git_oid` with the same bytes.
    var gitOID: git_oid {
        var oid = git_oid()
        let raw = bytes
        withUnsafeMutableBytes(of: &oid.id) { target in
            raw.withUnsafeBytes { target.copyMemory(from: $0) }
        }
        return oid
    }
}
