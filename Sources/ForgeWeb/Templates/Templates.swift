import ForgeKit
import Mustache
import PlatformSupport

/// The forge's pages come from Mustache templates (hummingbird-project/swift-mustache), which
/// escape every `{{value}}` for HTML unless it is written `{{{value}}}`. Triple braces are kept for
/// markup the forge made itself: Markdown from cmark-gfm (raw HTML dropped), another template's
/// output, and diff or code rows whose text was escaped where they were built.
///
/// Templates are compiled into the library (no files to install beside a binary), one Swift file
/// per group of pages under `Templates/`; ``layout`` is the one frame every page is rendered in.
/// A context is a `[String: Any]`: keys are looked up directly (no reflection), missing or `nil`
/// values render as nothing, `false`, `nil` and empty lists skip a `{{#section}}` and show its
/// `{{^inverse}}`.
enum Templates {
    /// Every template by name, gathered from the page groups.
    static let sources: [String: String] = {
        var all: [String: String] = [:]
        for group in [frame, account, site, repository, code, activity, deploy, review] {
            all.merge(group) { first, _ in first }
        }
        return all
    }()

    /// The content type every template is parsed with: HTML, escaped by PlatformSupport's
    /// `htmlEscape` (byte by byte; swift-mustache's own escapes character by character, a seventh
    /// of a large page's time), registered under a name of the forge's own so that other users of
    /// swift-mustache in the process keep theirs.
    struct EscapedHTML: MustacheContentType {
        func escapeText(_ text: String) -> String { htmlEscape(text) }
    }

    static let contentType = "FORGEWORKS_HTML"

    /// The parsed templates; a template that does not parse is a bug the template test reports.
    private static let library: Result<MustacheLibrary, ForgeError> = {
        MustacheContentTypes.register(EscapedHTML(), named: contentType)
        var library = MustacheLibrary()
        for (name, text) in sources {
            do {
                // Each template (partials too: each starts in HTML again) sets the content type first.
                try library.register("{{% CONTENT_TYPE: \(contentType)}}" + text, named: name)
            } catch {
                return .failure(ForgeError(.corrupt, "template \(name) does not parse: \(error)", operation: "load templates"))
            }
        }
        return .success(library)
    }()

    /// Renders the template `name` with `context`.
    static func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let rendered = try library.get().render(context, withTemplate: name) else {
            throw ForgeError(.notFound, "no template named \(name)", operation: "render page")
        }
        return rendered
    }

    /// Renders a page's template `name` with `context` and who is looking: the CSRF token forms post
    /// back (`{{>csrf}}`) and whether someone is signed in (`signedIn`).
    static func render(_ name: String, _ context: [String: Any], csrf: String?, signedIn: Bool) throws -> String {
        var values = context
        values["csrf"] = csrf ?? ""
        values["signedIn"] = signedIn
        return try render(name, values)
    }

    /// Whether every template parses (the template test's check).
    static var parseError: ForgeError? {
        if case .failure(let error) = library { return error }
        return nil
    }

    /// The frame of every page and the pieces many pages share.
    static let frame: [String: String] = [
        "layout": """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">\
            <title>{{title}} · Forgeworks</title><link rel="stylesheet" href="{{stylesheet}}">\
            {{#scripts}}<script src="{{.}}" defer></script>{{/scripts}}</head>
            <body><header><a href="/">Forgeworks</a>\
            {{#user}}<a href="/new">New repository</a>{{#isAdmin}}<a href="/admin/users" id="users-link">Users</a>{{/isAdmin}}\
            <a href="/user/settings" id="settings-link">Settings</a><span id="signed-in-user">{{user}}</span>\
            <form method="post" action="/logout">{{>csrf}}<button id="logout">Sign out</button></form>{{/user}}\
            {{^user}}<a href="/login" id="login-link">Sign in</a>{{/user}}</header>
            <main>{{{body}}}</main></body></html>
            """,
        "csrf": #"<input type="hidden" name="_csrf" value="{{csrf}}">"#,
        "messages": """
            {{#notice}}<p class="notice" id="{{noticeID}}{{^noticeID}}notice{{/noticeID}}">{{notice}}</p>{{/notice}}\
            {{#error}}<p class="error" id="form-error">{{error}}</p>{{/error}}
            """,
        "error": """
            <h1>{{code}} {{reason}}</h1><p class="error">{{message}}</p>\
            {{#signIn}}<p><a href="/login?next={{next}}" id="sign-in-to-see">Sign in</a> to see what your account may.</p>{{/signIn}}
            """,
        "forbidden": """
            <h1>403 Forbidden</h1><p class="error">{{message}}</p>
            """,
    ]
}

/// A template context from `values`, leaving out `nil` and empty strings (Mustache counts an empty
/// string as present, so `{{#name}}` would show its section for it).
func view(_ values: [String: Any?]) -> [String: Any] {
    var context: [String: Any] = [:]
    for (key, value) in values {
        guard let value else { continue }
        if let text = value as? String, text.isEmpty { continue }
        context[key] = value
    }
    return context
}
