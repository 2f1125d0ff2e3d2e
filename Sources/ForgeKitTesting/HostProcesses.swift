import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The host's processes as a test sees them, found by a marker in their command line: a sandboxed
/// process's own process id means nothing outside its PID namespace, but its command line shows.
///
/// ```swift
/// let marker = HostProcesses.marker()                  // "100.418256"
/// … run "sleep \(marker) &" somewhere …
/// #expect(await HostProcesses.waitUntilGone(marker))
/// ```
public enum HostProcesses {
    /// A `sleep` duration no other process uses: `sleep 100.123456` sleeps 100 seconds and is found by it.
    public static func marker() -> String {
        "100.\(Int.random(in: 100_000...999_999))"
    }

    /// The live processes (zombies left out) whose command line contains `marker`.
    public static func running(_ marker: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(marker) && isAlive(pid)
        }
    }

    /// Whether `pid` is a live process (a zombie counts as dead).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), let state = stat[close...].dropFirst(2).first else { return false }
        return state != "Z" && state != "X"
    }

    /// Waits up to `timeout` until at least `count` processes with `marker` run; whether they do.
    public static func waitUntilRunning(_ marker: String, count: Int = 1, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while running(marker).count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return running(marker).count >= count
    }

    /// Waits up to `timeout` until no process with `marker` runs; whether none does.
    public static func waitUntilGone(_ marker: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !running(marker).isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return running(marker).isEmpty
    }
}
