// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Forgeworks",
    products: [
        .library(name: "ForgeKit", targets: ["ForgeKit"]),
        .library(name: "ForgeKitTesting", targets: ["ForgeKitTesting"]),
        .library(name: "ForgeKitServer", targets: ["ForgeKitServer"]),
        .library(name: "ForgeServices", targets: ["ForgeServices"]),
        .library(name: "ForgeWeb", targets: ["ForgeWeb"]),
        .library(name: "PipelineKit", targets: ["PipelineKit"]),
        .library(name: "PipelineKitTesting", targets: ["PipelineKitTesting"]),
        .library(name: "PipelineKitServer", targets: ["PipelineKitServer"]),
        .library(name: "DeployKit", targets: ["DeployKit"]),
        .library(name: "DeployKitServer", targets: ["DeployKitServer"]),
        .library(name: "RebuildKit", targets: ["RebuildKit"]),
        .library(name: "RebuildKitPipelines", targets: ["RebuildKitPipelines"]),
        .library(name: "RebuildKitServer", targets: ["RebuildKitServer"]),
        .library(name: "ForgeKitPostgres", targets: ["ForgeKitPostgres"]),
        .library(name: "PipelineKitPostgres", targets: ["PipelineKitPostgres"]),
        .library(name: "DeployKitPostgres", targets: ["DeployKitPostgres"]),
        .library(name: "RebuildKitPostgres", targets: ["RebuildKitPostgres"]),
        .executable(name: "forge", targets: ["forge"]),
        .executable(name: "git-tool", targets: ["git-tool"]),
        .executable(name: "hamster-ci", targets: ["hamster-ci"]),
        .executable(name: "hookd", targets: ["hookd"]),
        .executable(name: "deploy-server", targets: ["deploy-server"]),
        .executable(name: "deploy-runner", targets: ["deploy-runner"]),
        .executable(name: "rebuilder", targets: ["rebuilder"]),
        .executable(name: "forgekit-bench", targets: ["forgekit-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/stencilproject/Stencil.git", from: "0.15.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries from the system (Debian's -dev packages; scripts/bootstrap installs them).
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .systemLibrary(
            name: "CLibSolv",
            pkgConfig: "libsolvext",
            providers: [.apt(["libsolv-dev", "libsolvext-dev"])]
        ),

        // The platform under the kits (package-internal): each mechanism the kits share, once.
        .target(
            name: "PlatformSupport",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "SQLiteStoreSupport",
            dependencies: [
                "PlatformSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        .target(
            name: "HTTPServerSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "HTTPCallSupport",
            dependencies: [
                "PlatformSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),

        // Kits, lowest layer first.
        .target(
            name: "ForgeKit",
            dependencies: [
                "CGit2", "CZlib", "PlatformSupport", "SQLiteStoreSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ForgeKitServer",
            dependencies: [
                "HTTPServerSupport",
                "HTTPCallSupport",
                "PlatformSupport",
                "ForgeKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ForgeKitTesting",
            dependencies: ["ForgeKit", "PlatformSupport"],
            swiftSettings: upcoming
        ),
        .target(
            name: "PipelineKit",
            dependencies: [
                "HTTPCallSupport",
                "PlatformSupport", "SQLiteStoreSupport",
                "ForgeKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Stencil", package: "Stencil"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "PipelineKitServer",
            dependencies: [
                "HTTPServerSupport",
                "PlatformSupport",
                "PipelineKit", "ForgeKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "PipelineKitTesting",
            dependencies: ["PipelineKit", "ForgeKit", "PlatformSupport"],
            swiftSettings: upcoming
        ),
        .target(
            name: "DeployKit",
            dependencies: [
                "HTTPCallSupport",
                "PlatformSupport", "SQLiteStoreSupport",
                "PipelineKit", "ForgeKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "DeployKitServer",
            dependencies: [
                "HTTPServerSupport",
                "ForgeKitServer",
                "PlatformSupport",
                "DeployKit", "PipelineKit", "ForgeKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "RebuildKit",
            dependencies: [
                "HTTPCallSupport",
                "PlatformSupport", "SQLiteStoreSupport", "CLibSolv",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),

        .target(
            name: "RebuildKitServer",
            dependencies: [
                "HTTPServerSupport",
                "RebuildKit", "PlatformSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "RebuildKitPipelines",
            dependencies: [
                "RebuildKit", "PipelineKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        // PostgreSQL stores, in targets of their own so that the embedded (SQLite) users of a kit do
        // not compile a PostgreSQL driver.
        .target(
            name: "PostgresStoreSupport",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ForgeKitPostgres",
            dependencies: [
                "ForgeKit", "PostgresStoreSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "PipelineKitPostgres",
            dependencies: [
                "PlatformSupport",
                "PipelineKit", "PostgresStoreSupport", "ForgeKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "RebuildKitPostgres",
            dependencies: [
                "RebuildKit", "PostgresStoreSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "DeployKitPostgres",
            dependencies: [
                "PlatformSupport",
                "DeployKit", "PostgresStoreSupport", "ForgeKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        .target(
            name: "ForgeServices",
            dependencies: [
                "ForgeKit", "ForgeKitServer", "PipelineKit", "DeployKit", "PlatformSupport",
                "ForgeKitPostgres", "PipelineKitPostgres", "DeployKitPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ForgeWeb",
            dependencies: [
                "CCmarkGFM",
                "ForgeServices",
                "PipelineKitServer",
                "PlatformSupport",
                "ForgeKit", "ForgeKitServer", "PipelineKit", "DeployKit", "DeployKitServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),

        // Examples: small compositions of the kits, and the options their servers share.
        .target(
            name: "ExampleSupport",
            dependencies: [
                "ForgeKit", "ForgeKitPostgres", "ForgeKitServer", "PlatformSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Examples/Support",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "forge",
            dependencies: [
                "ExampleSupport", "ForgeServices", "ForgeWeb", "ForgeKit", "ForgeKitServer", "PipelineKit", "DeployKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/forge",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "git-tool",
            dependencies: [
                "ForgeKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/git-tool",
            swiftSettings: upcoming
        ),

        .executableTarget(
            name: "hamster-ci",
            dependencies: [
                "ExampleSupport", "PipelineKit", "PipelineKitServer", "PipelineKitPostgres", "ForgeKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/hamster-ci",
            swiftSettings: upcoming
        ),

        .executableTarget(
            name: "hookd",
            dependencies: [
                "ExampleSupport", "DeployKit", "DeployKitServer", "ForgeKit", "ForgeKitServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/hookd",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "deploy-server",
            dependencies: [
                "ExampleSupport", "DeployKit", "DeployKitServer", "DeployKitPostgres", "ForgeKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/deploy-server",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "deploy-runner",
            dependencies: [
                "DeployKit", "PipelineKit", "ExampleSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/deploy-runner",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "rebuilder",
            dependencies: [
                "ExampleSupport", "ForgeKitServer", "PipelineKit", "PlatformSupport", "RebuildKit", "RebuildKitPipelines", "RebuildKitPostgres", "RebuildKitServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/rebuilder",
            swiftSettings: upcoming
        ),

        // Benchmarks (bench/run); built here so that they keep compiling.
        .executableTarget(
            name: "pipeline-bench",
            dependencies: [
                "PipelineKit", "PipelineKitPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/PipelineBench",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "forgekit-bench",
            dependencies: ["ForgeKit"],
            path: "bench/ForgeKitBench",
            swiftSettings: upcoming
        ),

        // Tests (Swift Testing).
        .testTarget(
            name: "ForgeKitTests",
            dependencies: ["ForgeKit", "ForgeKitPostgres", "ForgeKitTesting", "PlatformSupport"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ForgeKitServerTests",
            dependencies: [
                "PlatformSupport",
                "ForgeKit", "ForgeKitServer", "ForgeKitTesting", "PipelineKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ForgeWebTests",
            dependencies: [
                "ForgeWeb", "ForgeServices", "forge", "ForgeKit", "ForgeKitServer", "ForgeKitTesting", "PipelineKit", "DeployKit", "PipelineKitServer", "DeployKitServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "GitToolTests",
            dependencies: ["ForgeKit", "ForgeKitTesting", "git-tool"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PipelineKitTests",
            dependencies: [
                "PipelineKit", "PipelineKitTesting", "PipelineKitPostgres", "ForgeKit", "ForgeKitTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HamsterCITests",
            dependencies: [
                "hamster-ci", "PipelineKit", "PipelineKitPostgres", "ForgeKit", "ForgeKitTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "DeployKitTests", dependencies: ["DeployKit", "DeployKitPostgres", "ForgeKit", "ForgeKitTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "HookdTests",
            dependencies: [
                "hookd", "DeployKit", "ForgeKitTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "DeployServerTests",
            dependencies: [
                "deploy-server", "deploy-runner", "DeployKit", "DeployKitServer", "ForgeKit", "ForgeKitTesting", "PipelineKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "RebuildKitTests", dependencies: ["RebuildKit", "ForgeKitTesting", "RebuildKitPipelines", "RebuildKitPostgres", "rebuilder", "PipelineKit", "PlatformSupport", .product(name: "Hummingbird", package: "hummingbird")], resources: [.copy("Fixtures")], swiftSettings: upcoming),
    ],
    swiftLanguageModes: [.v6]
)
