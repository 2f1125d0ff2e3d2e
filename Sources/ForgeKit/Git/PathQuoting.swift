/// Path quoting as git prints paths (`core.quotePath`, on by default).
public enum GitPathQuoting {
    /// The path as `git diff --name-only` prints it: unchanged when it has only printable ASCII other
    /// than `"` and `\`; otherwise in double quotes with C escapes (`\t`, `\n`, `\"`, `\\`) and
    /// three-digit octal for other control bytes and every byte of 0x80 and above.
    public static func quoted(_ path: [UInt8]) -> [UInt8] {
        guard path.contains(where: needsQuoting) else { return path }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(path.count + 8)
        for byte in path {
            guard needsQuoting(byte) else {
                out.append(byte)
                continue
            }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x07: out.append(UInt8(ascii: "a"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x0a: out.append(UInt8(ascii: "n"))
            case 0x0b: out.append(UInt8(ascii: "v"))
            case 0x0c: out.append(UInt8(ascii: "f"))
            case 0x0d: out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            default:
                out.append(UInt8(ascii: "0") + (byte >> 6))
                out.append(UInt8(ascii: "0") + ((byte >> 3) & 7))
                out.append(UInt8(ascii: "0") + (byte & 7))
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    @inline(__always)
    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5c || byte >= 0x7f
    }
}
