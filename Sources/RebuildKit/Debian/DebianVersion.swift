/// Debian version strings, `[epoch:]upstream_version[-debian_revision]` (Debian Policy 5.6.12),
/// checked as dpkg checks them before comparing.
public enum DebianVersion {
    /// Why `text` is not a valid Debian version, or nil when it is.
    ///
    /// Refused, as dpkg refuses them: an empty version or one with spaces; an empty or non-numeric
    /// epoch (`:1`, `a:1`); an empty upstream version (`1:`, `-1`); an empty revision (`1-`);
    /// characters outside `A-Za-z0-9.+~-:` in the upstream version or outside `A-Za-z0-9.+~` in the
    /// revision (which includes anything that is not ASCII).
    public static func problem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return "the version is empty" }
        guard !bytes.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A }) else { return "the version contains a space" }
        var rest = bytes[...]
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let epoch = bytes[..<colon]
            guard !epoch.isEmpty else { return "the epoch (before ':') is empty" }
            guard epoch.allSatisfy(isDigit), epoch.count <= 9 else { return "the epoch '\(String(decoding: epoch, as: UTF8.self))' is not a number" }
            rest = bytes[(colon + 1)...]
        }
        var upstream = rest
        if let hyphen = rest.lastIndex(of: UInt8(ascii: "-")) {
            let revision = rest[(hyphen + 1)...]
            guard !revision.isEmpty else { return "the Debian revision (after the last '-') is empty" }
            guard revision.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "~") }) else {
                return "the Debian revision '\(String(decoding: revision, as: UTF8.self))' has characters other than A-Z a-z 0-9 . + ~"
            }
            upstream = rest[..<hyphen]
        }
        guard !upstream.isEmpty else { return "the upstream version is empty" }
        guard upstream.allSatisfy({ isAlphanumeric($0) || ".+~-:".utf8.contains($0) }) else {
            return "the upstream version '\(String(decoding: upstream, as: UTF8.self))' has characters other than A-Z a-z 0-9 . + ~ - :"
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
    }
}
