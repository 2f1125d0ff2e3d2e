// In-process ForgeKit calls against spawning the git client for each, in the same run:
//  1. reference resolution plus a small blob read, 10,000 times;
//  2. the paths changed between two releases, from a repository opened anew each time and from an open one.
// Usage: forgekit-bench BARE-REPOSITORY FROM TO [PATH-OF-SMALL-FILE]
import ForgeKit
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: forgekit-bench REPOSITORY FROM TO [FILE]\n".utf8))
    exit(2)
}
let path = arguments[1]
let (from, to) = (arguments[2], arguments[3])
let file = arguments.count > 4 ? arguments[4] : "README.md"
let clock = ContinuousClock()

func micros(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

/// Mean microseconds per run of `git ARGUMENTS`, output discarded, started with posix_spawn (as a
/// shell would; Foundation's Process adds tens of milliseconds per child here).
func spawnGit(_ gitArguments: [String], runs: Int) throws -> Double {
    let argv = ["git", "-C", path] + gitArguments
    let elapsed = try clock.measure {
        for _ in 0..<runs {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for pointer in cArguments { free(pointer) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, "/usr/bin/git", &actions, nil, &cArguments, environ) == 0 else {
                throw ForgeError(.io, "cannot start git", operation: "bench")
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else { throw ForgeError(.io, "git \(gitArguments) failed", operation: "bench") }
        }
    }
    return micros(elapsed) / Double(runs)
}

func report(_ what: String, ours: Double, git: Double) {
    print(String(format: "%@: in-process %.1f µs per call, spawning git %.0f µs per call: %.1f× faster", what, ours, git, git / ours))
}

// 1. resolve + small blob, 10,000 times in one session.
let iterations = 10_000
let repository = try GitRepository.openBlocking(at: path)
let blobElapsed = try repository.withSessionBlocking { session in
    var bytes = 0
    let elapsed = try clock.measure {
        for _ in 0..<iterations {
            let commit = try session.resolveCommit("HEAD")
            bytes &+= try session.blob(at: commit.hex, path: file).count
        }
    }
    guard bytes > 0 else { throw ForgeError(.notFound, "\(file) is empty", operation: "bench") }
    return elapsed
}
report("resolve HEAD + read \(file) (10,000 calls)", ours: micros(blobElapsed) / Double(iterations),
       git: try spawnGit(["show", "HEAD:\(file)"], runs: 300))

// 2. changed paths between two releases.
let diffRuns = 200
var expected = 0
let coldElapsed = try clock.measure {
    for _ in 0..<diffRuns {
        let fresh = try GitRepository.openBlocking(at: path)
        expected = try fresh.withSessionBlocking { try $0.changes(from: from, to: to).count }
    }
}
let warmElapsed = try repository.withSessionBlocking { session in
    try clock.measure {
        for _ in 0..<diffRuns {
            guard try session.changes(from: from, to: to).count == expected else {
                throw ForgeError(.corrupt, "the change count varied between runs", operation: "bench")
            }
        }
    }
}
let gitDiff = try spawnGit(["diff", "--name-only", "--no-renames", from, to], runs: diffRuns)
report("changed \(from)..\(to), \(expected) paths, repository opened each call", ours: micros(coldElapsed) / Double(diffRuns), git: gitDiff)
report("changed \(from)..\(to), \(expected) paths, repository kept open", ours: micros(warmElapsed) / Double(diffRuns), git: gitDiff)
