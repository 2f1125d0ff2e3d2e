import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// What went wrong talking to PostgreSQL; the kits' stores wrap it in their own error types.
package struct PostgresStoreFailure: Error, CustomStringConvertible, Sendable {
    /// What was being done.
    package var operation: String
    /// Why it failed, with the server's message when it sent one.
    package var message: String
    /// The server's SQLSTATE, when it sent one (`40P01` deadlock, `57P01` admin shutdown, …).
    package var sqlState: String?

    package init(operation: String, message: String, sqlState: String? = nil) {
        self.operation = operation
        self.message = message
        self.sqlState = sqlState
    }

    /// Describes any error from PostgresNIO, keeping the server's message and code rather than
    /// PostgresNIO's generic text (which hides them in release builds).
    package init(operation: String, _ error: any Error) {
        let error = PostgresStoreDatabase.underlying(error)
        if let failure = error as? PostgresStoreFailure {
            self = failure
            return
        }
        var message = "\(error)"
        var state: String?
        if let error = error as? PSQLError {
            if let server = error.serverInfo {
                message = [server[.severity], server[.message], server[.detail].map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
                state = server[.sqlState]
            } else {
                message = "\(error.code)"
                if let underlying = error.underlying { message += ": \(underlying)" }
            }
        }
        self.init(operation: operation, message: message, sqlState: state)
    }

    package var description: String { "\(operation): \(message)" + (sqlState.map { " [SQLSTATE \($0)]" } ?? "") }
}

/// Where a PostgreSQL store lives, from a `postgres://` (or `postgresql://`) URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require&schema=NAME]`.
package struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    /// The schema the store's tables live in (created when missing); `public` by default.
    package var schema: String
    package var sslMode: String

    /// Parses a URL; a bad one is refused with the reason.
    package init(url text: String, schema override: String? = nil) throws(PostgresStoreFailure) {
        func bad(_ why: String) -> PostgresStoreFailure {
            PostgresStoreFailure(operation: "parse the database URL", message: why)
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw bad("'\(Self.redacted(text))' is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw bad("the URL's scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("the URL names no user (postgres://USER@HOST/DATABASE)") }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        var schema = "public"
        var sslMode = "prefer"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema": schema = item.value ?? ""
            case "sslmode": sslMode = item.value ?? ""
            default: throw bad("unknown URL parameter '\(item.name)' (known: schema, sslmode)")
            }
        }
        if let override { schema = override }
        guard Self.isIdentifier(schema) else {
            throw bad("schema '\(schema)' must be 1 to 63 lower-case letters, digits or underscores, starting with a letter")
        }
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw bad("sslmode must be disable, prefer or require, not '\(sslMode)'")
        }
        self.schema = schema
        self.sslMode = sslMode
    }

    /// A schema name safe to splice into SQL: what `CREATE SCHEMA` needs unquoted.
    package static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 63, ("a"..."z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The URL without its password, for logs and errors.
    package var description: String { "postgres://\(username)@\(host):\(port)/\(database)?schema=\(schema)" }

    private static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    var tls: PostgresClient.Configuration.TLS {
        switch sslMode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
    }
}

