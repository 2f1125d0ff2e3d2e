/// A change in a source package's resolved build environment between two resolutions.
public struct DependencyChange: Sendable, Hashable, CustomStringConvertible {
    /// The binary package.
    public var name: String
    /// Its version before, nil when it was not installed.
    public var oldVersion: String?
    /// Its version now, nil when it is no longer installed.
    public var newVersion: String?
    /// Its distance from the build-dependencies (in the new environment, else the old), nil when unknown.
    public var distance: Int?

    /// Creates a change.
    public init(name: String, oldVersion: String?, newVersion: String?, distance: Int?) {
        self.name = name
        self.oldVersion = oldVersion
        self.newVersion = newVersion
        self.distance = distance
    }

    /// `name old → new (distance d)`.
    public var description: String {
        "\(name) \(oldVersion ?? "(none)") → \(newVersion ?? "(none)") (distance \(distance.map(String.init) ?? "unknown"))"
    }
}

/// Koschei's change detection: the difference between two resolved build environments.
public enum ChangeDetector {
    /// The packages added, removed or at another version, sorted by name.
    public static func changes(from old: [ResolvedPackage], to new: [ResolvedPackage]) -> [DependencyChange] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [DependencyChange] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            let was = before[name], now = after[name]
            guard was?.version != now?.version else { continue }
            changes.append(DependencyChange(name: name, oldVersion: was?.version, newVersion: now?.version,
                                            distance: now?.distance ?? was?.distance))
        }
        return changes
    }
}
