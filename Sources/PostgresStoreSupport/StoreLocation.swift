/// Where a store lives, as the `--database` options give it: a `postgres://` (or `postgresql://`) URL,
/// or a SQLite file. The one parse of it for every kit's `…Stores.open`.
package enum StoreLocation: Sendable, Hashable {
    case postgres(url: String)
    case sqlite(path: String)

    /// Reads `text`; another URL scheme is refused with why.
    package init(_ text: String) throws(StoreLocationError) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.contains("://") {
            throw StoreLocationError(description: "a database must be a postgres:// URL or a SQLite file path, not '\(text)'")
        } else if text.isEmpty {
            throw StoreLocationError(description: "the database location is empty")
        } else {
            self = .sqlite(path: text)
        }
    }
}

/// A location that names no store the kits open.
package struct StoreLocationError: Error, CustomStringConvertible, Sendable {
    package let description: String
}
