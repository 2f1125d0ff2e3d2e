import Foundation
import Hummingbird
import Logging
import Synchronization

/// A local server that answers GitHub's `POST /repos/{owner}/{repo}/issues/{number}/comments` as
/// GitHub does (201 with the comment), recording each request.
final class LocalGitHubAPI: Sendable {
    struct Comment: Sendable {
        let path: String
        let authorization: String?
        let accept: String?
        let body: String
    }

    final class Recorded: Sendable {
        let comments = Mutex<[Comment]>([])
    }

    let recorded = Recorded()
    /// The comments received so far.
    var comments: [Comment] { recorded.comments.withLock { $0 } }
    private let task = Mutex<Task<Void, any Error>?>(nil)
    let port: Int

    init() async throws {
        let recorded = self.recorded
        let router = Router()
        router.post("/repos/:owner/:repo/issues/:number/comments") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let number = context.parameters.get("number") ?? "0"
            let count = recorded.comments.withLock { list in
                list.append(Comment(path: request.uri.path, authorization: request.headers[.authorization],
                                    accept: request.headers[.accept], body: String(buffer: body)))
                return list.count
            }
            let json = #"{"id": \#(count), "html_url": "https://github.example/issues/\#(number)#issuecomment-\#(count)"}"#
            return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "local-github")
        logger.logLevel = .error
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) },
                                      logger: logger)
        let running = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            running.cancel()
            throw HamsterError("the local GitHub API did not start")
        }
        self.port = port
        task.withLock { $0 = running }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
