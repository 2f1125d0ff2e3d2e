// In-process reference resolution plus a small blob read, 10,000 times, against spawning git for each.
// Usage: forgekit-bench BARE-REPOSITORY [PATH-OF-SMALL-FILE]
import ForgeKit
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: forgekit-bench REPOSITORY [FILE]\n".utf8))
    exit(2)
}
let path = arguments[1]
let file = arguments.count > 2 ? arguments[2] : "README.md"
let iterations = 10_000
let spawns = 300

let repository = try await GitRepository.open(at: path)
let clock = ContinuousClock()
let inProcess = try await repository.withSession { session in
    var bytes = 0
    let elapsed = try clock.measure {
        for _ in 0..<iterations {
            let commit = try session.resolveCommit("HEAD")
            bytes &+= try session.blob(at: commit.hex, path: file).count
        }
    }
    precondition(bytes > 0)
    return elapsed
}

let spawned = try clock.measure {
    for _ in 0..<spawns {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", path, "show", "HEAD:\(file)"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }
}

func micros(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}
let ours = micros(inProcess) / Double(iterations)
let theirs = micros(spawned) / Double(spawns)
print(String(format: "resolve HEAD + read %@: in-process %.2f µs per call, spawning git %.0f µs per call: %.0f× faster",
             file, ours, theirs, theirs / ours))
