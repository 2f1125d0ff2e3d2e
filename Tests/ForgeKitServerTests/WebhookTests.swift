import ForgeKit
import ForgeKitServer
import Foundation
import Hummingbird
import Logging
import PipelineKit
import Synchronization
import Testing
import PlatformSupport

/// A receiver that answers 500 to its first `failures` deliveries, then 200, and keeps what it got.
final class Receiver: Sendable {
    let received = Mutex<[(headers: [String: String], body: [UInt8])]>([])
    let failures: Int

    init(failures: Int) { self.failures = failures }

    func run(_ body: (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let count = self.received.withLock { list in
                list.append((headers, bytes))
                return list.count
            }
            return Response(status: count <= self.failures ? .internalServerError : .ok)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            try await body(try #require(await iterator.next()))
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct WebhookTests {
    @Test func pushesAreDeliveredSignedAndRetried() async throws {
        let receiver = Receiver(failures: 1)
        try await receiver.run { receiverPort in
            try await GitForge.run { forge in
                let owner = try await forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
                let record = try await forge.repositories.create(try RepositoryPath("team/app"), kind: .git, owner: owner)
                let hook = try await forge.store.createWebhook(repositoryID: record.id, url: "http://127.0.0.1:\(receiverPort)/hook",
                                                               secret: "s3cret")
                var logger = Logger(label: "test.webhooks")
                logger.logLevel = .critical
                let dispatcher = WebhookDispatcher(
                    repositories: forge.repositories,
                    options: .init(baseURL: forge.base, firstRetry: .milliseconds(200), pollInterval: .milliseconds(50),
                                   outbound: try OutboundPolicy(allowing: ["127.0.0.1"])), logger: logger)
                let running = Task { await dispatcher.run() }
                defer { running.cancel() }
                try await Task.sleep(for: .milliseconds(100))

                let work = forge.folder + "/work"
                try await gitOK(["init", "-q", "-b", "main", work])
                try Data("one\n".utf8).write(to: URL(fileURLWithPath: work + "/a.txt"))
                try await gitOK(["add", "a.txt"], in: work)
                try await gitOK(["commit", "-q", "-m", "first"], in: work)
                try Data("two\n".utf8).write(to: URL(fileURLWithPath: work + "/b.txt"))
                try await gitOK(["add", "b.txt"], in: work)
                try await gitOK(["commit", "-q", "-m", "second\n\nwith a body"], in: work)
                try await gitOK(["push", "-q", forge.url("team/app", user: "owner", secret: "owner-password"), "main"], in: work)
                let head = try await gitOK(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)

                // The first attempt gets a 500; the retry is delivered.
                var deliveries: [WebhookDeliveryRecord] = []
                for _ in 0..<200 {
                    deliveries = try await forge.store.deliveries(webhookID: hook.id, limit: 10)
                    if deliveries.first?.state == .delivered { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let delivery = try #require(deliveries.first)
                #expect(deliveries.count == 1)
                #expect(delivery.state == .delivered && delivery.attempts == 2 && delivery.responseStatus == 200)
                let requests = receiver.received.withLock { $0 }
                #expect(requests.count == 2)
                #expect(requests[0].body == requests[1].body, "a retry sends the same body")
                #expect(requests[0].headers["x-github-delivery"] == requests[1].headers["x-github-delivery"])

                // What arrived is what GitHub would send: signed, and readable by PipelineKit's GitHub decoder.
                let last = try #require(requests.last)
                #expect(last.headers["x-github-event"] == "push")
                #expect(last.headers["x-hub-signature-256"] == WebhookSignature.sign(last.body, secret: "s3cret"))
                let headers = HTTPHeaderFields(last.headers.map { ($0.key, $0.value) })
                try WebhookVerifier(provider: .github, secret: "s3cret").verify(headers: headers, body: last.body)
                let decoded = try WebhookDecoder.decode(provider: .github, headers: headers, body: last.body)
                guard case .push(let push) = decoded.event else {
                    Issue.record("not a push: \(decoded.event)")
                    return
                }
                #expect(push.ref == "refs/heads/main" && push.branch == "main" && push.after == head)
                #expect(push.before == String(repeating: "0", count: 40))
                #expect(push.repository.fullName == "team/app")
                #expect(push.repository.cloneURL == forge.base + "/team/app.git")
                #expect(push.pusher.name == "owner")
                #expect(push.commits.map(\.message) == ["first", "second\n\nwith a body"])
                #expect(push.commits.map(\.added) == [["a.txt"], ["b.txt"]])
            }
        }
    }

    @Test func badWebhooks() async throws {
        try await GitForge.run { forge in
            let record = try await forge.repositories.create(try RepositoryPath("app"), kind: .git)
            for url in ["ftp://example.com/hook", "http://user:password@example.com/hook", "not a url", "http:///nohost",
                        "http://example.com/" + String(repeating: "a", count: 3000)] {
                await #expect(throws: ForgeError.self, "\(url.prefix(40))") {
                    try await forge.store.createWebhook(repositoryID: record.id, url: url, secret: nil)
                }
            }
            await #expect(throws: ForgeError.self) {
                try await forge.store.createWebhook(repositoryID: record.id, url: "https://example.com/hook", secret: "")
            }
            await #expect(throws: ForgeError.self) {
                try await forge.store.createWebhook(repositoryID: 9999, url: "https://example.com/hook", secret: nil)
            }

            // An unreachable receiver: attempts are logged and stop after the maximum.
            let hook = try await forge.store.createWebhook(repositoryID: record.id, url: "http://127.0.0.1:1/unreachable", secret: nil)
            var logger = Logger(label: "test.webhooks")
            logger.logLevel = .critical
            let dispatcher = WebhookDispatcher(repositories: forge.repositories,
                                               options: .init(baseURL: forge.base, maximumAttempts: 3, firstRetry: .zero, timeout: .seconds(1),
                                                              outbound: try OutboundPolicy(allowing: ["127.0.0.1"])), logger: logger)
            let update = ReferenceUpdate(name: "refs/heads/main", old: .zero, new: .zero)
            let push = StoredPush(id: 1, event: PushEvent(repository: record, pusher: nil, updates: [update], date: Date()))
            try await dispatcher.enqueue(push)
            try await dispatcher.enqueue(push)
            #expect(try await forge.store.deliveries(webhookID: hook.id, limit: 5).count == 1, "queueing a push again queues nothing new")
            for _ in 0..<5 { await dispatcher.deliverDue() }
            let delivery = try #require(try await forge.store.deliveries(webhookID: hook.id, limit: 5).first)
            #expect(delivery.state == .failed && delivery.attempts == 3)
            #expect(delivery.responseStatus == nil && delivery.lastError != nil)

            // By default an internal address is refused at once, and the delivery log says why.
            let metadataHook = try await forge.store.createWebhook(repositoryID: record.id, url: "http://169.254.169.254/latest/meta-data/", secret: nil)
            let strict = WebhookDispatcher(repositories: forge.repositories,
                                           options: .init(baseURL: forge.base, maximumAttempts: 3, firstRetry: .zero, timeout: .seconds(1)), logger: logger)
            try await strict.enqueue(StoredPush(id: 2, event: PushEvent(repository: record, pusher: nil, updates: [update], date: Date())))
            await strict.deliverDue()
            let refused = try #require(try await forge.store.deliveries(webhookID: metadataHook.id, limit: 5).first)
            #expect(refused.state == .failed && refused.attempts == 1, "a refusal is not retried")
            #expect(refused.lastError?.contains("link-local") == true, "\(refused.lastError ?? "")")
        }
    }
}
