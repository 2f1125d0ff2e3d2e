/// Reads the members of one object of a ``JSONDocument`` by name, with the messages a webhook sender needs:
/// a required member that is absent is `pull_request.head.sha is missing`, one that is `null` is
/// `… is missing (null)`, and one of another type `number is not an integer`. Optional members that are
/// absent or `null` read as nil.
struct JSONObjectReader {
    let document: JSONDocument
    let node: Int

    /// The document's root, which must be an object.
    static func root(_ document: JSONDocument) throws(PipelineError) -> JSONObjectReader {
        guard document.nodes.first?.kind == .object else { throw WebhookDecoder.error(.invalidEvent, "the body is not a JSON object") }
        return JSONObjectReader(document: document, node: 0)
    }

    // MARK: Required members

    func string(_ key: StaticString) throws(PipelineError) -> String {
        try text(at: required(key, .string, "a string"))
    }

    func integer(_ key: StaticString) throws(PipelineError) -> Int {
        let index = try required(key, .number, "an integer")
        guard let value = document.integer(at: index) else { throw mismatch(key, "an integer") }
        return value
    }

    func object(_ key: StaticString) throws(PipelineError) -> JSONObjectReader {
        JSONObjectReader(document: document, node: try required(key, .object, "an object"))
    }

    // MARK: Optional members

    func optionalString(_ key: StaticString) throws(PipelineError) -> String? {
        guard let index = try optional(key, .string, "a string") else { return nil }
        return try text(at: index)
    }

    func optionalBool(_ key: StaticString) throws(PipelineError) -> Bool? {
        guard let index = document.member(key, of: node) else { return nil }
        switch document.nodes[index].kind {
        case .true: return true
        case .false: return false
        case .null: return nil
        default: throw mismatch(key, "a boolean")
        }
    }

    func optionalObject(_ key: StaticString) throws(PipelineError) -> JSONObjectReader? {
        guard let index = try optional(key, .object, "an object") else { return nil }
        return JSONObjectReader(document: document, node: index)
    }

    /// An array of objects.
    func optionalObjects(_ key: StaticString) throws(PipelineError) -> [JSONObjectReader]? {
        guard let index = try optional(key, .array, "an array") else { return nil }
        var result: [JSONObjectReader] = []
        for element in document.elements(of: index) {
            try expect(element, .object, "an object")
            result.append(JSONObjectReader(document: document, node: element))
        }
        return result
    }

    /// An array of strings.
    func optionalStrings(_ key: StaticString) throws(PipelineError) -> [String]? {
        guard let index = try optional(key, .array, "an array") else { return nil }
        var result: [String] = []
        for element in document.elements(of: index) {
            try expect(element, .string, "a string")
            result.append(try text(at: element))
        }
        return result
    }

    // MARK: Helpers

    private func required(_ key: StaticString, _ kind: JSONDocument.Kind, _ typeName: String) throws(PipelineError) -> Int {
        guard let index = document.member(key, of: node) else {
            throw WebhookDecoder.error(.invalidEvent, "\(path(key)) is missing")
        }
        try expect(index, kind, typeName)
        return index
    }

    private func optional(_ key: StaticString, _ kind: JSONDocument.Kind, _ typeName: String) throws(PipelineError) -> Int? {
        guard let index = document.member(key, of: node), document.nodes[index].kind != .null else { return nil }
        try expect(index, kind, typeName)
        return index
    }

    private func expect(_ index: Int, _ kind: JSONDocument.Kind, _ typeName: String) throws(PipelineError) {
        let actual = document.nodes[index].kind
        guard actual != kind else { return }
        let path = document.path(to: index)
        if actual == .null { throw WebhookDecoder.error(.invalidEvent, "\(path) is missing (null)") }
        throw WebhookDecoder.error(.invalidEvent, "\(path) is not \(typeName)")
    }

    private func text(at index: Int) throws(PipelineError) -> String {
        do {
            return try document.string(at: index)
        } catch {
            throw WebhookDecoder.error(.invalidEvent, "\(document.path(to: index)) is invalid (\(error.message))")
        }
    }

    private func mismatch(_ key: StaticString, _ typeName: String) -> PipelineError {
        WebhookDecoder.error(.invalidEvent, "\(path(key)) is not \(typeName)")
    }

    /// The path of member `key` of this object.
    private func path(_ key: StaticString) -> String {
        let base = document.path(to: node)
        return base.isEmpty ? key.description : "\(base).\(key)"
    }
}
