import ForgeKit
import PlatformSupport

/// JSON's `\u` escape, read the same way by ``Value/init(jsonText:maximumDepth:)`` and `JSONDocument`:
/// four hex digits, and after a high surrogate the `\u` escape of its low half; each caller words
/// the failure in its own errors.
enum JSONUnicodeEscape {
    enum Failure: Error {
        /// Fewer than four bytes are left for the digits; `index` is where they should start.
        case truncated
        /// A byte that is not a hex digit; `index` is just past it.
        case notHex
        /// A high surrogate without its low half, or a low half alone; `index` is past the digits read.
        case unpairedSurrogate
    }

    /// Reads the escape whose digits start at `index` (just after `\u`) and appends its character to
    /// `out` as UTF-8; `index` ends past what was read, or where reading failed.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, into out: inout [UInt8]) throws(Failure) {
        var value = try hex4(bytes, &index)
        if (0xD800..<0xDC00).contains(value) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw .unpairedSurrogate
            }
            index += 2
            let low = try hex4(bytes, &index)
            guard (0xDC00..<0xE000).contains(low) else { throw .unpairedSurrogate }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(value) {
            throw .unpairedSurrogate
        }
        // Four digits, or a pair of halves, never make anything but a scalar; the guard only unwraps.
        guard let scalar = Unicode.Scalar(value), let encoded = UTF8.encode(scalar) else { throw .unpairedSurrogate }
        out.append(contentsOf: encoded)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .truncated }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            guard let digit = Hex.value(byte) else { throw .notHex }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
