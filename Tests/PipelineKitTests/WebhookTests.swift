import Foundation
import PipelineKit
import Testing

@Suite("Webhook decoding")
struct WebhookTests {
    // MARK: GitHub

    @Test("GitHub push")
    func githubPush() throws {
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: WebhookFixture.bytes("github-push"))
        #expect(delivery.provider == .github)
        #expect(delivery.id == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(delivery.kind == "push")
        guard case .push(let push) = delivery.event else { Issue.record("not a push: \(delivery.event)"); return }
        #expect(push.provider == .github)
        #expect(push.repository == WebhookRepository(
            fullName: "octo-org/hello-forge",
            cloneURL: "https://github.com/octo-org/hello-forge.git",
            sshURL: "git@github.com:octo-org/hello-forge.git",
            htmlURL: "https://github.com/octo-org/hello-forge",
            defaultBranch: "main"
        ))
        #expect(push.ref == "refs/heads/main")
        #expect(push.branch == "main")
        #expect(push.before == "6113728f27ae82c7b1a177c8d03f9e96e0adf246")
        #expect(push.after == "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
        #expect(!push.created && !push.deleted)
        #expect(push.pusher == WebhookPusher(name: "mona", login: "mona", email: "mona@example.com"))
        #expect(push.headCommitAuthor == CommitAuthor(name: "Hubot", email: "hubot@example.com", username: "hubot"))
        #expect(push.commits.count == 2)
        let first = try #require(push.commits.first)
        #expect(first.id == "b5c3f1a2e0d4c6b8a9f7e5d3c1b0a2f4e6d8c0b1")
        #expect(first.message == "Add build script")
        #expect(first.author == CommitAuthor(name: "Mona Lisa", email: "mona@example.com", username: "mona"))
        #expect(first.timestamp == "2024-05-15T17:19:40+02:00")
        #expect(first.added == ["scripts/build.sh"] && first.modified == ["README.md"] && first.removed.isEmpty)
        #expect(push.commits[1].message == "Drop the old Makefile\n\nThe build script replaces it.")
        #expect(push.changedPaths == ["Makefile", "README.md", "scripts/build.sh"])
    }

    @Test("GitHub push of a tag becomes a tag event")
    func githubTag() throws {
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: WebhookFixture.bytes("github-push-tag"))
        guard case .tag(let tag) = delivery.event else { Issue.record("not a tag: \(delivery.event)"); return }
        #expect(tag.ref == "refs/tags/v1.2.0")
        #expect(tag.tag == "v1.2.0")
        #expect(tag.created && !tag.deleted)
        #expect(tag.before == "0000000000000000000000000000000000000000")
        #expect(tag.after == "4f2d1c0b9a8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c")
        #expect(tag.repository.fullName == "octo-org/hello-forge")
        #expect(tag.pusher.name == "mona")
        #expect(tag.headCommitAuthor?.username == "hubot")
        #expect(tag.commits.isEmpty && tag.changedPaths.isEmpty)
    }

    @Test("GitHub branch deletion")
    func githubDeletedBranch() throws {
        let body = try WebhookFixture.edited("github-push", [
            ("\"deleted\": false", "\"deleted\": true"),
            ("\"after\": \"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\"", "\"after\": \"0000000000000000000000000000000000000000\""),
        ])
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: body)
        guard case .push(let push) = delivery.event else { Issue.record("not a push"); return }
        #expect(push.deleted && !push.created)
        #expect(push.after == String(repeating: "0", count: 40))
    }

    @Test("GitHub pull request from a fork")
    func githubPullRequest() throws {
        let delivery = try WebhookDecoder.decode(
            provider: .github, headers: WebhookFixture.github("pull_request"), body: WebhookFixture.bytes("github-pull-request")
        )
        #expect(delivery.kind == "pull_request")
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a pull request"); return }
        #expect(request.provider == .github)
        #expect(request.action == .opened)
        #expect(request.number == 42)
        #expect(request.title == "Speed up the build")
        #expect(request.author == "contributor")
        #expect(request.state == "open")
        #expect(!request.merged)
        #expect(request.htmlURL == "https://github.com/octo-org/hello-forge/pull/42")
        #expect(request.head.branch == "faster-build")
        #expect(request.head.sha == "9c2f1e0d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d")
        #expect(request.head.repository?.fullName == "contributor/hello-forge")
        #expect(request.head.repository?.cloneURL == "https://github.com/contributor/hello-forge.git")
        #expect(request.base.branch == "main")
        #expect(request.base.sha == "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
        #expect(request.base.repository?.fullName == "octo-org/hello-forge")
        #expect(request.base.repository?.cloneURL == "https://github.com/octo-org/hello-forge.git")
        #expect(request.isFromFork)
    }

    @Test("GitHub pull request actions", arguments: [
        ("synchronize", PullRequestEvent.Action.synchronized),
        ("reopened", .reopened),
        ("closed", .closed),
        ("edited", .other("edited")),
        ("labeled", .other("labeled")),
        ("synchronized", .other("synchronized")),  // Gitea's word, not GitHub's
    ])
    func githubPullRequestActions(action: String, expected: PullRequestEvent.Action) throws {
        let body = try WebhookFixture.edited("github-pull-request", [("\"action\": \"opened\"", "\"action\": \"\(action)\"")])
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("pull_request"), body: body)
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a pull request"); return }
        #expect(request.action == expected)
    }

    @Test("GitHub merged pull request, and a head whose fork was deleted")
    func githubMergedWithoutHeadRepository() throws {
        let fixture = String(decoding: try WebhookFixture.bytes("github-pull-request"), as: UTF8.self)
        let headRepository = try #require(fixture.range(of: #""repo": \{[^}]*"full_name": "contributor/hello-forge"[^}]*\}"#, options: .regularExpression))
        var text = fixture
        text.replaceSubrange(headRepository, with: "\"repo\": null")
        text = text.replacingOccurrences(of: "\"merged\": false", with: "\"merged\": true")
            .replacingOccurrences(of: "\"action\": \"opened\"", with: "\"action\": \"closed\"")
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("pull_request"), body: Array(text.utf8))
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a pull request"); return }
        #expect(request.action == .closed && request.merged)
        #expect(request.head.repository == nil)
        #expect(request.head.sha == "9c2f1e0d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d")
        #expect(!request.isFromFork)
    }

    @Test("GitHub ping")
    func githubPing() throws {
        let delivery = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("ping"), body: WebhookFixture.bytes("github-ping"))
        #expect(delivery.event == .ping)
        #expect(delivery.kind == "ping")
    }

    @Test("GitHub form-encoded payload")
    func githubFormEncoded() throws {
        let json = try WebhookFixture.bytes("github-push")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let escaped = try #require(String(decoding: json, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: allowed))
        var headers = WebhookFixture.github("push")
        headers.set("application/x-www-form-urlencoded; charset=utf-8", for: "content-type")
        let form = Array("other=1&payload=\(escaped)".utf8)
        let fromForm = try WebhookDecoder.decode(provider: .github, headers: headers, body: form)
        let fromJSON = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: json)
        #expect(fromForm == fromJSON)

        // `+` is a space in forms, `%XX` a byte.
        var ping = WebhookFixture.github("ping")
        ping.set("application/x-www-form-urlencoded", for: "Content-Type")
        let spaced = try WebhookDecoder.decode(provider: .github, headers: ping, body: Array("payload=%7B%22zen%22:+%22hi%22%7D".utf8))
        #expect(spaced.event == .ping)
    }

    // MARK: GitLab

    @Test("GitLab push")
    func gitlabPush() throws {
        let delivery = try WebhookDecoder.decode(provider: .gitlab, headers: WebhookFixture.gitlab("Push Hook"), body: WebhookFixture.bytes("gitlab-push"))
        #expect(delivery.id == "9f3d8b0a-2c4e-4f61-a7b5-0e1d2c3b4a59")
        #expect(delivery.kind == "Push Hook")
        guard case .push(let push) = delivery.event else { Issue.record("not a push"); return }
        #expect(push.provider == .gitlab)
        #expect(push.repository == WebhookRepository(
            fullName: "platform/infra/diaspora",
            cloneURL: "https://gitlab.example.com/platform/infra/diaspora.git",
            sshURL: "git@gitlab.example.com:platform/infra/diaspora.git",
            htmlURL: "https://gitlab.example.com/platform/infra/diaspora",
            defaultBranch: "main"
        ))
        #expect(push.ref == "refs/heads/develop" && push.branch == "develop")
        #expect(push.before == "95790bf891e76fee5e1747ab589903a6a1f80f22")
        #expect(push.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
        #expect(!push.created && !push.deleted)
        #expect(push.pusher == WebhookPusher(name: "Jordan Smith", login: "jsmith", email: "jsmith@example.com"))
        #expect(push.headCommitAuthor == CommitAuthor(name: "Jordan Smith", email: "jsmith@example.com"))
        #expect(push.commits.map(\.id) == ["b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"])
        #expect(push.commits[0].message == "Update translation to fr\n")
        #expect(push.commits[0].timestamp == "2024-02-01T14:51:01+01:00")
        #expect(push.commits[0].author == CommitAuthor(name: "Alex Doe", email: "alex@example.com"))
        #expect(push.changedPaths == ["README.md", "docs/old.md", "locale/fr.yml", "locale/index.yml"])
    }

    @Test("GitLab tag push")
    func gitlabTagPush() throws {
        let delivery = try WebhookDecoder.decode(provider: .gitlab, headers: WebhookFixture.gitlab("Tag Push Hook"), body: WebhookFixture.bytes("gitlab-tag-push"))
        guard case .tag(let tag) = delivery.event else { Issue.record("not a tag"); return }
        #expect(tag.tag == "v1.0.0" && tag.ref == "refs/tags/v1.0.0")
        #expect(tag.created && !tag.deleted)
        #expect(tag.after == "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7")
        #expect(tag.repository.fullName == "jsmith/example")
        #expect(tag.pusher == WebhookPusher(name: "Administrator", login: "root", email: "admin@example.com"))
        #expect(tag.headCommitAuthor == nil)
    }

    @Test("GitLab object_kind must agree with X-Gitlab-Event")
    func gitlabKindMismatch() throws {
        let error = pipelineError {
            _ = try WebhookDecoder.decode(provider: .gitlab, headers: WebhookFixture.gitlab("Push Hook"), body: WebhookFixture.bytes("gitlab-tag-push"))
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("object_kind") == true)
    }

    @Test("GitLab merge request opened from a fork")
    func gitlabMergeRequest() throws {
        let delivery = try WebhookDecoder.decode(
            provider: .gitlab, headers: WebhookFixture.gitlab("Merge Request Hook"), body: WebhookFixture.bytes("gitlab-merge-request")
        )
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a merge request"); return }
        #expect(request.provider == .gitlab)
        #expect(request.action == .opened)
        #expect(request.number == 7)
        #expect(request.title == "MS-Viewport")
        #expect(request.author == "slee")
        #expect(request.state == "opened" && !request.merged)
        #expect(request.htmlURL == "https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/7")
        #expect(request.head.branch == "ms-viewport")
        #expect(request.head.sha == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
        #expect(request.head.repository?.fullName == "slee/gitlab-test")
        #expect(request.head.repository?.cloneURL == "https://gitlab.example.com/slee/gitlab-test.git")
        #expect(request.base.branch == "master")
        #expect(request.base.sha == nil)
        #expect(request.base.repository?.fullName == "gitlabhq/gitlab-test")
        #expect(request.isFromFork)
    }

    @Test("GitLab merge request actions", arguments: [
        ([("\"action\": \"open\"", "\"action\": \"update\", \"oldrev\": \"95790bf891e76fee5e1747ab589903a6a1f80f22\"")], PullRequestEvent.Action.synchronized, false),
        ([("\"action\": \"open\"", "\"action\": \"update\"")], .other("update"), false),
        ([("\"action\": \"open\"", "\"action\": \"reopen\"")], .reopened, false),
        ([("\"action\": \"open\"", "\"action\": \"close\""), ("\"state\": \"opened\"", "\"state\": \"closed\"")], .closed, false),
        ([("\"action\": \"open\"", "\"action\": \"merge\""), ("\"state\": \"opened\"", "\"state\": \"merged\"")], .closed, true),
        ([("\"action\": \"open\"", "\"action\": \"approved\"")], .other("approved"), false),
    ])
    func gitlabMergeRequestActions(edits: [(String, String)], expected: PullRequestEvent.Action, merged: Bool) throws {
        let body = try WebhookFixture.edited("gitlab-merge-request", edits)
        let delivery = try WebhookDecoder.decode(provider: .gitlab, headers: WebhookFixture.gitlab("Merge Request Hook"), body: body)
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a merge request"); return }
        #expect(request.action == expected)
        #expect(request.merged == merged)
    }

    @Test("GitLab without X-Gitlab-Event-UUID: the delivery id is the body's SHA-256")
    func gitlabDeliveryFallback() throws {
        let body = Array(#"{"zen":"x"}"#.utf8)
        let delivery = try WebhookDecoder.decode(provider: .gitlab, headers: WebhookFixture.gitlab("Note Hook", uuid: nil), body: body)
        #expect(delivery.id == "74696fc80f840a5b07a7ad8b6e080b13be966585ea21257b38c21814c32c2ebf")
    }

    // MARK: Gitea and Forgejo

    @Test("Gitea push")
    func giteaPush() throws {
        let delivery = try WebhookDecoder.decode(provider: .gitea, headers: WebhookFixture.gitea("push"), body: WebhookFixture.bytes("gitea-push"))
        #expect(delivery.id == "f6266f16-1bf3-46a5-9ea4-602e06ead473")
        #expect(delivery.kind == "push")
        guard case .push(let push) = delivery.event else { Issue.record("not a push"); return }
        #expect(push.provider == .gitea)
        #expect(push.repository == WebhookRepository(
            fullName: "gitea/webhooks",
            cloneURL: "https://gitea.example.com/gitea/webhooks.git",
            sshURL: "ssh://gitea@gitea.example.com:2222/gitea/webhooks.git",
            htmlURL: "https://gitea.example.com/gitea/webhooks",
            defaultBranch: "main"
        ))
        #expect(push.ref == "refs/heads/develop" && push.branch == "develop")
        #expect(push.before == "28e1879d029cb852e4844d9c718537df08844e03")
        #expect(push.after == "bffeb74224043ba2feb48d137756c8a9331c449a")
        #expect(!push.created && !push.deleted)
        #expect(push.pusher == WebhookPusher(name: "Gitea", login: "gitea", email: "someone@gitea.example.com"))
        #expect(push.headCommitAuthor == CommitAuthor(name: "Gitea", email: "someone@gitea.example.com", username: "gitea"))
        #expect(push.commits.count == 1)
        #expect(push.commits.first?.message == "Webhooks Yay!\n")
        #expect(push.changedPaths == ["go.mod", "hooks/receive.go"])
    }

    @Test("Gitea tag push and branch creation (flags derived from zero ids)")
    func giteaTagAndCreation() throws {
        let tagBody = try WebhookFixture.edited("gitea-push", [
            ("\"ref\": \"refs/heads/develop\"", "\"ref\": \"refs/tags/v2.0\""),
            ("\"before\": \"28e1879d029cb852e4844d9c718537df08844e03\"", "\"before\": \"0000000000000000000000000000000000000000\""),
        ])
        let tag = try WebhookDecoder.decode(provider: .gitea, headers: WebhookFixture.gitea("push"), body: tagBody)
        guard case .tag(let event) = tag.event else { Issue.record("not a tag"); return }
        #expect(event.tag == "v2.0" && event.created && !event.deleted)

        let deleteBody = try WebhookFixture.edited("gitea-push", [
            ("\"after\": \"bffeb74224043ba2feb48d137756c8a9331c449a\"", "\"after\": \"0000000000000000000000000000000000000000\""),
        ])
        let deletion = try WebhookDecoder.decode(provider: .gitea, headers: WebhookFixture.gitea("push"), body: deleteBody)
        guard case .push(let push) = deletion.event else { Issue.record("not a push"); return }
        #expect(push.deleted && !push.created)
    }

    @Test("Gitea pull request")
    func giteaPullRequest() throws {
        let delivery = try WebhookDecoder.decode(
            provider: .gitea, headers: WebhookFixture.gitea("pull_request"), body: WebhookFixture.bytes("gitea-pull-request")
        )
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a pull request"); return }
        #expect(request.provider == .gitea)
        #expect(request.action == .synchronized)
        #expect(request.number == 3)
        #expect(request.title == "Retry failed deliveries")
        #expect(request.author == "ana")
        #expect(request.state == "open" && !request.merged)
        #expect(request.htmlURL == "https://gitea.example.com/gitea/webhooks/pulls/3")
        #expect(request.head == PullRequestEvent.Side(
            branch: "retry", sha: "7a3c9e1f5b2d8a4c6e0f9b1d3a5c7e9f1b3d5a7c",
            repository: WebhookRepository(
                fullName: "gitea/webhooks", cloneURL: "https://gitea.example.com/gitea/webhooks.git",
                sshURL: "ssh://gitea@gitea.example.com:2222/gitea/webhooks.git",
                htmlURL: "https://gitea.example.com/gitea/webhooks", defaultBranch: "main"
            )
        ))
        #expect(request.base.branch == "main" && request.base.sha == "bffeb74224043ba2feb48d137756c8a9331c449a")
        #expect(!request.isFromFork)
    }

    @Test("Gitea pull request actions", arguments: [
        ("opened", PullRequestEvent.Action.opened), ("reopened", .reopened), ("closed", .closed),
        ("label_updated", .other("label_updated")), ("edited", .other("edited")),
    ])
    func giteaPullRequestActions(action: String, expected: PullRequestEvent.Action) throws {
        let body = try WebhookFixture.edited("gitea-pull-request", [("\"action\": \"synchronized\"", "\"action\": \"\(action)\"")])
        let delivery = try WebhookDecoder.decode(provider: .gitea, headers: WebhookFixture.gitea("pull_request"), body: body)
        guard case .pullRequest(let request) = delivery.event else { Issue.record("not a pull request"); return }
        #expect(request.action == expected)
    }

    @Test("Forgejo headers")
    func forgejoHeaders() throws {
        let headers: HTTPHeaderFields = ["x-forgejo-event": "push", "x-forgejo-delivery": "0b8e5f6c-forgejo"]
        let delivery = try WebhookDecoder.decode(provider: .gitea, headers: headers, body: WebhookFixture.bytes("gitea-push"))
        #expect(delivery.id == "0b8e5f6c-forgejo")
        #expect(delivery.kind == "push")
        guard case .push = delivery.event else { Issue.record("not a push"); return }
    }

    // MARK: Failures and edges

    @Test("unsupported event kinds are reported, not parsed", arguments: [
        (WebhookProvider.github, "issues"), (.gitlab, "Note Hook"), (.gitea, "create"), (.github, "workflow_run"),
    ])
    func unsupported(provider: WebhookProvider, kind: String) throws {
        let headers: HTTPHeaderFields =
            switch provider {
            case .github: WebhookFixture.github(kind)
            case .gitlab: WebhookFixture.gitlab(kind)
            case .gitea: WebhookFixture.gitea(kind)
            }
        let delivery = try WebhookDecoder.decode(provider: provider, headers: headers, body: Array("not even json".utf8))
        #expect(delivery.event == .unsupported(kind: kind))
        #expect(delivery.kind == kind)
    }

    @Test("an overlong delivery id is an invalid event")
    func overlongDeliveryID() throws {
        let id = String(repeating: "a", count: WebhookDecoder.maximumDeliveryIDLength + 1)
        let error = pipelineError {
            _ = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("ping", delivery: id), body: WebhookFixture.bytes("github-ping"))
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("X-GitHub-Delivery") == true)
    }

    @Test("a missing event header is an invalid event")
    func missingEventHeader() {
        let error = pipelineError {
            _ = try WebhookDecoder.decode(provider: .github, headers: ["X-GitHub-Delivery": "1"], body: Array("{}".utf8))
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("X-GitHub-Event") == true)
    }

    @Test("a body that is not JSON is an invalid event", arguments: ["{\"ref\": ", "<html>", "", "[1, 2]"])
    func malformedJSON(text: String) {
        let error = pipelineError {
            _ = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: Array(text.utf8))
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.operation == "decode webhook")
        #expect(error?.message.contains("body") == true)
    }

    @Test("a missing required field is named by its path", arguments: [
        ("github-pull-request", WebhookProvider.github, "pull_request", "\"sha\": \"9c2f1e0d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d\",", "", "pull_request.head.sha is missing"),
        ("github-push", .github, "push", "\"ref\": \"refs/heads/main\",", "", "ref is missing"),
        ("github-push", .github, "push", "\"message\": \"Add build script\",", "", "commits[0].message is missing"),
        ("github-push", .github, "push", "\"clone_url\": \"https://github.com/octo-org/hello-forge.git\",", "", "repository.clone_url is missing"),
        ("github-push", .github, "push", "\"pusher\": { \"name\": \"mona\", ", "\"pusher\": { ", "pusher.name is missing"),
        ("gitlab-merge-request", .gitlab, "Merge Request Hook", "\"iid\": 7,", "", "object_attributes.iid is missing"),
        ("gitlab-push", .gitlab, "Push Hook", "\"path_with_namespace\": \"platform/infra/diaspora\",", "", "project.path_with_namespace is missing"),
        ("gitea-push", .gitea, "push", "\"pusher\": { \"id\": 1, \"login\": \"gitea\",", "\"pusher\": { \"id\": 1,", "pusher.login is missing"),
        ("gitea-pull-request", .gitea, "pull_request", "\"title\": \"Retry failed deliveries\",", "", "pull_request.title is missing"),
    ])
    func missingField(fixture: String, provider: WebhookProvider, kind: String, old: String, new: String, message: String) throws {
        var edits = [(old, new)]
        if fixture == "gitea-push" {  // Gitea's pusher also carries the login as `username`.
            edits.append(("\"avatar_url\": \"\", \"username\": \"gitea\" },\n  \"sender\"", "\"avatar_url\": \"\" },\n  \"sender\""))
        }
        let body = try WebhookFixture.edited(fixture, edits)
        let headers: HTTPHeaderFields =
            switch provider {
            case .github: WebhookFixture.github(kind)
            case .gitlab: WebhookFixture.gitlab(kind)
            case .gitea: WebhookFixture.gitea(kind)
            }
        let error = pipelineError { _ = try WebhookDecoder.decode(provider: provider, headers: headers, body: body) }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message == message)
    }

    @Test("a field of the wrong type is named by its path")
    func wrongType() throws {
        let body = try WebhookFixture.edited("github-pull-request", [("\"number\": 42,\n  \"pull_request\"", "\"number\": \"42\",\n  \"pull_request\"")])
        let error = pipelineError { _ = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("pull_request"), body: body) }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message == "number is not an integer")
    }

    @Test("a body over the limit is too large")
    func oversized() throws {
        let body = try WebhookFixture.bytes("github-push")
        let error = pipelineError {
            _ = try WebhookDecoder.decode(provider: .github, headers: WebhookFixture.github("push"), body: body, maximumBodySize: body.count - 1)
        }
        #expect(error?.code == .tooLarge)
        _ = try WebhookDecoder(maximumBodySize: body.count).decode(provider: .github, headers: WebhookFixture.github("push"), body: body)
        #expect(WebhookDecoder().maximumBodySize == 25 * 1024 * 1024)
    }

    @Test("a form body without payload, or with a bad escape, is an invalid event")
    func badForms() {
        var headers = WebhookFixture.github("push")
        headers.set("application/x-www-form-urlencoded", for: "Content-Type")
        for body in ["other=1", "payload=%7", "payload=%zz"] {
            let error = pipelineError { _ = try WebhookDecoder.decode(provider: .github, headers: headers, body: Array(body.utf8)) }
            #expect(error?.code == .invalidEvent, "\(body)")
        }
    }

    @Test("header names are case-insensitive")
    func headerCase() {
        var headers: HTTPHeaderFields = ["x-github-event": "push"]
        #expect(headers["X-GitHub-Event"] == "push")
        #expect(headers["X-GITHUB-EVENT"] == "push")
        headers.add("second", for: "X-GitHub-Event")
        #expect(headers["x-github-event"] == "push, second")
        headers.set(nil, for: "X-Github-Event")
        #expect(headers["x-github-event"] == nil)
    }

    @Test("deliveries round-trip through Codable")
    func codable() throws {
        let delivery = try WebhookDecoder.decode(
            provider: .gitlab, headers: WebhookFixture.gitlab("Merge Request Hook"),
            body: WebhookFixture.edited("gitlab-merge-request", [("\"action\": \"open\"", "\"action\": \"approved\"")])
        )
        let data = try JSONEncoder().encode(delivery)
        #expect(try JSONDecoder().decode(WebhookDelivery.self, from: data) == delivery)
        #expect(String(decoding: try JSONEncoder().encode(PullRequestEvent.Action.synchronized), as: UTF8.self) == "\"synchronized\"")
    }
}
