import DeployKit
import DeployKitServer
import ForgeKit
import ForgeKitServer
import HTTPTypes
import PipelineKit
import PipelineKitServer
import Testing

/// Each kit's errors answer HTTP through one mapping (their `HTTPResponseError` conformances): the
/// caller's mistakes 4xx, the server's own failures 5xx — a store or I/O failure is never a 400 or 404.
@Suite struct ErrorStatusTests {
    @Test("a store or I/O failure is the server's (500), whichever kit it comes from")
    func serverFailures() {
        #expect(PipelineError(.store, "disk full", operation: "store run").status == .internalServerError)
        #expect(PipelineError(.io, "broken pipe", operation: "run").status == .internalServerError)
        #expect(DeployError(.store, "disk full", operation: "queue").status == .internalServerError)
        #expect(DeployError(.io, "broken pipe", operation: "queue").status == .internalServerError)
        #expect(ForgeError(.store, "disk full", operation: "create").status == .internalServerError)
        #expect(ForgeError(.io, "broken pipe", operation: "read").status == .internalServerError)
    }

    @Test("the caller's mistakes keep their 4xx, and cancellation or a timeout is 503")
    func callerMistakes() {
        #expect(PipelineError(.notFound, "no run 9", operation: "read run").status == .notFound)
        #expect(PipelineError(.invalidEvent, "bad body", operation: "receive").status == .badRequest)
        #expect(PipelineError(.unauthenticated, "bad signature", operation: "receive").status == .unauthorized)
        #expect(PipelineError(.tooLarge, "too big", operation: "receive").status == .contentTooLarge)
        #expect(DeployError(.notFound, "no deployment", operation: "read").status == .notFound)
        #expect(DeployError(.conflict, "taken", operation: "claim").status == .conflict)
        #expect(DeployError(.forbidden, "outside", operation: "hook").status == .forbidden)
        #expect(DeployError(.invalidRequest, "bad", operation: "queue").status == .badRequest)
        #expect(ForgeError(.notFound, "no repository", operation: "open").status == .notFound)
        #expect(ForgeError(.conflict, "taken", operation: "create").status == .conflict)
        #expect(PipelineError(.timeout, "slow", operation: "run").status == .serviceUnavailable)
        #expect(DeployError(.cancelled, "stopped", operation: "run").status == .serviceUnavailable)
    }

    @Test("codes are extensible: an unknown code answers 500, and the error keeps what was underneath")
    func extensibleCodes() {
        let underneath = ForgeError(.io, "the disk went away", operation: "write")
        let error = PipelineError(PipelineError.Code(rawValue: "a future code"), "new", operation: "x", underlying: underneath)
        #expect(error.status == .internalServerError)
        #expect((error.underlying as? ForgeError)?.message == "the disk went away")
        // Equality ignores what is underneath.
        #expect(error == PipelineError(PipelineError.Code(rawValue: "a future code"), "new", operation: "x"))
    }
}
