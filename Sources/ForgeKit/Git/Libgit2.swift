import CGit2

/// Process-wide libgit2 state and the translation of its failures into ``ForgeError``.
enum Libgit2 {
    /// `git_libgit2_init` and the global options, done once per process on first use.
    private static let runtime: Bool = {
        guard git_libgit2_init() >= 0 else { return false }
        // git does not re-hash objects it reads; neither do we (a damaged object still fails to inflate).
        _ = forge_git_opts_int(Int32(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION.rawValue), 0)
        // Map packs as git does on 64-bit systems (1 GiB windows): walking a long history through small
        // windows unmaps and maps them again and again (measured 15% slower on git.git). Mapped pack
        // pages are page cache, which the kernel reclaims; the process's own memory stays flat.
        _ = forge_git_opts_size(Int32(GIT_OPT_SET_MWINDOW_SIZE.rawValue), 1 << 30)
        _ = forge_git_opts_size(Int32(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT.rawValue), 8 << 30)
        // libgit2's own object cache keeps its default (trees and commits under 4 KiB): raising it for
        // trees kept every tree of a long walk alive (twice the memory, 2.6× the page faults of git's
        // `log`). ObjectStore caches recent parsed trees itself, and archives decide attributes without
        // libgit2's per-path lookups, which had re-read large trees.
        return true
    }()

    /// Initialises libgit2 if needed; throws if it cannot be.
    static func ensureInitialized(operation: String) throws(ForgeError) {
        guard runtime else {
            throw ForgeError(.git, "libgit2 could not be initialised", operation: operation)
        }
    }

    /// Throws a ``ForgeError`` for a negative libgit2 return code, reading `git_error_last` at once.
    @inline(__always)
    static func check(_ result: Int32, _ operation: @autoclosure () -> String, path: String? = nil) throws(ForgeError) {
        if result < 0 {
            throw error(result, operation: operation(), path: path)
        }
    }

    /// Builds the error for a failed libgit2 call. Must run on the thread of the failing call, before
    /// any other libgit2 call, because `git_error_last` is thread-local and overwritten by the next failure.
    static func error(_ result: Int32, operation: String, path: String?, message fallback: String? = nil) -> ForgeError {
        var errorClass: Int32 = 0
        var message = fallback ?? "libgit2 error \(result)"
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message {
                let decoded = String(cString: text)
                if !decoded.isEmpty { message = decoded }
            }
        }
        let detail = ForgeError.Libgit2Detail(errorClass: errorClass, errorCode: result)
        return ForgeError(code(for: result, errorClass: errorClass), message, operation: operation, path: path, libgit2: detail)
    }

    static func code(for result: Int32, errorClass: Int32) -> ForgeError.Code {
        switch result {
        case GIT_ENOTFOUND.rawValue, GIT_EUNBORNBRANCH.rawValue: return .notFound
        case GIT_EAMBIGUOUS.rawValue: return .ambiguous
        case GIT_EINVALIDSPEC.rawValue, GIT_EINVALID.rawValue: return .invalidArgument
        case GIT_EAUTH.rawValue, GIT_ECERTIFICATE.rawValue: return .authentication
        case GIT_EUSER.rawValue: return .cancelled
        case GIT_ECONFLICT.rawValue, GIT_EMERGECONFLICT.rawValue, GIT_ELOCKED.rawValue,
             GIT_EMODIFIED.rawValue, GIT_ENONFASTFORWARD.rawValue, GIT_EEXISTS.rawValue:
            return .conflict
        default: break
        }
        switch UInt32(bitPattern: errorClass) {
        case GIT_ERROR_ZLIB.rawValue: return .corrupt
        case GIT_ERROR_OS.rawValue, GIT_ERROR_FILESYSTEM.rawValue: return .io
        case GIT_ERROR_NET.rawValue, GIT_ERROR_HTTP.rawValue, GIT_ERROR_SSL.rawValue, GIT_ERROR_SSH.rawValue:
            return .network
        case GIT_ERROR_OBJECT.rawValue, GIT_ERROR_ODB.rawValue:
            return .corrupt
        default: return .git
        }
    }
}
