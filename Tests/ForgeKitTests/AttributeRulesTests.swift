import ForgeKitTesting
import Foundation
import Testing

@testable import ForgeKit

/// ``AttributeRules`` decides archive attributes without libgit2; git itself is the reference: the same
/// `.gitattributes` files are written into a work tree and `git check-attr` answers for every path.
@Suite("gitattributes evaluated natively")
struct AttributeRulesTests {
    static let attributes = ["export-ignore", "text", "eol", "crlf", "ident", "filter", "diff"]

    /// Files by directory (`""` for the root), parents first.
    static let files: [(String, String)] = [
        ("", """
            # macros, built-in and defined here (also after their use)
            [attr]generated export-ignore -diff
            [attr]outer generated text
            *.gen generated
            *.both outer
            *.sh text eol=lf
            *.bat text eol=crlf
            *.[ch] whitespace=indent diff=cpp
            *.png binary
            *.lib -text
            *.svg text
            *.svg !text
            /Documentation/**/*.adoc text eol=lf
            **/logs export-ignore
            build/ export-ignore
            /vendor/** export-ignore
            docs/**/draft-* export-ignore
            a/**/z.txt ident
            t/t????-*.sh filter=lfs
            [!a-m]*.cfg crlf
            [[:digit:]]*.num text
            file\\*star.txt export-ignore
            !negated.txt export-ignore
            \t spaced.txt   export-ignore   \r
            bad name! export-ignore
            """ + "\n" + "x" + String(repeating: "y", count: 2100) + " export-ignore\n"),
        ("sub/", """
            *.txt text eol=crlf
            hidden.txt export-ignore
            /anchored.txt export-ignore
            *.bat !eol
            [attr]ignored export-ignore
            *.ign ignored
            deep/ export-ignore
            """),
        ("sub/inner/", """
            *.txt -text
            *.sh diff=shell
            """),
    ]

    static let paths: [(String, Bool)] = {
        var paths: [(String, Bool)] = []
        let files = ["run.sh", "run.bat", "main.c", "main.h", "pic.png", "x.lib", "icon.svg", "a.gen", "b.both",
                     "notes.txt", "hidden.txt", "anchored.txt", "z.txt", "a.cfg", "z.cfg", "1.num", "n.num",
                     "file*star.txt", "filexstar.txt", "negated.txt", "spaced.txt", "t0001-basic.sh", "t01-x.sh",
                     "draft-1.md", "plain", "x.ign", "logs", "build", "deep"]
        let directories = ["", "sub/", "sub/inner/", "sub/inner/more/", "Documentation/", "Documentation/a/b/",
                           "vendor/", "vendor/lib/", "docs/", "docs/x/y/", "a/", "a/b/", "a/b/c/", "t/", "logs/",
                           "build/", "sub/deep/", "other/"]
        for directory in directories {
            for file in files { paths.append((directory + file, false)) }
            for name in ["logs", "build", "deep", "vendor", "docs"] { paths.append((directory + name, true)) }
        }
        paths.append(("Documentation/guide.adoc", false))
        paths.append(("Documentation/a/b/guide.adoc", false))
        return paths
    }()

    @Test("every path's attributes equal git check-attr's")
    func matchesGit() throws {
        let root = try RepositoryFixture.temporaryDirectory(prefix: "attributes")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try GitCLI.git(["init", "-q", root], in: "/")
        var rules = AttributeRules(attributes: Self.attributes)
        for (directory, contents) in Self.files {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
            let bytes = Array(contents.utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + directory + ".gitattributes"))
            bytes.withUnsafeBytes { rules.add(file: $0, directory: Array(directory.utf8)) }
        }
        #expect(rules.isComplete)
        // check-attr treats a path ending in `/` as a directory.
        let list = Self.paths.map { $0.1 ? $0.0 + "/" : $0.0 }.joined(separator: "\0") + "\0"
        try Data(list.utf8).write(to: URL(fileURLWithPath: root + "/.git/paths"))
        let output = try GitCLI.run(["-c", "git check-attr --stdin -z " + Self.attributes.joined(separator: " ") + " < .git/paths"],
                                    in: root, executable: "/bin/sh")
        #expect(output.status == 0, "\(output.stderr)")
        let fields = output.stdout.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var expected: [String: [String: String]] = [:]
        for index in stride(from: 0, to: fields.count - 2, by: 3) {
            expected[fields[index], default: [:]][fields[index + 1]] = fields[index + 2]
        }
        var compared = 0
        for (path, isDirectory) in Self.paths {
            let states = rules.states(of: Array(path.utf8), isDirectory: isDirectory)
            let gitPath = isDirectory ? path + "/" : path
            for (index, name) in Self.attributes.enumerated() {
                let ours: String
                switch states[index] {
                case .unspecified: ours = "unspecified"
                case .set: ours = "set"
                case .unset: ours = "unset"
                case .value(let value): ours = value
                }
                #expect(ours == expected[gitPath]?[name], "\(gitPath): \(name)")
                compared += 1
            }
        }
        #expect(compared == Self.paths.count * Self.attributes.count)
        // The cases this file is about really occur.
        #expect(expected["sub/build/"]?["export-ignore"] == "set" && expected["sub/build"]?["export-ignore"] == "unspecified")
        #expect(expected["x.lib"]?["text"] == "unset" && expected["pic.png"]?["diff"] == "unset")
    }

    @Test("wildmatch: ** across directories, * and ? and classes within one, escapes")
    func wildmatch() {
        let cases: [(String, String, Bool)] = [
            ("**/foo", "foo", true), ("**/foo", "a/b/foo", true), ("a/**", "a/b/c", true), ("a/**", "a", false),
            ("a/**/b", "a/b", true), ("a/**/b", "a/x/y/b", true), ("a/**/b", "a/xb", false), ("a*b", "a/b", false),
            ("a**b", "ax/b", false), ("a?b", "a/b", false), ("a[/]b", "a/b", false), ("a[!x]b", "ayb", true),
            ("[[:upper:]]*", "Readme", true), ("[[:upper:]]*", "readme", false), ("\\*x", "*x", true), ("\\*x", "ax", false),
            ("[]]", "]", true), ("[a-]", "-", true), ("[^a-c]", "d", true), ("[^a-c]", "b", false), ("[a", "[a", false),
        ]
        for (pattern, text, expected) in cases {
            #expect(AttributeRules.wildmatch(Array(pattern.utf8)[...], Array(text.utf8)[...], pathname: true) == expected, "\(pattern) ~ \(text)")
        }
    }
}
