/// Text made safe for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and `'`
/// escaped. The one escaping of the forge's pages and the rebuild status page.
package func htmlEscape(_ text: some StringProtocol) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.unicodeScalars.append(character)
        }
    }
    return result
}
