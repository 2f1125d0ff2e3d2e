import DeployKit
import ForgeKit
import ForgeKitTesting
import Foundation
import PipelineKit
import Testing

@Suite struct ScriptHookRunnerTests {
    @Test func runbookDecodes() throws {
        let json = #"{"scripts": [{"command": "/srv/deploy.sh", "args": ["stage"]}, {"command": "true"}],"#
            + #" "allowedNetworks": ["192.30.252.0/22", "::1"], "secret": "s", "extra": 1}"#
        let runbook = try Runbook.decode(Array(json.utf8), name: "kaha.json")
        #expect(runbook.scripts == [.init(command: "/srv/deploy.sh", args: ["stage"]), .init(command: "true")])
        #expect(runbook.allowedNetworks.map(\.description) == ["192.30.252.0/22", "::1/128"])
        #expect(runbook.secret == "s")
        #expect(runbook.allows(try #require(IPAddress("::ffff:192.30.253.1"))))
        #expect(!runbook.allows(try #require(IPAddress("127.0.0.1"))))
    }

    @Test(arguments: [
        ("[]", "wrong type"), ("{", "not valid JSON"), (#"{"allowedNetworks": []}"#, "'scripts' is missing"),
        (#"{"scripts": [], "allowedNetworks": []}"#, "'scripts' is empty"),
        (#"{"scripts": [{"args": []}], "allowedNetworks": []}"#, "scripts[0].command"),
        (#"{"scripts": [{"command": "x"}]}"#, "'allowedNetworks' is missing"),
        (#"{"scripts": [{"command": "x"}], "allowedNetworks": ["10/8"]}"#, "allowedNetworks[0]"),
        (#"{"scripts": [{"command": "x"}], "allowedNetworks": [], "secret": ""}"#, "'secret' is empty"),
    ])
    func invalidRunbooks(_ json: String, _ reason: String) {
        do {
            _ = try Runbook.decode(Array(json.utf8), name: "hook.json")
            Issue.record("\(json) decoded")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.hasPrefix("hook.json: "))
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func safeIDs() {
        for id in ["deploy", "kaha-stage", "a.b_c-1", "A9"] { #expect(ScriptHookRunner.isSafeID(id)) }
        for id in ["", ".", "..", "a..b", "a/b", "a b", "a\u{0}b", "é", String(repeating: "a", count: 201)] {
            #expect(!ScriptHookRunner.isSafeID(id), "\(id)")
        }
    }

    @Test func callerAddress() throws {
        let direct = ScriptHookRunner(directory: "/nonexistent")
        #expect(direct.callerAddress(peer: "10.0.0.1", headers: ["X-Forwarded-For": "1.2.3.4"])?.description == "10.0.0.1")
        #expect(direct.callerAddress(peer: nil, headers: [:]) == nil)
        let proxied = ScriptHookRunner(directory: "/nonexistent", options: .init(trustedProxies: [try CIDR("10.0.0.0/8")]))
        #expect(proxied.callerAddress(peer: "10.0.0.1", headers: ["X-Forwarded-For": "6.6.6.6, 1.2.3.4"])?.description == "1.2.3.4")
        #expect(proxied.callerAddress(peer: "10.0.0.1", headers: ["X-Forwarded-For": "1.2.3.4, garbage"]) == nil)
        #expect(proxied.callerAddress(peer: "10.0.0.1", headers: [:])?.description == "10.0.0.1")
        #expect(proxied.callerAddress(peer: "11.0.0.1", headers: ["X-Forwarded-For": "1.2.3.4"])?.description == "11.0.0.1")
    }

    @Test func runnerChecksBeforeRunning() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let marker = directory + "/ran"
        try #"{"scripts": [{"command": "/usr/bin/touch", "args": ["\#(marker)"]}], "allowedNetworks": ["127.0.0.0/8"]}"#
            .write(toFile: directory + "/hook.json", atomically: true, encoding: .utf8)
        let runner = ScriptHookRunner(directory: directory)
        await #expect(throws: DeployError(.notFound, "there is no hook 'nope'", operation: "load runbook")) {
            try await runner.run(ScriptHookRequest(id: "nope", peerAddress: "127.0.0.1"))
        }
        do {
            _ = try await runner.run(ScriptHookRequest(id: "hook", peerAddress: "192.0.2.1"))
            Issue.record("ran for an outside caller")
        } catch {
            #expect(error.code == .forbidden)
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
        let results = try await runner.run(ScriptHookRequest(id: "hook", peerAddress: "::ffff:127.0.0.1"))
        #expect(results.map(\.statusCode) == [0])
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test func stdoutAndStderrApart() async throws {
        let runner = ScriptHookRunner(directory: "/tmp")
        let result = try await runner.run(command: "/bin/ls", arguments: ["/", "/nonexistent-hookd"])
        #expect(result.statusCode == 2)
        #expect(result.stdout.contains("usr"))
        #expect(result.stderr.contains("nonexistent-hookd"))
        #expect(!result.stdout.contains("nonexistent-hookd"))
    }

    @Test func backgroundLeftoversAreKilledWhenTheScriptExits() async throws {
        // A background child keeps the pipes open; the runner must not wait for it.
        let runner = ScriptHookRunner(directory: "/tmp", options: .init(timeout: .seconds(120)))
        let result = try await runner.run(command: "/bin/sh", arguments: ["-c", "sleep 100 & echo $!; echo hi"])
        #expect(result.statusCode == 0)
        #expect(!result.timedOut, "the run ended when the script did, not at the timeout")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last == "hi")
        let pid = try #require(lines.first.flatMap { Int32($0) })
        // The background child is gone (or a zombie waiting to be reaped), not sleeping on. A
        // killed process can take a moment to die on a loaded machine: look for up to 5 s.
        func state() -> Substring? {
            (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
        }
        var seen = state()
        for _ in 0..<50 where !(seen == nil || seen == "Z") {
            try await Task.sleep(for: .milliseconds(100))
            seen = state()
        }
        #expect(seen == nil || seen == "Z", "the background sleep was killed")
    }

    @Test func outputIsLimitedToTheLastBytes() async throws {
        let runner = ScriptHookRunner(directory: "/tmp", options: .init(outputLimit: 4))
        let result = try await runner.run(command: "printf", arguments: ["abcdefgh"])
        #expect(result.stdout == "[…]efgh")
    }
}

@Suite struct ScriptHookSandboxTests {
    static func directory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func aRunbookMayAskForTheSandbox() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "#!/bin/sh\necho \"$(id -un) on $(uname -n) in $PWD\"; ls \(directory) >/dev/null && echo sees-runbooks; \(HostEnvironment.probe(of: "$$"))\n"
            .write(toFile: directory + "/probe.sh", atomically: true, encoding: .utf8)
        chmod(directory + "/probe.sh", 0o755)
        let sandboxed = #"{"scripts": [{"command": "./probe.sh"}], "allowedNetworks": ["127.0.0.0/8"], "sandbox": {"network": "none"}}"#
        try sandboxed.write(toFile: directory + "/boxed.json", atomically: true, encoding: .utf8)
        try sandboxed.replacingOccurrences(of: #", "sandbox": {"network": "none"}"#, with: "")
            .write(toFile: directory + "/open.json", atomically: true, encoding: .utf8)
        let runner = ScriptHookRunner(directory: directory)
        #expect(try await runner.runbook(id: "boxed").sandbox == Runbook.Isolation(network: .none))
        let boxed = try await runner.run(ScriptHookRequest(id: "boxed", peerAddress: "127.0.0.1"))
        #expect(boxed.map(\.statusCode) == [0], "\(boxed)")
        #expect(boxed.first?.stdout.hasPrefix("build on sandbox in /") == true, "\(boxed)")
        #expect(boxed.first?.stdout.contains("sees-runbooks") == true)
        // hookd's environment stays outside; the unsandboxed runbook below gets all of it.
        let hookdOnly = HostEnvironment.names(excluding: ["PATH", "HOME", "LANG"])
        let boxedNames = HostEnvironment.probed(in: boxed.first?.stdout ?? "")
        #expect(boxedNames.contains("PATH") && boxedNames.isDisjoint(with: hookdOnly), "\(boxedNames)")
        // Unsandboxed (the default): hookd's own user and environment, in the runbook folder.
        let open = try await runner.run(ScriptHookRequest(id: "open", peerAddress: "127.0.0.1"))
        #expect(hookdOnly.isSubset(of: HostEnvironment.probed(in: open.first?.stdout ?? "")), "\(open)")
        #expect(open.first?.stdout.contains("in \(directory)") == true)
    }

    @Test func aBodyThatLooksLikeAnOptionIsRefusedUnlessTheRunbookSeparatedIt() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"scripts": [{"command": "/bin/echo", "args": ["got", "{{POST}}"]}], "allowedNetworks": ["127.0.0.0/8"]}"#
            .write(toFile: directory + "/bare.json", atomically: true, encoding: .utf8)
        try #"{"scripts": [{"command": "/bin/echo", "args": ["--", "{{POST}}"]}], "allowedNetworks": ["127.0.0.0/8"]}"#
            .write(toFile: directory + "/separated.json", atomically: true, encoding: .utf8)
        let runner = ScriptHookRunner(directory: directory)
        do {
            _ = try await runner.run(ScriptHookRequest(id: "bare", peerAddress: "127.0.0.1", body: Array("--help".utf8)))
            Issue.record("a body starting with - became an argument")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains("--"))
        }
        let plain = try await runner.run(ScriptHookRequest(id: "bare", peerAddress: "127.0.0.1", body: Array("payload".utf8)))
        #expect(plain.first?.stdout == "got payload\n")
        let separated = try await runner.run(ScriptHookRequest(id: "separated", peerAddress: "127.0.0.1", body: Array("-n x".utf8)))
        #expect(separated.first?.stdout == "-- -n x\n", "the runbook's own -- is kept, nothing is inserted")
    }
}
