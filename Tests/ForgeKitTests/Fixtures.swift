import ForgeKit
import ForgeKitTesting

/// A repository with the shapes the git tests need: merges, renames, symlinks, executables, an empty
/// commit, binary and unicode paths, a directory replaced by a file, tags.
struct StandardHistory: Sendable {
    let fixture: RepositoryFixture
    let root: ObjectID
    let renamed: ObjectID
    let empty: ObjectID
    let featureTip: ObjectID
    let merge: ObjectID
    let conflicting: ObjectID
    let head: ObjectID

    static func make(bare: Bool = true) async throws -> StandardHistory {
        let fixture = try await RepositoryFixture.make(bare: bare)
        return try await fixture.build { repo in
            let root = try repo.commit("Initial import\n\nWith a body.", [
                .write("README.md", "# Demo\n"),
                .write("src/main.c", "int main(void) { return 0; }\n"),
                .write("src/lib/util.c", "int util(void) { return 1; }\n"),
                .executable("scripts/build.sh", "#!/bin/sh\nmake\n"),
                .symlink("docs", target: "src/lib"),
                .writeBytes("assets/logo.bin", [0, 1, 2, 255, 254, 0, 10, 13]),
                .write("héllo wörld.txt", "unicode name\n"),
                .write("tab\tname", "control character in the name\n"),
                .write("dir-or-file/inner.txt", "inside\n"),
            ])
            try repo.tag("v1.0", at: root, message: "Version 1.0")
            let renamed = try repo.commit("Rename util, chmod, replace a directory by a file", [
                .rename("src/lib/util.c", to: "src/lib/helpers.c"),
                .chmod("scripts/build.sh", executable: false),
                .delete("dir-or-file"),
                .write("dir-or-file", "now a file\n"),
                .symlink("README.md", target: "docs/README"),
            ])
            let empty = try repo.commit("An empty commit", [])
            try repo.branch("feature", at: renamed)
            let f1 = try repo.commit("Feature work", on: "feature", [.write("feature.txt", "feature\n"), .write("src/main.c", "int main(void) { return 2; }\n")])
            let featureTip = try repo.commit("More feature work", on: "feature", [.write("src/lib/new.c", "new\n")])
            _ = f1
            try repo.commit("Mainline work", [.write("NEWS", "news\n")])
            let merge = try repo.merge("feature", into: "main")
            try repo.tag("v2.0", at: merge)
            try repo.branch("conflict", at: merge)
            let conflicting = try repo.commit("Change main.c on a branch", on: "conflict", [.write("src/main.c", "int main(void) { return 3; }\n")])
            let head = try repo.commit("Change main.c on main", [.write("src/main.c", "int main(void) { return 4; }\n"), .write("später.md", "ü\n")])
            try repo.setHead("main")
            return StandardHistory(fixture: fixture, root: root, renamed: renamed, empty: empty, featureTip: featureTip,
                                   merge: merge, conflicting: conflicting, head: head)
        }
    }
}

