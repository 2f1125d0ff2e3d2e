import PipelineKit
import Testing

@Suite("Configurations in the seed's JSON schema and in YAML")
struct ConfigurationTests {
    static let tasks: Set<String> = ["shell", "mergeable", "pull_request_comment", "noop", "http"]
    static let loader = ConfigurationLoader(tasks: tasks)

    /// The pipeline seed's own example, unchanged but for the task name (`flake8_diff` there is a shell command here).
    static let seedJSON = """
    {
        "name": "flake8_pull_request",
        "source": {
            "source_class": "pull_request",
            "criteria": {
                "repo": "DT2/dt"
            }
        },
        "actions": [
            {
                "name": "flake8diff",
                "task": "shell",
                "kwargs": {"command": "flake8 --diff"},
                "failure_handler": {
                    "name": "notify_error",
                    "task": "pull_request_comment",
                    "kwargs": {
                        "template": "Flake8 violations:\\n\\n{{ parent.output|indent(4, True) }}"
                    }
                }
            }
        ]
    }
    """

    @Test("the seed's JSON example loads with its criteria, chain and handlers")
    func seedExample() throws {
        let configurations = try Self.loader.load(text: Self.seedJSON, file: "flake8.json")
        #expect(configurations.count == 1)
        let configuration = try #require(configurations.first)
        #expect(configuration.name == "flake8_pull_request" && configuration.sourceClass == "pull_request")
        #expect(configuration.actions.count == 1)
        let action = configuration.actions[0]
        #expect(action.name == "flake8diff" && action.task == "shell" && action.kwargs["command"] == "flake8 --diff")
        #expect(action.successHandler == nil)
        let handler = try #require(action.failureHandler?.action)
        #expect(handler.task == "pull_request_comment")
        #expect(handler.kwargs["template"] == .string("Flake8 violations:\n\n{{ parent.output|indent(4, True) }}"))

        let matching = Source(sourceClass: "pull_request", attributes: ["repo": "DT2/dt", "branch": "feature"])
        #expect(configuration.matches(matching))
        #expect(!configuration.matches(Source(sourceClass: "pull_request", attributes: ["repo": "DT2/other"])))
        #expect(!configuration.matches(Source(sourceClass: "push", attributes: ["repo": "DT2/dt"])))
        #expect(!configuration.matches(Source(sourceClass: "pull_request", attributes: [:])))
    }

    @Test("a pull_request configuration naming no action runs on opened, synchronize and reopened only; one naming actions runs on those")
    func pullRequestActions() throws {
        let loader = ConfigurationLoader(tasks: nil)
        let configurations = try loader.load(text: """
            - {name: any, source: {source_class: pull_request}, actions: [{name: a, task: noop}]}
            - {name: closing, source: {source_class: pull_request, criteria: {action: [closed, commented]}}, actions: [{name: a, task: noop}]}
            """, file: "p.yml")
        func source(_ action: String?) -> Source {
            Source(sourceClass: "pull_request", attributes: action.map { ["action": .string($0)] } ?? [:])
        }
        for action in ["opened", "synchronize", "synchronized", "reopened"] {
            #expect(configurations[0].matches(source(action)), "\(action)")
            #expect(!configurations[1].matches(source(action)), "\(action)")
        }
        for action in ["closed", "commented"] {
            #expect(!configurations[0].matches(source(action)), "\(action): a comment must not start a pipeline that comments")
            #expect(configurations[1].matches(source(action)), "\(action)")
        }
        #expect(!configurations[0].matches(source("edited")) && !configurations[1].matches(source("edited")))
        #expect(configurations[0].matches(source(nil)), "a source without an action (a hand-made one) still matches")
    }

