import DeployKit
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ReleaseTests {
    /// A fresh temporary root, removed after `body`.
    private func withRoot<T>(_ body: (String) throws -> T) throws -> T {
        let root = NSTemporaryDirectory() + "forgeworks-releases-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try body(root)
    }

    /// The code of the DeployError `body` throws; nil when it throws nothing (or something else).
    private func errorCode(_ body: () throws -> Void) -> DeployError.Code? {
        do {
            try body()
            return nil
        } catch let error as DeployError {
            return error.code
        } catch {
            return nil
        }
    }

    private func readLink(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// Prepares a release with one file `name.txt` holding its name, and activates it.
    private func deploy(_ manager: ReleaseManager, _ name: String) throws {
        let path = try manager.prepare(name)
        try Data(name.utf8).write(to: URL(fileURLWithPath: path + "/app.txt"))
        try manager.activate(name)
    }

    @Test func activateSwitchesAndRollbackGoesBack() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            let first = try manager.prepare("r1")
            #expect(first == root + "/releases/r1")
            try Data("one".utf8).write(to: URL(fileURLWithPath: first + "/app.txt"))
            try manager.activate("r1")
            try deploy(manager, "r2")
            #expect(readLink(root + "/current") == "releases/r2")
            #expect(manager.current == "r2")

            let listed = try manager.releases()
            #expect(listed.map(\.name) == ["r2", "r1"])
            #expect(listed.map(\.isCurrent) == [true, false])
            #expect(listed.allSatisfy { $0.activatedAt != nil })

            #expect(try manager.rollback() == "r1")
            #expect(readLink(root + "/current") == "releases/r1")
            #expect(try String(contentsOfFile: root + "/current/app.txt", encoding: .utf8) == "one")
            // Like `cd -`: rolling back again returns to r2.
            #expect(try manager.rollback() == "r2")
            #expect(try String(contentsOfFile: root + "/current/app.txt", encoding: .utf8) == "r2")

            let history = try String(contentsOfFile: root + "/history", encoding: .utf8)
            #expect(history.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) }
                    == ["r1", "r2", "r1", "r2"])
        }
    }

    @Test func rollbackToANamedRelease() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            for name in ["a", "b", "c"] { try deploy(manager, name) }
            #expect(try manager.rollback(to: "a") == "a")
            #expect(manager.current == "a")
            #expect(try String(contentsOfFile: root + "/current/app.txt", encoding: .utf8) == "a")
            #expect(try manager.releases().map(\.name) == ["a", "c", "b"])
            #expect(throws: DeployError.self) { try manager.rollback(to: "zzz") }
            #expect(manager.current == "a")
        }
    }

    @Test func rollbackWithoutAPreviousReleaseFails() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            #expect(errorCode { _ = try manager.rollback() } == .notFound, "rolled back with no current release")
            try deploy(manager, "only")
            #expect(errorCode { _ = try manager.rollback() } == .notFound, "rolled back with no previous release")
            #expect(manager.current == "only")
        }
    }

    @Test func pruningKeepsTheNewestAndNeverCurrentOrPrevious() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root, keep: 2)
            for name in ["r1", "r2", "r3", "r4"] { try deploy(manager, name) }
            #expect(try manager.releases().map(\.name) == ["r4", "r3"])
            #expect(!FileManager.default.fileExists(atPath: root + "/releases/r1"))
            #expect(!FileManager.default.fileExists(atPath: root + "/releases/r2"))

            // A prepared, never-activated release is not pruned.
            _ = try manager.prepare("building")
            try deploy(manager, "r5")
            #expect(try manager.releases().map(\.name) == ["r5", "r4", "building"])

            // keep: 1 still keeps the previous one, so a rollback is always possible.
            let strict = try ReleaseManager(root: root, keep: 1)
            try deploy(strict, "r6")
            #expect(try strict.releases().map(\.name) == ["r6", "r5", "building"])
            #expect(try strict.rollback() == "r5")
            #expect(try strict.releases().map(\.name) == ["r5", "r6", "building"])
            // No pruned directory is left behind.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("pruning-") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test(arguments: ["../x", "a/b", "", String(repeating: "a", count: 200), "..", ".", "a..b", "a b", "é", "a\u{0}b"])
    func invalidNamesAreRejected(_ name: String) throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            #expect(!ReleaseManager.isValidName(name))
            #expect(errorCode { _ = try manager.prepare(name) } == .invalidRequest)
            #expect(errorCode { try manager.activate(name) } == .invalidRequest)
            #expect(errorCode { _ = try manager.rollback(to: name) } == .invalidRequest)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/releases").isEmpty)
        }
    }

    @Test func validNames() {
        for name in ["r1", "20250101-1200-4f2a9c1", "v1.2.3", "A_b", String(repeating: "a", count: 128)] {
            #expect(ReleaseManager.isValidName(name), "\(name)")
        }
        #expect(!ReleaseManager.isValidName(String(repeating: "a", count: 129)))
    }

    @Test func preparingTwiceFails() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            _ = try manager.prepare("r1")
            #expect(errorCode { _ = try manager.prepare("r1") } == .invalidRequest, "prepared twice")
        }
    }

    @Test func activatingAMissingReleaseLeavesCurrentAlone() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            try deploy(manager, "r1")
            #expect(errorCode { try manager.activate("missing") } == .notFound, "activated a missing release")
            #expect(readLink(root + "/current") == "releases/r1")
            let history = try String(contentsOfFile: root + "/history", encoding: .utf8)
            #expect(history.split(separator: "\n").count == 1)
        }
    }

    @Test func leftoversAreCleanedOnInit() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            try deploy(manager, "r1")
            #expect(symlink("releases/r1", root + "/current.tmp-deadbeef") == 0)
            try FileManager.default.createDirectory(atPath: root + "/pruning-r0-1234/sub", withIntermediateDirectories: true)
            _ = try ReleaseManager(root: root)
            var status = stat()
            #expect(lstat(root + "/current.tmp-deadbeef", &status) != 0)
            #expect(!FileManager.default.fileExists(atPath: root + "/pruning-r0-1234"))
            #expect(manager.current == "r1")
        }
    }

    @Test func missingHistoryFallsBackToModificationTimes() throws {
        try withRoot { root in
            let manager = try ReleaseManager(root: root)
            for name in ["old", "new"] { try deploy(manager, name) }
            try FileManager.default.removeItem(atPath: root + "/history")
            let old = Date(timeIntervalSinceNow: -3600)
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root + "/releases/old")
            let listed = try manager.releases()
            #expect(listed.map(\.name) == ["new", "old"])
            #expect(listed.allSatisfy { $0.activatedAt == nil })
            #expect(try manager.rollback() == "old")
            #expect(manager.current == "old")
        }
    }

    @Test func currentExistsAtEveryMomentWhileSwitching() async throws {
        let root = NSTemporaryDirectory() + "forgeworks-releases-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manager = try ReleaseManager(root: root, keep: 10)
        try deploy(manager, "a")
        try deploy(manager, "b")
        let current = root + "/current"
        let done = DoneFlag()
        let switcher = Task.detached {
            defer { done.value.store(true, ordering: .releasing) }
            for index in 0..<300 { try manager.activate(index.isMultiple(of: 2) ? "a" : "b") }
        }
        let poller = Task.detached { () -> (polls: Int, failures: Int) in
            var polls = 0
            var failures = 0
            while !done.value.load(ordering: .acquiring) || polls < 1000 {
                var status = stat()
                if lstat(current, &status) != 0 { failures += 1 }
                polls += 1
            }
            return (polls, failures)
        }
        try await switcher.value
        let (polls, failures) = await poller.value
        #expect(polls >= 1000)
        #expect(failures == 0)
        #expect(readLink(current) == "releases/b")
    }
}

private final class DoneFlag: Sendable {
    let value = Atomic<Bool>(false)
}