/// A PostgreSQL database shared by one kit's store: a connection pool (PostgresNIO's
/// `PostgresClient`, run for as long as this object lives), versioned migrations applied under an
/// advisory lock so that processes starting together apply each once, and `LISTEN` wake-ups on a
/// connection of their own that reconnects after the server restarts.
package final class PostgresStoreDatabase: Sendable {
    package let location: PostgresLocation
    package let client: PostgresClient
    private let logger: Logger
    private let runner: Task<Void, Never>
    private let listeners = Mutex<[UInt64: AsyncStream<Void>.Continuation]>([:])
    private let nextListener = Atomic<UInt64>(0)
    private let listening = Mutex<Task<Void, Never>?>(nil)

    /// Starts a pool of at most `maximumConnections` connections. Nothing is connected until the first query.
    package init(location: PostgresLocation, maximumConnections: Int, logger: Logger) {
        self.location = location
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                         password: location.password, database: location.database, tls: location.tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        // Every connection resolves the store's tables in its schema.
        configuration.options.additionalStartupParameters = [("search_path", location.schema)]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    deinit {
        runner.cancel()
        listening.withLock { $0?.cancel() }
        listeners.withLock { listeners in
            for continuation in listeners.values { continuation.finish() }
        }
    }

    /// Parses `url` (with `schema` overriding its schema), starts a pool and applies `component`'s
    /// migrations: what every PostgreSQL store does when it opens.
    package static func open(url: String, schema: String?, component: String, migrations: [(name: String, statements: [String])],
                             maximumConnections: Int, patience: Duration, logger: Logger) async throws(PostgresStoreFailure) -> PostgresStoreDatabase {
        let database = PostgresStoreDatabase(location: try PostgresLocation(url: url, schema: schema),
                                             maximumConnections: maximumConnections, logger: logger)
        do {
            try await database.migrate(component: component, migrations, patience: patience)
        } catch {
            database.close()
            throw error
        }
        return database
    }

    /// Stops the pool and the listener.
    package func close() {
        runner.cancel()
        listening.withLock { $0?.cancel() }
    }

    /// Applies, in order and each in its own transaction, the migrations of `component` that this
    /// database has not seen. Each migration is a list of statements. Concurrent callers wait for
    /// one another (an advisory lock), so each migration runs once. A database that cannot be
    /// reached is tried again until `patience` has passed.
    package func migrate(component: String, _ migrations: [(name: String, statements: [String])],
                         patience: Duration = .seconds(30)) async throws(PostgresStoreFailure) {
        let schema = location.schema
        let deadline = ContinuousClock.now + patience
        var delay = Duration.milliseconds(100)
        while true {
            do {
                // A connection of its own, not the pool's: the pool waits for a server that is not
                // there, a direct connection says at once why it cannot connect.
                let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(),
                                                                      id: Int.random(in: 1_000_000...9_999_999), logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtext('forgeworks-migrations'))", logger: self.logger)
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: self.logger)
                    try await connection.query(PostgresQuery(unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(schema).forgeworks_migrations (
                            component TEXT NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                            PRIMARY KEY (component, name))
                        """), logger: self.logger)
                    var applied: Set<String> = []
                    for try await name in try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT name FROM \(schema).forgeworks_migrations WHERE component = $1",
                                      binds: Self.binds(component)), logger: self.logger).decode(String.self) {
                        applied.insert(name)
                    }
                    for migration in migrations where !applied.contains(migration.name) {
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                        }
                        try await connection.query(PostgresQuery(
                            unsafeSQL: "INSERT INTO \(schema).forgeworks_migrations (component, name) VALUES ($1, $2)",
                            binds: Self.binds(component, migration.name)), logger: self.logger)
                        self.logger.info("applied migration", metadata: ["component": "\(component)", "migration": "\(migration.name)"])
                    }
                }
                return
            } catch {
                let failure = PostgresStoreFailure(operation: "migrate \(component) in \(location)", error)
                // A server error in a statement is final; an unreachable server may still come up.
                guard failure.sqlState == nil || failure.sqlState == "57P03", ContinuousClock.now + delay < deadline else { throw failure }
                logger.warning("database not ready; retrying", metadata: ["error": "\(failure)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// Runs `query` on a pooled connection and decodes every row with `decode`.
    package func rows<T>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> T) async throws -> [T] {
        var results: [T] = []
        for try await row in try await client.query(query, logger: logger) { results.append(try decode(row)) }
        return results
    }

    /// The error a store should report for `error`: what the store's own code threw inside a
    /// transaction (postgres-nio hands it back wrapped, after the rollback), else `error` itself.
    package static func underlying(_ error: any Error) -> any Error {
        if let wrapped = error as? PostgresTransactionError, let inner = wrapped.closureError ?? wrapped.beginError {
            return underlying(inner)
        }
        return error
    }

    /// Binds strings to a query's `$1`, `$2`, …
    package static func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    /// A stream that yields after every notification on `channel`, and once after each reconnection
    /// (notifications sent while disconnected are lost, so listeners must look for work then).
    /// The listening connection is opened with the first call and kept while this object lives.
    package func wakeups(channel: String) -> AsyncStream<Void> {
        let id = nextListener.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        listeners.withLock { $0[id] = continuation }
        listening.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in await self?.listen(channel: channel) }
        }
        return stream
    }

    /// Wakes this process's listeners at once (work made here need not wait for the round trip).
    package func wakeLocalListeners() {
        listeners.withLock { listeners in
            for continuation in listeners.values { continuation.yield() }
        }
    }

    private func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch location.sslMode {
        case "disable": .disable
        case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("search_path", location.schema)]
        return configuration
    }

    private func listen(channel: String) async {
        var delay = Duration.milliseconds(50)
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(), id: connectionID, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: channel) { notifications in
                    delay = .milliseconds(50)
                    wakeLocalListeners()
                    for try await _ in notifications { wakeLocalListeners() }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("listener disconnected; reconnecting", metadata: ["error": "\(PostgresStoreFailure(operation: "listen", error))"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}
