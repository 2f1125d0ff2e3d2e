import Foundation
import Synchronization

/// Git repositories kept open between requests: opening one (its packs' indexes, its config) costs
/// milliseconds on a large history, more than many pages take to render.
///
/// Each repository gets up to `handlesPerRepository` handles, used in turn, so that readers of one
/// busy repository run on as many cores (each handle is confined to its own serial queue). At most
/// `capacity` repositories stay open; the least recently used is closed first. Handles stay correct
/// across pushes — libgit2 re-reads references on each lookup and finds new packs when an object is
/// missing — and ``forget(_:)`` drops a repository's handles when its folder is deleted or replaced.
public final class OpenRepositories: Sendable {
    private struct Entry {
        var handles: [GitRepository]
        var next = 0
        var lastUse: UInt64
    }

    private let state = Mutex<(entries: [String: Entry], clock: UInt64)>(([:], 0))
    private let capacity: Int
    private let handlesPerRepository: Int

    /// Creates an empty cache; `handlesPerRepository` defaults to the cores (at most 4).
    public init(capacity: Int = 64, handlesPerRepository: Int? = nil) {
        self.capacity = max(1, capacity)
        self.handlesPerRepository = max(1, handlesPerRepository ?? min(4, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// An open handle of the repository at `directory`, opening one when there are fewer than
    /// `handlesPerRepository` (or none) yet.
    public func repository(at directory: String) async throws -> GitRepository {
        let existing: GitRepository? = state.withLock { state in
            state.clock += 1
            guard var entry = state.entries[directory], entry.handles.count >= handlesPerRepository else { return nil }
            let handle = entry.handles[entry.next % entry.handles.count]
            entry.next += 1
            entry.lastUse = state.clock
            state.entries[directory] = entry
            return handle
        }
        if let existing { return existing }
        let opened = try await GitRepository.open(at: directory)
        state.withLock { state in
            state.clock += 1
            var entry = state.entries[directory] ?? Entry(handles: [], lastUse: state.clock)
            if entry.handles.count < handlesPerRepository { entry.handles.append(opened) }
            entry.lastUse = state.clock
            state.entries[directory] = entry
            while state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.entries[oldest] = nil
            }
        }
        return opened
    }

    /// Closes the handles of the repository at `directory` (deleted, renamed or replaced).
    public func forget(_ directory: String) {
        state.withLock { _ = $0.entries.removeValue(forKey: directory) }
    }

    /// How many repositories are open.
    public var count: Int { state.withLock { $0.entries.count } }
}
