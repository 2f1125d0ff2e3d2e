import Stencil

/// Jinja 2 syntax that Stencil does not parse, rewritten into Stencil's, and Jinja's filters where
/// Stencil's differ.
///
/// Only the inside of `{{ }}` and `{% %}` changes: `|name(a, b)` becomes `|name:a,b`, the words `True`,
/// `False` and `None` become `true`, `false` and `nil`, and spaces around `|` go (Stencil splits `{% %}`
/// tags on spaces). `indent(width, first, blank)`, with positional or keyword arguments, becomes
/// `indent:width," ",first,blank` for ``indentFilter(value:arguments:)``. Text outside tags, string
/// literals and comments are left as they are.
enum JinjaTranslation {
    /// A filter call that cannot be translated.
    struct Failure: Error {
        let reason: String
    }

    /// `template` with Jinja's filter calls and Python literals in Stencil's syntax.
    static func translate(_ template: String) throws(Failure) -> String {
        // Fast path: without a call or a Python literal there is nothing to change.
        guard template.contains("(") || template.contains("True") || template.contains("False")
                || template.contains("None") || template.contains(" |") || template.contains("| ") else {
            return template
        }
        var output = ""
        var rest = template[...]
        while let open = tagStart(in: rest) {
            let body = rest.index(open, offsetBy: 2)
            output += rest[..<body]
            guard let close = rest[body...].firstRange(of: rest[rest.index(after: open)] == "{" ? "}}" : "%}") else {
                // An unterminated tag: Stencil reports it when it parses.
                output += rest[body...]
                return output
            }
            output += try expression(String(rest[body..<close.lowerBound]))
            output += rest[close]
            rest = rest[close.upperBound...]
        }
        output += rest
        return output
    }

    /// Where the first `{{` or `{%` in `text` starts.
    private static func tagStart(in text: Substring) -> Substring.Index? {
        var index = text.startIndex
        while let brace = text[index...].firstIndex(of: "{") {
            let next = text.index(after: brace)
            guard next < text.endIndex else { return nil }
            if text[next] == "{" || text[next] == "%" { return brace }
            index = next
        }
        return nil
    }

