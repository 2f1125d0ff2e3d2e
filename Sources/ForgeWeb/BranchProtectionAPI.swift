import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird

/// Gitea's protected branch routes (admin): `branch_protections` and `branch_protections/{name}`.
extension ForgeAPI {
    func branchProtections(_ target: GiteaTarget, name: String?, request: Request) async throws -> Response {
        try target.requireAdmin()
        let id = target.repository.id
        let rules = try await store.branchProtections(repositoryID: id)
        func save(_ rule: BranchProtection) async throws {
            // The outcome as a value: a typed catch around an await crashes Swift 6.3's SIL passes.
            let saved: Result<Void, ForgeError>
            do { saved = .success(try await store.saveBranchProtection(repositoryID: id, rule)) } catch { saved = .failure(error) }
            if case .failure(let error) = saved {
                if error.code == .invalidArgument { throw APIError(status: .unprocessableContent, message: error.message) }
                throw error
            }
        }
        guard let name else {
            if request.method == .get {
                let page = try Pagination(target.query)
                return Self.list(page.slice(rules).map(GiteaBranchProtection.init), total: rules.count, page: page, request: request)
            }
            let fields = try await body(request, as: GiteaBranchProtectionRequest.self)
            guard let pattern = fields.ruleName.flatMap({ $0.isEmpty ? nil : $0 }) ?? fields.branchName.flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw APIError(status: .unprocessableContent, message: "'rule_name' is required")
            }
            guard !rules.contains(where: { $0.pattern == pattern }) else {
                throw APIError(status: .forbidden, message: "a rule '\(pattern)' exists; change it with PATCH")
            }
            let rule = fields.applied(to: BranchProtection(pattern: pattern))
            try await save(rule)
            return Self.json(.created, GiteaBranchProtection(rule))
        }
        guard let rule = rules.first(where: { $0.pattern == name }) else {
            throw APIError(status: .notFound, message: "no protected branch rule '\(name)'")
        }
        switch request.method {
        case .get:
            return Self.json(.ok, GiteaBranchProtection(rule))
        case .patch:
            let changed = try await body(request, as: GiteaBranchProtectionRequest.self).applied(to: rule)
            try await save(changed)
            return Self.json(.ok, GiteaBranchProtection(changed))
        default:
            try await store.deleteBranchProtection(repositoryID: id, pattern: name)
            return Response(status: .noContent)
        }
    }
}
