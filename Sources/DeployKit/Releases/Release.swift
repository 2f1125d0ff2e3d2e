public import Foundation

/// One release directory under a ``ReleaseManager``'s root, as a snapshot.
public struct Release: Sendable, Hashable {
    /// The release's name (its directory name under `releases/`).
    public let name: String
    /// The absolute path of the release directory.
    public let path: String
    /// When the release was last activated, from the `history` file; nil if it never was (or the
    /// history does not say).
    public let activatedAt: Date?
    /// Whether `current` points at this release.
    public let isCurrent: Bool

    /// Creates a snapshot.
    public init(name: String, path: String, activatedAt: Date?, isCurrent: Bool) {
        self.name = name
        self.path = path
        self.activatedAt = activatedAt
        self.isCurrent = isCurrent
    }
}