    /// The inside of a tag, translated.
    static func expression(_ text: String) throws(Failure) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\"" || character == "'" {
                let end = stringEnd(characters, from: index)
                output += String(characters[index..<end])
                index = end
            } else if character == "|" {
                while output.last == " " { output.removeLast() }
                index += 1
                while index < characters.count, characters[index] == " " { index += 1 }
                let start = index
                while index < characters.count, isIdentifier(characters[index]) { index += 1 }
                let name = String(characters[start..<index])
                var lookahead = index
                while lookahead < characters.count, characters[lookahead] == " " { lookahead += 1 }
                guard lookahead < characters.count, characters[lookahead] == "(" else {
                    output += "|" + name
                    continue
                }
                let (arguments, end) = try callArguments(characters, openingAt: lookahead)
                output += "|" + name + (try filterArguments(name, arguments))
                index = end
            } else if isIdentifier(character) {
                let start = index
                while index < characters.count, isIdentifier(characters[index]) { index += 1 }
                let word = String(characters[start..<index])
                let isMember = start > 0 && characters[start - 1] == "."
                switch word {
                case "True" where !isMember: output += "true"
                case "False" where !isMember: output += "false"
                case "None" where !isMember: output += "nil"
                default: output += word
                }
            } else {
                output.append(character)
                index += 1
            }
        }
        return output
    }

    /// Stencil's arguments for a Jinja call of the filter `name`: `:a,b`, or nothing.
    private static func filterArguments(_ name: String, _ arguments: [String]) throws(Failure) -> String {
        var positional: [String] = []
        var keywords: [(String, String)] = []
        for argument in arguments {
            if let (keyword, value) = keywordArgument(argument) {
                keywords.append((keyword, try expression(value)))
            } else {
                guard keywords.isEmpty else {
                    throw Failure(reason: "a positional argument follows a keyword argument in '\(name)(…)'")
                }
                positional.append(try expression(argument))
            }
        }
        if name == "indent" {
            // Jinja: indent(width=4, first=False, blank=False).
            var values = ["4", "false", "false"]
            let names = ["width", "first", "blank"]
            guard positional.count <= 3 else { throw Failure(reason: "'indent' takes at most 3 arguments") }
            for (index, value) in positional.enumerated() { values[index] = value }
            for (keyword, value) in keywords {
                guard let index = names.firstIndex(of: keyword) else {
                    throw Failure(reason: "'indent' has no argument '\(keyword)' (it has width, first and blank)")
                }
                values[index] = value
            }
            return ":" + [values[0], "\" \"", values[1], values[2]].joined(separator: ",")
        }
        guard keywords.isEmpty else {
            throw Failure(reason: "keyword arguments are supported only for 'indent', not for '\(name)'")
        }
        return positional.isEmpty ? "" : ":" + positional.joined(separator: ",")
    }

    /// The top-level, comma-separated arguments of the call whose `(` is at `open`, and the index after its `)`.
    private static func callArguments(_ characters: [Character], openingAt open: Int) throws(Failure) -> ([String], Int) {
        var arguments: [String] = []
        var current = ""
        var depth = 0
        var index = open + 1
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\"", "'":
                let end = stringEnd(characters, from: index)
                current += String(characters[index..<end])
                index = end
                continue
            case "(", "[":
                depth += 1
            case ")" where depth == 0:
                let last = current.trimmingSpaces
                if !last.isEmpty { arguments.append(last) } else if !arguments.isEmpty {
                    throw Failure(reason: "an empty argument in a filter call")
                }
                return (arguments, index + 1)
            case ")", "]":
                depth -= 1
            case "," where depth == 0:
                let argument = current.trimmingSpaces
                guard !argument.isEmpty else { throw Failure(reason: "an empty argument in a filter call") }
                arguments.append(argument)
                current = ""
                index += 1
                continue
            default:
                break
            }
            current.append(character)
            index += 1
        }
        throw Failure(reason: "a filter call is missing its ')'")
    }

    /// `(name, value)` when `argument` is `name=value` (and not a comparison).
    private static func keywordArgument(_ argument: String) -> (String, String)? {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        let name = argument[..<equals].trimmingSpaces
        let after = argument.index(after: equals)
        guard !name.isEmpty, name.allSatisfy(isIdentifier), !(name.first?.isNumber ?? true),
              after < argument.endIndex ? argument[after] != "=" : true else { return nil }
        return (name, argument[after...].trimmingSpaces)
    }

    /// The index just past the string literal that starts at `start`.
    private static func stringEnd(_ characters: [Character], from start: Int) -> Int {
        let quote = characters[start]
        var index = start + 1
        while index < characters.count, characters[index] != quote { index += 1 }
        return min(index + 1, characters.count)
    }

    private static func isIdentifier(_ character: Character) -> Bool {
        character == "_" || (character.isASCII && (character.isLetter || character.isNumber))
    }

    // MARK: Filters

    /// Text as Stencil prints a value: strings as they are, nothing for `nil`, else the description.
    static func text(_ value: Any?) -> String {
        switch value {
        case nil: return ""
        case let text as String: return text
        case let value as any CustomStringConvertible: return value.description
        case let value?: return "\(value)"
        }
    }

    /// `indent:width,character,first,blank` with Jinja 3's semantics: every line but the first is indented
    /// (the first too when `first`), blank lines only when `blank`; a string `width` is the indentation
    /// itself. Lines break where Python's `str.splitlines` breaks them, and are joined with `\n`.
    static func indentFilter(value: Any?, arguments: [Any?]) throws -> Any? {
        guard arguments.count <= 4 else {
            throw TemplateSyntaxError("'indent' takes at most 4 arguments (width, character, first, blank)")
        }
        var character = " "
        if arguments.count > 1 {
            guard let given = arguments[1] as? String else { throw TemplateSyntaxError("'indent' character must be a string") }
            character = given
        }
        var indentation = String(repeating: character, count: 4)
        if let width = arguments.first {
            switch width {
            case let count as Int where count >= 0: indentation = String(repeating: character, count: count)
            case let given as String: indentation = given
            default: throw TemplateSyntaxError("'indent' width must be a whole number or a string")
            }
        }
        func flag(_ index: Int, _ name: String) throws -> Bool {
            guard index < arguments.count else { return false }
            guard let value = arguments[index] as? Bool else { throw TemplateSyntaxError("'indent' \(name) must be true or false") }
            return value
        }
        return indent(text(value), indentation: indentation, first: try flag(2, "first"), blank: try flag(3, "blank"))
    }

    /// Jinja 3's `do_indent`.
    static func indent(_ text: String, indentation: String, first: Bool, blank: Bool) -> String {
        let lines = splitLines(text + "\n")
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            if lines.count > 1 {
                result += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        return first ? indentation + result : result
    }

    /// Python's `str.splitlines()`: breaks at `\n`, `\r`, `\r\n`, `\v`, `\f`, `\x1c`–`\x1e`, `\u{85}`,
    /// `\u{2028}` and `\u{2029}`; a break at the very end makes no empty last line.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var line = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(String(line))
                line = String.UnicodeScalarView()
            case 0x0D:
                lines.append(String(line))
                line = String.UnicodeScalarView()
                if pending?.value == 0x0A { pending = scalars.next() }
            default:
                line.append(scalar)
            }
        }
        if !line.isEmpty { lines.append(String(line)) }
        return lines
    }
}

/// An error a filter throws; Stencil reports it with the template's position.
struct TemplateFilterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension StringProtocol {
    /// The text without leading and trailing spaces.
    var trimmingSpaces: String {
        guard let first = firstIndex(where: { $0 != " " }), let last = lastIndex(where: { $0 != " " }) else { return "" }
        return String(self[first...last])
    }
}