    @Test("the same schema in YAML, with globs, regular expressions, lists and path lists")
    func yaml() throws {
        let text = """
        - name: release-builds
          concurrency_group: releases
          source:
            source_class: push
            criteria:
              branch: [main, "release/*"]
              repo: {regex: "acme/(api|web)"}
              changed_paths: "src/**"
          actions:
            - name: build
              task: shell
              retries: 2
              timeout: 600
              kwargs:
                command: make
                env: {CI: "true", JOBS: 4}
              success_handler:
                name: done
                task: noop
        - name: tags
          source: {source_class: tag, criteria: {tag: {glob: "v*"}}}
          actions: [{name: announce, task: noop}]
        """
        let configurations = try Self.loader.load(text: text, file: "pipelines.yml")
        #expect(configurations.map(\.name) == ["release-builds", "tags"])
        let release = configurations[0]
        #expect(release.concurrencyGroup == "releases")
        #expect(release.actions[0].retries == 2 && release.actions[0].timeout == 600)
        #expect(release.actions[0].kwargs["env"] == ["CI": "true", "JOBS": 4])
        #expect(release.actions[0].successHandler?.action.task == "noop")
        let push = Source(sourceClass: "push", attributes: [
            "branch": "release/2.0", "repo": "acme/web", "changed_paths": ["README.md", "src/app/main.swift"]])
        #expect(release.matches(push))
        var other = push
        other.attributes["changed_paths"] = ["docs/index.md"]
        #expect(!release.matches(other))
        other = push
        other.attributes["repo"] = "acme/webby"
        #expect(!release.matches(other))
        #expect(configurations[1].matches(Source(sourceClass: "tag", attributes: ["tag": "v1.2"])))
    }

    /// Loads `text` and returns the error it must raise.
    func failure(_ text: String, file: String = "bad.yml") -> PipelineError? {
        do {
            _ = try Self.loader.load(text: text, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("malformed configurations are rejected with file, line and field")
    func badInput() throws {
        let syntax = try #require(failure("{\n  \"name\": \"x\",\n  \"source\": {\n}", file: "broken.json"))
        #expect(syntax.code == .invalidConfiguration && syntax.file == "broken.json" && syntax.line != nil)

        let unknownKey = try #require(failure("name: a\nsource: {source_class: push}\nactions:\n  - name: b\n    task: noop\n    kwrags: {}\n"))
        #expect(unknownKey.line == 6 && unknownKey.field == "actions[0]" && unknownKey.message.contains("kwrags"))

        let unknownTask = try #require(failure("name: a\nsource: {source_class: push}\nactions:\n  - name: b\n    task: flake9\n"))
        #expect(unknownTask.line == 5 && unknownTask.field == "actions[0].task" && unknownTask.message.contains("flake9"))

        let handlerTask = try #require(failure("name: a\nsource: {source_class: push}\nactions:\n  - name: b\n    task: noop\n    failure_handler: {name: c, task: nope}\n"))
        #expect(handlerTask.field == "actions[0].failure_handler.task" && handlerTask.line == 6)

        let unknownSource = try #require(failure("name: a\nsource: {source_class: telepathy}\nactions: [{name: b, task: noop}]\n"))
        #expect(unknownSource.field == "source.source_class" && unknownSource.line == 2)

        let unknownAttribute = try #require(failure("name: a\nsource:\n  source_class: push\n  criteria: {colour: red}\nactions: [{name: b, task: noop}]\n"))
        #expect(unknownAttribute.field == "source.criteria.colour" && unknownAttribute.line == 4)

        let badRegex = try #require(failure("name: a\nsource:\n  source_class: push\n  criteria:\n    branch: {regex: \"([\"}\nactions: [{name: b, task: noop}]\n"))
        #expect(badRegex.field == "source.criteria.branch" && badRegex.line == 5)

        let noActions = try #require(failure("name: a\nsource: {source_class: push}\nactions: []\n"))
        #expect(noActions.field == "actions" && noActions.line == 3)

        let missingName = try #require(failure("source: {source_class: push}\nactions: [{name: b, task: noop}]\n"))
        #expect(missingName.message.contains("'name' is missing"))

        let badRetries = try #require(failure("name: a\nsource: {source_class: push}\nactions: [{name: b, task: noop, retries: -1}]\n"))
        #expect(badRetries.field == "actions[0].retries")

        let twice = try #require(failure("- {name: a, source: {source_class: push}, actions: [{name: b, task: noop}]}\n- {name: a, source: {source_class: tag}, actions: [{name: b, task: noop}]}\n"))
        #expect(twice.message.contains("used twice"))

        let empty = try #require(failure(""))
        #expect(empty.message.contains("empty"))

        let scalar = try #require(failure("just a string\n"))
        #expect(scalar.code == .invalidConfiguration)

        let big = ConfigurationLoader(tasks: nil, maximumFileSize: 10)
        #expect(throws: PipelineError.self) { try big.load(text: String(repeating: "#", count: 11), file: "big.yml") }
        #expect(syntax.description.contains("broken.json:"))
    }
}
