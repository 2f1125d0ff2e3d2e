/// Where a tar or zip writer is in its life: open for entries, finished, or failed by an earlier write.
enum ArchiveWriterState {
    case open
    case finished
    case failed

    /// Throws a misuse error once the archive is finished or a write has failed.
    func checkOpen(format: String, operation: String) throws(ForgeError) {
        switch self {
        case .open:
            return
        case .finished:
            throw ForgeError(.misuse, "the \(format) archive is already finished", operation: operation)
        case .failed:
            throw ForgeError(.misuse, "an earlier write to the \(format) archive failed", operation: operation)
        }
    }
}
