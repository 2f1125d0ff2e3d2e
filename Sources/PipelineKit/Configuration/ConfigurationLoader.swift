import Foundation
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// Reads configurations in the pipeline seed's JSON schema, or the same schema written in YAML, and
/// checks them before anything runs: a malformed file is rejected with its file, line and field; an
/// unknown task or source type at load time, not when an event arrives.
///
/// A file holds one configuration (a mapping) or a list of them. Keys: `name`, `source`
/// (`source_class`, `criteria`), `actions` (`name`, `task`, `kwargs`, `success_handler`,
/// `failure_handler`, and our optional `retries` and `timeout` in seconds), and our optional
/// `concurrency_group`. A criterion is a string (a glob when it holds `*`, `?` or `[`, else an exact
/// value), `{"regex": …}`, `{"glob": …}`, `{"exact": …}`, or a list of those (any may match).
public struct ConfigurationLoader: Sendable {
    /// The source types configurations may name; `nil` accepts any.
    public var sources: SourceRegistry?
    /// The task names actions may use; `nil` accepts any.
    public var tasks: Set<String>?
    /// Files larger than this are refused.
    public var maximumFileSize: Int

    /// Creates a loader that checks names against `sources` and `tasks`.
    public init(sources: SourceRegistry? = .standard, tasks: Set<String>?, maximumFileSize: Int = 1 << 20) {
        self.sources = sources
        self.tasks = tasks
        self.maximumFileSize = maximumFileSize
    }

    /// Parses and checks the configurations in `text`; `file` names it in errors.
    public func load(text: String, file: String) throws(PipelineError) -> [PipelineConfiguration] {
        guard text.utf8.count <= maximumFileSize else {
            throw PipelineError(.tooLarge, "the file is larger than \(maximumFileSize) bytes", operation: "load configuration", file: file)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        } catch {
            throw PipelineError(.invalidConfiguration, "cannot parse: \(error)", operation: "load configuration", file: file)
        }
        guard let root else {
            throw PipelineError(.invalidConfiguration, "the file is empty", operation: "load configuration", file: file, line: 1)
        }
        let reader = Reader(file: file, loader: self)
        var configurations: [PipelineConfiguration] = []
        switch root {
        case .sequence(let sequence):
            for (index, node) in sequence.enumerated() {
                configurations.append(try reader.configuration(node, path: "[\(index)]"))
            }
        default:
            configurations.append(try reader.configuration(root, path: ""))
        }
        var seen: [String: Int] = [:]
        for (index, configuration) in configurations.enumerated() {
            if let first = seen[configuration.name] {
                throw PipelineError(.invalidConfiguration, "the name '\(configuration.name)' is used twice (also by entry \(first))",
                                    operation: "load configuration", file: file, field: "[\(index)].name")
            }
            seen[configuration.name] = index
        }
        return configurations
    }

    /// Loads `path`: a folder (as ``load(directory:)``) or one file (JSON or YAML).
    ///
    /// - Throws: ``PipelineError`` `invalidConfiguration` when the path does not exist or is not UTF-8
    ///   text, or what loading the configurations throws.
    public func load(path: String) throws(PipelineError) -> [PipelineConfiguration] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError(.invalidConfiguration, "no such configuration file or directory: \(path)", operation: "load configurations")
        }
        if isDirectory.boolValue { return try load(directory: path) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError(.invalidConfiguration, "cannot read \(path) as UTF-8 text", operation: "load configurations")
        }
        return try load(text: text, file: path)
    }

    /// Loads every `*.json`, `*.yml` and `*.yaml` file in `directory` (not recursively), in name order.
    /// Two configurations with the same name, in any files, are an error.
    public func load(directory: String) throws(PipelineError) -> [PipelineConfiguration] {
        guard let handle = opendir(directory) else {
            throw PipelineError(.io, "cannot read the directory: \(String(cString: strerror(errno)))", operation: "load configuration", file: directory)
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix("."), name.hasSuffix(".json") || name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                names.append(name)
            }
        }
        closedir(handle)
        var all: [PipelineConfiguration] = []
        var origin: [String: String] = [:]
        for name in names.sorted() {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            for configuration in try load(text: try Self.readFile(path, limit: maximumFileSize), file: path) {
                if let other = origin[configuration.name] {
                    throw PipelineError(.invalidConfiguration, "the name '\(configuration.name)' is also used in \(other)",
                                        operation: "load configuration", file: path, field: "name")
                }
                origin[configuration.name] = path
                all.append(configuration)
            }
        }
        return all
    }

    static func readFile(_ path: String, limit: Int) throws(PipelineError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PipelineError(.io, "cannot open: \(String(cString: strerror(errno)))", operation: "load configuration", file: path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PipelineError(.io, "cannot read: \(String(cString: strerror(errno)))", operation: "load configuration", file: path)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > limit {
                throw PipelineError(.tooLarge, "the file is larger than \(limit) bytes", operation: "load configuration", file: path)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PipelineError(.invalidConfiguration, "the file is not UTF-8 text", operation: "load configuration", file: path)
        }
        return text
    }

    private static func syntaxError(_ error: YamlError, file: String) -> PipelineError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return PipelineError(.invalidConfiguration, "syntax error: \(problem)", operation: "load configuration",
                                 file: file, line: mark.line)
        default:
            return PipelineError(.invalidConfiguration, "syntax error: \(error)", operation: "load configuration", file: file)
        }
    }
}

