import PipelineKit
import Testing

/// GitHub's documented test vector: this secret and body give this HMAC-SHA256.
private let secret = "It's a Secret to Everybody"
private let body = Array("Hello, World!".utf8)
private let signature = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

@Suite("Webhook authenticity")
struct WebhookVerifierTests {
    @Test("GitHub: a valid sha256= signature passes, in either hex case")
    func githubValid() throws {
        let verifier = try WebhookVerifier(provider: .github, secret: secret)
        #expect(verifier.isEnabled)
        try verifier.verify(headers: ["X-Hub-Signature-256": "sha256=\(signature)"], body: body)
        try verifier.verify(headers: ["x-hub-signature-256": "sha256=\(signature.uppercased())"], body: body)
    }

    @Test("GitHub: missing, wrong, wrongly prefixed or malformed signatures are refused", arguments: [
        HTTPHeaderFields(),
        ["X-Hub-Signature": "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"],
        ["X-Hub-Signature-256": signature],
        ["X-Hub-Signature-256": "sha1=\(signature)"],
        ["X-Hub-Signature-256": "sha256=\(String(signature.dropLast()))0"],
        ["X-Hub-Signature-256": "sha256=\(signature.dropLast(2))"],
        ["X-Hub-Signature-256": "sha256=zz\(signature.dropFirst(2))"],
        ["X-Hub-Signature-256": "sha256="],
    ] as [HTTPHeaderFields])
    func githubRefused(headers: HTTPHeaderFields) throws {
        let verifier = try WebhookVerifier(provider: .github, secret: secret)
        let error = pipelineError { try verifier.verify(headers: headers, body: body) }
        #expect(error?.code == .unauthenticated)
        #expect(error?.operation == "verify webhook")
    }

    @Test("GitHub: the message says what is wrong")
    func githubMessages() throws {
        let verifier = try WebhookVerifier(provider: .github, secret: secret)
        #expect(pipelineError { try verifier.verify(headers: [:], body: body) }?.message.contains("missing") == true)
        #expect(pipelineError { try verifier.verify(headers: ["X-Hub-Signature-256": "sha1=ab"], body: body) }?.message.contains("sha256=") == true)
    }

    @Test("GitHub: a signature for another body or secret is refused")
    func githubOtherBody() throws {
        let verifier = try WebhookVerifier(provider: .github, secret: secret)
        #expect(pipelineError { try verifier.verify(headers: ["X-Hub-Signature-256": "sha256=\(signature)"], body: body + [0x0A]) }?.code == .unauthenticated)
        let other = try WebhookVerifier(provider: .github, secret: secret + "!")
        #expect(pipelineError { try other.verify(headers: ["X-Hub-Signature-256": "sha256=\(signature)"], body: body) }?.code == .unauthenticated)
    }

    @Test("Gitea and Forgejo: bare hex signature")
    func gitea() throws {
        let verifier = try WebhookVerifier(provider: .gitea, secret: secret)
        try verifier.verify(headers: ["X-Gitea-Signature": signature], body: body)
        try verifier.verify(headers: ["X-Forgejo-Signature": signature], body: body)
        try verifier.verify(headers: ["X-Forgejo-Signature": signature, "X-Gitea-Signature": signature], body: body)
        for headers: HTTPHeaderFields in [
            [:], ["X-Gitea-Signature": "sha256=\(signature)"], ["X-Gitea-Signature": String(repeating: "0", count: 64)],
            ["X-Hub-Signature-256": "sha256=\(signature)"],
        ] {
            #expect(pipelineError { try verifier.verify(headers: headers, body: body) }?.code == .unauthenticated, "\(headers)")
        }
    }

    @Test("GitLab: X-Gitlab-Token must equal the secret")
    func gitlab() throws {
        let verifier = try WebhookVerifier(provider: .gitlab, secret: "s3cr3t-token")
        try verifier.verify(headers: ["X-Gitlab-Token": "s3cr3t-token"], body: body)
        for headers: HTTPHeaderFields in [[:], ["X-Gitlab-Token": "s3cr3t-toke"], ["X-Gitlab-Token": "s3cr3t-token "], ["X-Gitlab-Token": ""]] {
            #expect(pipelineError { try verifier.verify(headers: headers, body: body) }?.code == .unauthenticated, "\(headers)")
        }
        var twice: HTTPHeaderFields = ["X-Gitlab-Token": "s3cr3t-token"]
        twice.add("s3cr3t-token", for: "X-Gitlab-Token")
        #expect(pipelineError { try verifier.verify(headers: twice, body: body) }?.code == .unauthenticated)
    }

    @Test("verification is disabled only explicitly")
    func disabled() throws {
        for provider in WebhookProvider.allCases {
            let unverified = WebhookVerifier.unverified(provider)
            #expect(!unverified.isEnabled)
            try unverified.verify(headers: [:], body: body)
            let nilSecret = try WebhookVerifier(provider: provider, secret: nil)
            #expect(!nilSecret.isEnabled)
            try nilSecret.verify(headers: [:], body: body)
            #expect(pipelineError { _ = try WebhookVerifier(provider: provider, secret: "") }?.code == .invalidConfiguration)
        }
    }
}
