import Crypto

/// Comparing secrets (tokens, signatures, CSRF values, password hashes) without leaking through
/// timing how much of a guess was right.
package enum ConstantTime {
    /// Whether `a` equals `b`, in time independent of their contents and lengths: their SHA-256
    /// digests are compared byte for byte without an early exit.
    package static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(SHA256.hash(data: Array(a))), right = Array(SHA256.hash(data: Array(b)))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// Whether `a` equals `b`, compared as UTF-8 in constant time.
    package static func equal(_ a: String, _ b: String) -> Bool {
        equal(Array(a.utf8), Array(b.utf8))
    }
}