/// Walks a composed document, turning nodes into the model with errors that name file, line and field.
private struct Reader {
    let file: String
    let loader: ConfigurationLoader

    func fail(_ message: String, _ node: Node?, _ field: String) -> PipelineError {
        PipelineError(.invalidConfiguration, message, operation: "load configuration", file: file,
                      line: node?.mark?.line, field: field.hasPrefix(".") ? String(field.dropFirst()) : field)
    }

    func mapping(_ node: Node, _ field: String, allowed: Set<String>) throws(PipelineError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail("expected a mapping (an object)", node, field)
        }
        var pairs: [(String, Node)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail("keys must be strings", key, field) }
            guard allowed.contains(scalar.string) else {
                throw fail("unknown key '\(scalar.string)' (expected one of \(allowed.sorted().joined(separator: ", ")))", key, field)
            }
            guard seen.insert(scalar.string).inserted else { throw fail("the key '\(scalar.string)' appears twice", key, field) }
            pairs.append((scalar.string, value))
        }
        return pairs
    }

    func string(_ node: Node, _ field: String) throws(PipelineError) -> String {
        guard case .scalar(let scalar) = node else { throw fail("expected a string", node, field) }
        if scalar.style == .plain, node.tag == Tag(.null) { throw fail("expected a string, found null", node, field) }
        return scalar.string
    }

    func nonEmptyString(_ node: Node, _ field: String) throws(PipelineError) -> String {
        let value = try string(node, field)
        guard value.contains(where: { !$0.isWhitespace }) else { throw fail("must not be empty", node, field) }
        return value
    }

    func required(_ pairs: [(String, Node)], _ key: String, in node: Node, _ field: String) throws(PipelineError) -> Node {
        guard let found = pairs.first(where: { $0.0 == key })?.1 else {
            throw fail("'\(key)' is missing", node, field)
        }
        return found
    }

    func configuration(_ node: Node, path: String) throws(PipelineError) -> PipelineConfiguration {
        let pairs = try mapping(node, path.isEmpty ? "configuration" : path, allowed: ["name", "source", "actions", "concurrency_group"])
        let name = try nonEmptyString(try required(pairs, "name", in: node, path), path + ".name")
        let sourceNode = try required(pairs, "source", in: node, path)
        let sourcePairs = try mapping(sourceNode, path + ".source", allowed: ["source_class", "criteria"])
        let classNode = try required(sourcePairs, "source_class", in: sourceNode, path + ".source")
        let sourceClass = try nonEmptyString(classNode, path + ".source.source_class")
        var attributes: Set<String>?
        if let registry = loader.sources {
            guard let type = registry.type(named: sourceClass) else {
                throw fail("unknown source type '\(sourceClass)' (known: \(registry.names.joined(separator: ", ")))", classNode, path + ".source.source_class")
            }
            attributes = type.attributes
        }
        var criteria: [String: Criterion] = [:]
        if let criteriaNode = sourcePairs.first(where: { $0.0 == "criteria" })?.1 {
            guard case .mapping(let mapping) = criteriaNode else {
                throw fail("expected a mapping of attribute to criterion", criteriaNode, path + ".source.criteria")
            }
            for (key, value) in mapping {
                let attribute = try nonEmptyString(key, path + ".source.criteria")
                let field = path + ".source.criteria." + attribute
                if let attributes, !attributes.contains(attribute) {
                    throw fail("'\(sourceClass)' sources have no attribute '\(attribute)' (they have \(attributes.sorted().joined(separator: ", ")))", key, field)
                }
                criteria[attribute] = try criterion(value, field)
            }
        }
        let actionsNode = try required(pairs, "actions", in: node, path)
        guard case .sequence(let sequence) = actionsNode, !sequence.isEmpty else {
            throw fail("expected a non-empty list of actions", actionsNode, path + ".actions")
        }
        var actions: [ActionSpec] = []
        for (index, actionNode) in sequence.enumerated() {
            actions.append(try action(actionNode, path + ".actions[\(index)]"))
        }
        var group: String?
        if let groupNode = pairs.first(where: { $0.0 == "concurrency_group" })?.1 {
            group = try nonEmptyString(groupNode, path + ".concurrency_group")
        }
        return PipelineConfiguration(name: name, sourceClass: sourceClass, criteria: criteria, actions: actions, concurrencyGroup: group)
    }

    func criterion(_ node: Node, _ field: String) throws(PipelineError) -> Criterion {
        do {
            return try Criterion(try pattern(node, field))
        } catch {
            throw fail(error.message, node, field)
        }
    }

    func pattern(_ node: Node, _ field: String) throws(PipelineError) -> Criterion.Pattern {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            return text.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) ? .glob(text) : .exact(text)
        case .sequence(let sequence):
            var patterns: [Criterion.Pattern] = []
            for (index, element) in sequence.enumerated() {
                patterns.append(try pattern(element, field + "[\(index)]"))
            }
            guard !patterns.isEmpty else { throw fail("an empty list never matches", node, field) }
            return .anyOf(patterns)
        case .mapping:
            let pairs = try mapping(node, field, allowed: ["exact", "glob", "regex"])
            guard pairs.count == 1, let (kind, value) = pairs.first else {
                throw fail("give exactly one of exact, glob or regex", node, field)
            }
            let text = try string(value, field + "." + kind)
            switch kind {
            case "glob": return .glob(text)
            case "regex": return .regex(text)
            default: return .exact(text)
            }
        case .alias:
            throw fail("aliases are not supported", node, field)
        }
    }

    func action(_ node: Node, _ field: String) throws(PipelineError) -> ActionSpec {
        let pairs = try mapping(node, field, allowed: ["name", "task", "kwargs", "success_handler", "failure_handler", "retries", "timeout"])
        let name = try nonEmptyString(try required(pairs, "name", in: node, field), field + ".name")
        let taskNode = try required(pairs, "task", in: node, field)
        let task = try nonEmptyString(taskNode, field + ".task")
        if let tasks = loader.tasks, !tasks.contains(task) {
            throw fail("unknown task '\(task)' (registered: \(tasks.sorted().joined(separator: ", ")))", taskNode, field + ".task")
        }
        var spec = ActionSpec(name: name, task: task)
        for (key, value) in pairs {
            switch key {
            case "kwargs":
                guard case .map(let map) = try self.value(value, field + ".kwargs") else {
                    throw fail("expected a mapping of keyword arguments", value, field + ".kwargs")
                }
                spec.kwargs = map
            case "success_handler":
                spec.successHandler = .init(try action(value, field + ".success_handler"))
            case "failure_handler":
                spec.failureHandler = .init(try action(value, field + ".failure_handler"))
            case "retries":
                guard let retries = value.int, (0...100).contains(retries) else {
                    throw fail("expected a whole number from 0 to 100", value, field + ".retries")
                }
                spec.retries = retries
            case "timeout":
                guard let seconds = value.float, seconds > 0, seconds.isFinite else {
                    throw fail("expected a positive number of seconds", value, field + ".timeout")
                }
                spec.timeout = seconds
            default:
                break
            }
        }
        return spec
    }

    func value(_ node: Node, _ field: String) throws(PipelineError) -> Value {
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are strings whatever they look like; plain ones resolve as YAML/JSON types.
            if scalar.style == .plain {
                if node.tag == Tag(.null) { return .null }
                if node.tag == Tag(.bool), let value = node.bool { return .bool(value) }
                if node.tag == Tag(.int), let value = node.int { return .int(value) }
                if node.tag == Tag(.float), let value = node.float { return .double(value) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            var values: [Value] = []
            for (index, element) in sequence.enumerated() { values.append(try value(element, field + "[\(index)]")) }
            return .list(values)
        case .mapping(let mapping):
            var values: [String: Value] = [:]
            for (key, element) in mapping {
                let name = try string(key, field)
                values[name] = try value(element, field + "." + name)
            }
            return .map(values)
        case .alias:
            throw fail("aliases are not supported", node, field)
        }
    }
}
