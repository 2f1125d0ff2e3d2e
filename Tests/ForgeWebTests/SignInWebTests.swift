import ForgeKit
import ForgeServices
import ForgeKitServer
import ForgeKitTesting
import ForgeWeb
import Foundation
import Hummingbird
import NIOHTTP1
import Testing

@Suite(.timeLimit(.minutes(3))) struct SignInWebTests {
    /// The sign-in form's token and its cookie.
    func loginForm(_ client: Client, next: String? = nil) async throws -> (token: String, page: Client.Answer) {
        let query = next.map { "?next=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        let page = try await client.send(.GET, "/login" + query)
        let cookie = try #require(page.headers["Set-Cookie"].first { $0.hasPrefix("forge_login=") }, "\(query): \(page.status) \(page.body)")
        return (String(cookie.dropFirst("forge_login=".count).prefix { $0 != ";" }), page)
    }

    @Test func signingInRedirectsOnlyToThisSite() async throws {
        try await RunningForge.run(localRunner: false) { forge in
            let client = Client(base: forge.base)
            _ = try await forge.forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            let hostile = ["/\t/evil.example/", "//evil.example/", "/\\evil.example/", "/\n/evil.example", "https://evil.example/",
                           "javascript:alert(1)", "/ /evil.example", "/\u{2028}/evil.example", ""]
            for next in hostile {
                // (The forge refuses a query with escapes that are not ASCII, so those go in the form only.)
                let ascii = next.unicodeScalars.allSatisfy(\.isASCII)
                let (token, page) = try await loginForm(client, next: ascii ? next : nil)
                #expect(page.body.contains("name=\"next\" value=\"/\""), "the form carries \(next.debugDescription) as /")
                let answer = try await client.send(.POST, "/login", form: ["user": "owner", "password": "owner-password", "_login": token, "next": next],
                                                   cookie: "forge_login=\(token)")
                #expect(answer.status == 303)
                #expect(answer.headers["Location"].first == "/", "\(next.debugDescription) leads home, not off-site")
            }
            let (token, _) = try await loginForm(client)
            let answer = try await client.send(.POST, "/login", form: ["user": "owner", "password": "owner-password", "_login": token,
                                                                        "next": "/owner/app/-/commits/main?page=2"],
                                               cookie: "forge_login=\(token)")
            #expect(answer.headers["Location"].first == "/owner/app/-/commits/main?page=2", "a path on this site is kept")
        }
    }

    @Test func failedSignInsAreThrottledOnEveryWayIn() async throws {
        let policy = SignInThrottle.Policy(freeFailuresPerAccount: 2, freeFailuresPerAddress: 100, firstDelay: .seconds(60))
        try await RunningForge.run(localRunner: false, signInThrottle: policy) { forge in
            let client = Client(base: forge.base)
            let owner = try await forge.forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            _ = try await forge.forge.repositories.create(try RepositoryPath("owner/app"), kind: .git, isPrivate: true, owner: owner)
            // Two free failures over HTTP basic, then one that starts the delay.
            for _ in 0..<3 {
                #expect(try await client.send(.GET, "/api/v1/user", user: "owner", password: "wrong-password").status == 401)
            }
            // Now even the right password waits: the API, git over HTTP and the sign-in form say 429 and when to retry.
            let api = try await client.send(.GET, "/api/v1/user", user: "owner", password: "owner-password")
            #expect(api.status == 429 && api.body.contains("too many failed sign-ins"))
            #expect(Int(api.headers["Retry-After"].first ?? "") ?? 0 > 0)
            let git = try await client.send(.GET, "/owner/app.git/info/refs?service=git-upload-pack", user: "owner", password: "owner-password")
            #expect(git.status == 429 && Int(git.headers["Retry-After"].first ?? "") ?? 0 > 0)
            let (token, _) = try await loginForm(client)
            let form = try await client.send(.POST, "/login", form: ["user": "owner", "password": "owner-password", "_login": token],
                                             cookie: "forge_login=\(token)")
            #expect(form.status == 429 && form.body.contains("Too many failed sign-ins"))
            #expect(!form.headers["Set-Cookie"].contains { $0.hasPrefix("forge_session=") })
            // A token still works: it is not a guessable password.
            let (apiToken, _) = try await forge.forge.accounts.createToken(userID: owner.id, name: "ci")
            var request = try await client.send(.GET, "/api/v1/user", user: "owner", password: apiToken)
            #expect(request.status == 200)
            // Another account is not held up.
            _ = try await forge.forge.accounts.createUser(NewUser(name: "other", password: "other-password"))
            request = try await client.send(.GET, "/api/v1/user", user: "other", password: "other-password")
            #expect(request.status == 200)
        }
    }

    @Test func scriptsOnlyFromTheForgeAndSecureCookiesOverHTTPS() async throws {
        #expect(ForgeWebService<ForgeRequestContext>.Options(publicURL: "https://forge.example").secureCookies)
        #expect(!ForgeWebService<ForgeRequestContext>.Options(publicURL: "http://127.0.0.1:3000").secureCookies)
        #expect(!ForgeWebService<ForgeRequestContext>.Options(publicURL: "https://forge.example", secureCookies: false).secureCookies)
        try await RunningForge.run(localRunner: false) { forge in
            let client = Client(base: forge.base)
            let page = try await client.send(.GET, "/login")
            let policy = try #require(page.headers["Content-Security-Policy"].first)
            let scripts = try #require(policy.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("script-src") })
            #expect(scripts == "script-src 'self'", "no inline scripts: \(policy)")
            let script = try await client.send(.GET, "/-/static/live-log.js")
            #expect(script.status == 200 && script.headers["Content-Type"].first?.hasPrefix("text/javascript") == true)
            #expect(script.body.contains("data-log"))
        }
    }
}
