import Foundation
import ForgeKitTesting
import Testing

/// The real `rebuilder` executable, run as a child process.
@Suite("rebuilder command line")
struct RebuilderCommandTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/debian").path

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var tool = ".build/debug/rebuilder"
        for candidate in [products, products.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("rebuilder").path) {
            tool = candidate.appendingPathComponent("rebuilder").path
            break
        }
        let result = try TestCommand.run([URL(fileURLWithPath: tool).path] + arguments)
        return (result.status, String(decoding: result.output, as: UTF8.self), result.error)
    }

    @Test("watch --once resolves the collection, submits nothing below the threshold and prints the status as JSON")
    func watchOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuilder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let collection = #"{"name": "fixtures", "kind": "debian", "repository": "\#(Self.fixtures)", "architecture": "amd64", "blocked": ["t02-plain"]}"#
        try collection.write(toFile: "\(directory)/collection.json", atomically: true, encoding: .utf8)
        let result = try Self.run(["watch", "--once", "--collection", "\(directory)/collection.json", "--db", "\(directory)/r.sqlite", "--build-command", "true"])
        #expect(result.status == 0, "\(result.stderr)")
        let statuses = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let states = Dictionary(uniqueKeysWithValues: statuses.compactMap { status -> (String, String)? in
            guard let package = status["package"] as? [String: Any], let name = package["name"] as? String, let state = status["state"] as? String else { return nil }
            return (name, state)
        })
        #expect(states["t02-plain"] == "blocked")
        #expect(states["t01-empty"] == "ok")
        #expect(states.values.contains("unresolved"))
        #expect(statuses.allSatisfy { $0["last_build"] == nil })
    }

    @Test("PostgreSQL: watch --once --database postgres://… stores the collection there and prints what the SQLite store gives")
    func watchOncePostgres() throws {
        guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
            try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuilder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let collection = #"{"name": "fixtures", "kind": "debian", "repository": "\#(Self.fixtures)", "architecture": "amd64", "blocked": ["t02-plain"]}"#
        try collection.write(toFile: "\(directory)/collection.json", atomically: true, encoding: .utf8)
        let schema = "w_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        func states(_ store: [String]) throws -> [String: String] {
            let result = try Self.run(["watch", "--once", "--collection", "\(directory)/collection.json", "--build-command", "true",
                                       "--build-directory", "\(directory)/builds"] + store)
            #expect(result.status == 0, "\(result.stderr)")
            let statuses = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: statuses.compactMap { status -> (String, String)? in
                guard let package = status["package"] as? [String: Any], let name = package["name"] as? String,
                      let state = status["state"] as? String else { return nil }
                return (name, state)
            })
        }
        let postgres = try states(["--database", url + "?schema=" + schema])
        #expect(postgres["t02-plain"] == "blocked")
        #expect(!postgres.isEmpty)
        #expect(postgres == (try states(["--db", "\(directory)/r.sqlite"])))
        // A second watcher on the same database finds the snapshot already resolved and the same statuses.
        #expect(postgres == (try states(["--database", url + "?schema=" + schema])))
    }

    @Test("bad input: a broken collection file, an unknown architecture, a missing index, bad flags")
    func badInput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuilder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"name": "x", "kind": "debian""#.write(toFile: "\(directory)/broken.json", atomically: true, encoding: .utf8)
        try #"{"name": "x", "repository": "/tmp", "architecture": "amd64"}"#.write(toFile: "\(directory)/missing.json", atomically: true, encoding: .utf8)
        for (arguments, expected) in [
            (["watch", "--once", "--collection", "\(directory)/broken.json", "--db", "\(directory)/r.sqlite", "--build-command", "true"], "not valid JSON"),
            (["watch", "--once", "--collection", "\(directory)/missing.json", "--db", "\(directory)/r.sqlite", "--build-command", "true"], "'kind' is missing"),
            (["watch", "--collection", "\(directory)/missing.json", "--db", "\(directory)/r.sqlite", "--build-command", "true", "--max-builds", "0"], "--max-builds"),
            (["check", "--packages", "\(Self.fixtures)/Packages", "--sources", "\(Self.fixtures)/Sources", "--arch", "amd65"], "amd65"),
            (["check", "--packages", "\(directory)/nothing", "--sources", "\(Self.fixtures)/Sources"], "nothing"),
            (["check", "--packages", "\(Self.fixtures)/Packages", "--sources", "\(Self.fixtures)/Sources", "--threads", "0"], "--threads"),
            (["diff", "--old", "\(directory)/none", "--new", Self.fixtures], "no Packages index"),
        ] {
            let result = try Self.run(arguments)
            #expect(result.status != 0, "\(arguments) succeeded")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }

    @Test("check prints one line per unsatisfiable source package, starting with its name, and nothing else on stdout")
    func check() throws {
        let result = try Self.run(["check", "--packages", "\(Self.fixtures)/Packages", "--sources", "\(Self.fixtures)/Sources"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("t") && $0.contains(": ") })
        #expect(result.stderr.contains("checked"))
    }

    @Test("diff resolves only what the update affects, prints what --full prints, and says how much it resolved")
    func diff() throws {
        let old = try IncrementalTests.snapshot(IncrementalTests.base)
        let new = try IncrementalTests.snapshot(IncrementalTests.updated([
            "libfoo1": "Package: libfoo1\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libc6 (>= 2.30)",
            "libfoo-dev": "Package: libfoo-dev\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libfoo1 (= 1.0-1+deb12u1)",
            "newthing": "Package: newthing\nVersion: 1\nArchitecture: amd64",
        ]))
        defer {
            try? FileManager.default.removeItem(atPath: old)
            try? FileManager.default.removeItem(atPath: new)
        }
        let incremental = try Self.run(["diff", "--old", old, "--new", new])
        let full = try Self.run(["diff", "--old", old, "--new", new, "--full"])
        #expect(incremental.status == 0 && full.status == 0, "\(incremental.stderr) \(full.stderr)")
        #expect(incremental.stdout == full.stdout)
        #expect(incremental.stdout.contains("app 1.0: dependency priority"))
        #expect(incremental.stdout.contains("libfoo-dev 1.0-1 → 1.0-1+deb12u1 (distance 1)"))
        #expect(incremental.stderr.contains("1 binaries changed, 2 relabeled"), "\(incremental.stderr)")
        #expect(incremental.stderr.contains("resolved 1 of 8 source packages"), "\(incremental.stderr)")
        #expect(full.stderr.contains("resolved 8 of 8 source packages"), "\(full.stderr)")
    }
}
