import Foundation
import Testing

/// The real `hookd` binary, over HTTP on loopback.
@Suite struct HookdTests {
    @Test func allowedNetworkRunsTheScripts() async throws {
        let hookd = try await HookdProcess.start()
        defer { hookd.stop() }
        try hookd.write("deploy", scripts: [["/usr/bin/touch", hookd.path("ran")]])
        let response = try await hookd.post("deploy")
        #expect(response.status == 200, "\(response.body)")
        #expect(response.json["ok"] as? Bool == true)
        #expect(hookd.exists("ran"))
    }

    @Test func callerOutsideTheNetworksIsForbiddenAndNothingRuns() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        try hookd.write("other", scripts: [["/usr/bin/touch", hookd.path("ran")]], networks: ["10.0.0.0/8", "2001:db8::/32"])
        try hookd.write("nobody", scripts: [["/usr/bin/touch", hookd.path("ran")]], networks: [])
        let other = try await hookd.post("other")
        #expect(other.status == 403, "\(other.body)")
        #expect(other.error.contains("127.0.0.1"))
        let nobody = try await hookd.post("nobody")
        #expect(nobody.status == 403, "\(nobody.body)")
        // A forwarding header from an untrusted peer is ignored.
        let spoofed = try await hookd.post("other", headers: [("X-Forwarded-For", "10.1.2.3")])
        #expect(spoofed.status == 403)
        #expect(!hookd.exists("ran"))
    }

    @Test func trustedProxyForwardingHeaderIsBelieved() async throws {
        let hookd = try await HookdProcess.start(["--echo", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "::1"])
        defer { hookd.stop() }
        try hookd.write("github", scripts: [["/bin/true"]], networks: ["192.30.252.0/22"])
        // The right-most address is the one the proxy saw; the ones before it are the client's claims.
        let allowed = try await hookd.post("github", headers: [("X-Forwarded-For", "10.9.9.9, 192.30.253.7")])
        #expect(allowed.status == 200, "\(allowed.body)")
        #expect(allowed.statuses == [0])
        let denied = try await hookd.post("github", headers: [("X-Forwarded-For", "192.30.253.7, 10.9.9.9")])
        #expect(denied.status == 403, "\(denied.body)")
        let direct = try await hookd.post("github")
        #expect(direct.status == 403, "\(direct.body)")
    }

    @Test func secretIsChecked() async throws {
        let hookd = try await HookdProcess.start()
        defer { hookd.stop() }
        let secret = "s3cret"
        try hookd.write("signed", scripts: [["/usr/bin/touch", hookd.path("ran")]], secret: secret)
        let body = #"{"ref":"refs/heads/main"}"#
        let missing = try await hookd.post("signed", body: body)
        #expect(missing.status == 401, "\(missing.body)")
        let bad = try await hookd.post("signed", body: body, headers: [("X-Hub-Signature-256", githubSignature(body, secret: "wrong"))])
        #expect(bad.status == 401, "\(bad.body)")
        let otherBody = try await hookd.post("signed", body: body + " ", headers: [("X-Hub-Signature-256", githubSignature(body, secret: secret))])
        #expect(otherBody.status == 401, "\(otherBody.body)")
        #expect(!hookd.exists("ran"))
        let good = try await hookd.post("signed", body: body, headers: [("X-Hub-Signature-256", githubSignature(body, secret: secret))])
        #expect(good.status == 200, "\(good.body)")
        #expect(hookd.exists("ran"))
    }

    @Test func bodyReachesArgumentsAndResultsAreEchoed() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        try hookd.write("echo", scripts: [
            ["/usr/bin/printf", "%s|%s", "{{POST}}", "x={{POST}}"],
            ["/bin/false"],
            ["/bin/ls", hookd.path("does-not-exist")],
            ["printf", "found in PATH"],
        ])
        let body = #"{"a": "b c; $(rm -rf /)"}"#
        let response = try await hookd.post("echo", body: body)
        #expect(response.status == 200, "\(response.body)")
        let results = response.results
        try #require(results.count == 4)
        #expect(results[0]["stdout"] as? String == body + "|x=" + body)
        #expect(results[0]["stderr"] as? String == "")
        #expect(response.statuses == [0, 1, 2, 0])
        #expect(results[2]["stdout"] as? String == "")
        #expect((results[2]["stderr"] as? String ?? "").contains("does-not-exist"))
        #expect(results[3]["stdout"] as? String == "found in PATH")
    }

    @Test func missingScriptIs127AndLaterScriptsStillRun() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        try hookd.write("missing", scripts: [
            ["/nonexistent/deploy.sh"], ["no-such-command-hookd"], ["/usr/bin/touch", hookd.path("ran")],
        ])
        let response = try await hookd.post("missing")
        #expect(response.status == 200, "\(response.body)")
        #expect(response.statuses == [127, 127, 0])
        #expect(hookd.exists("ran"))
    }

    @Test func withoutEchoFailureIsReportedAsNotOK() async throws {
        let hookd = try await HookdProcess.start()
        defer { hookd.stop() }
        try hookd.write("fails", scripts: [["/bin/false"], ["/usr/bin/touch", hookd.path("ran")]])
        let response = try await hookd.post("fails")
        #expect(response.status == 200, "\(response.body)")
        #expect(response.json["ok"] as? Bool == false)
        #expect(response.json["results"] == nil)
        #expect(hookd.exists("ran"))
    }

    @Test func unknownAndUnsafeIDsAreNotFound() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        try hookd.write("a..b", scripts: [["/bin/true"]])
        for id in ["nothing", "a..b", "..", "a%2Fb", "a%00b"] {
            let response = try await hookd.post(id)
            #expect(response.status == 404, "\(id): \(response.body)")
        }
    }

    @Test func invalidRunbooksAre500WithTheReason() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        let cases: [(String, String, String)] = [
            ("notjson", "{ scripts: ", "not valid JSON"),
            ("noscripts", #"{"allowedNetworks": ["127.0.0.1/32"]}"#, "'scripts' is missing"),
            ("nonetworks", #"{"scripts": [{"command": "/bin/true"}]}"#, "'allowedNetworks' is missing"),
            ("badcidr", #"{"scripts": [{"command": "/bin/true"}], "allowedNetworks": ["127.0.0.1/40"]}"#, "127.0.0.1/40"),
            ("wrongtype", #"{"scripts": "/bin/true", "allowedNetworks": []}"#, "scripts"),
        ]
        for (id, json, reason) in cases {
            try hookd.write(id, json)
            let response = try await hookd.post(id)
            #expect(response.status == 500, "\(id): \(response.body)")
            #expect(response.error.contains(reason), "\(id): \(response.error)")
        }
    }

    @Test func editsApplyWithoutRestart() async throws {
        let hookd = try await HookdProcess.start(["--echo"])
        defer { hookd.stop() }
        try hookd.write("edit", scripts: [["/usr/bin/printf", "first"]])
        let first = try await hookd.post("edit")
        #expect(first.results.first?["stdout"] as? String == "first")
        try hookd.write("edit", scripts: [["/usr/bin/printf", "second"], ["/bin/false"]])
        let second = try await hookd.post("edit")
        #expect(second.results.first?["stdout"] as? String == "second")
        #expect(second.statuses == [0, 1])
        try hookd.write("edit", scripts: [["/bin/true"]], networks: ["10.0.0.0/8"])
        let third = try await hookd.post("edit")
        #expect(third.status == 403)
    }

    @Test func timeoutStopsTheScriptsGroup() async throws {
        let hookd = try await HookdProcess.start(["--echo", "--timeout", "1"])
        defer { hookd.stop() }
        try hookd.write("slow", scripts: [["/bin/sleep", "30"], ["/bin/true"]])
        let response = try await hookd.post("slow")
        #expect(response.status == 200, "\(response.body)")
        #expect(response.statuses == [143, 0])
        #expect(response.results.first?["timed_out"] as? Bool == true)
    }

    @Test func oversizedBodyIs413() async throws {
        let hookd = try await HookdProcess.start()
        defer { hookd.stop() }
        try hookd.write("big", scripts: [["/usr/bin/touch", hookd.path("ran")]])
        let response = try await hookd.post("big", body: String(repeating: "x", count: (1 << 20) + 1))
        #expect(response.status == 413)
        #expect(!hookd.exists("ran"))
    }
}
