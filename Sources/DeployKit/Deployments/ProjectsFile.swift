import Foundation
import PipelineKit
import Yams

/// Reads projects from YAML (or JSON, which is YAML):
///
/// ```yaml
/// projects:
///   - name: web
///     repository: https://git.example/web.git
///     branches:
///       - name: main
///         mode: auto            # or manual (the default)
///         environment: prod
///         script: |
///           bundle exec cap production deploy
///     environments:
///       - name: prod
///         variables: {RAILS_ENV: production}
///         secrets: {DEPLOY_KEY: "…"}          # masked in logs
///         releases: {path: /srv/web, keep: 5}  # optional: release directories and `current`
/// ```
///
/// Every project is checked with ``ProjectSettings/validate()``; errors name the file and the field.
public enum ProjectsFile {
    private struct File: Decodable {
        var projects: [Project]
    }
    private struct Project: Decodable {
        var name: String
        var repository: String
        var branches: [Branch]?
        var environments: [Environment]?
    }
    private struct Branch: Decodable {
        var name: String
        var mode: DeploymentMode?
        var environment: String
        var script: String
    }
    private struct Environment: Decodable {
        var name: String
        var variables: [String: String]?
        var secrets: [String: String]?
        var releases: Releases?
        var network: Sandbox.Network?
    }
    private struct Releases: Decodable {
        var path: String
        var keep: Int?
    }

    /// Parses `text`; `name` is used in errors.
    public static func parse(_ text: String, name: String = "projects file") throws(DeployError) -> [ProjectSettings] {
        let operation = "read \(name)"
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch let error as DecodingError {
            throw DeployError(.invalidConfiguration, describe(error), operation: operation)
        } catch {
            throw DeployError(.invalidConfiguration, "\(error)", operation: operation)
        }
        var projects: [ProjectSettings] = []
        var names = Set<String>()
        for project in file.projects {
            let settings = ProjectSettings(
                name: project.name, repositoryURL: project.repository,
                branches: (project.branches ?? []).map { BranchSettings(name: $0.name, mode: $0.mode ?? .manual, script: $0.script, environment: $0.environment) },
                environments: (project.environments ?? []).map {
                    EnvironmentSettings(name: $0.name, variables: $0.variables ?? [:], secrets: $0.secrets ?? [:],
                                        releases: $0.releases.map { ReleaseSettings(path: $0.path, keep: $0.keep ?? 5) },
                                        network: $0.network ?? .host)
                })
            do {
                try settings.validate()
            } catch {
                throw DeployError(.invalidConfiguration, error.message, operation: operation)
            }
            guard names.insert(settings.name).inserted else {
                throw DeployError(.invalidConfiguration, "project '\(settings.name)' is defined twice", operation: operation)
            }
            projects.append(settings)
        }
        return projects
    }

    /// Reads and parses the file at `path`.
    public static func load(_ path: String) throws(DeployError) -> [ProjectSettings] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DeployError(.invalidConfiguration, "cannot read \(path): \(error.localizedDescription)", operation: "read projects file")
        }
        return try parse(text, name: path)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "the top level" : text)
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = context.codingPath.isEmpty ? "the top level" : path(context.codingPath)
            return "\(key.stringValue) is missing in \(at)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
