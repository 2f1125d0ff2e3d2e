public import Foundation
import GRDB
public import Logging
import PlatformSupport
import SQLiteStoreSupport

/// The embedded ``ForgeMetadataStore``: one SQLite file in WAL mode, through GRDB.
public final class SQLiteForgeStore: ForgeMetadataStore {
    private let database: SQLiteDatabase
    private let logger: Logger

    /// Opens (creating it, and its folder, when needed) the store at `path` and brings its schema up to date.
    public init(path: String, logger: Logger = Logger(label: "forgeworks.forge.store")) throws(ForgeError) {
        do {
            database = try SQLiteDatabase(path: path, migrator: Self.migrator, logger: logger)
        } catch {
            throw ForgeError(.store, "cannot open the database: \(error)", operation: "open forge store", path: path)
        }
        self.logger = logger
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    email TEXT NOT NULL,
                    password_hash TEXT,
                    is_admin INTEGER NOT NULL,
                    is_active INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    last_used_at REAL
                );
                CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
                CREATE TABLE repository_groups (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    description TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE repositories (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    kind TEXT NOT NULL,
                    is_private INTEGER NOT NULL,
                    description TEXT NOT NULL,
                    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    fork_of INTEGER REFERENCES repositories(id) ON DELETE SET NULL,
                    allowed_networks TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE repository_permissions (
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    level INTEGER NOT NULL,
                    PRIMARY KEY (repository_id, user_id)
                ) WITHOUT ROWID;
                CREATE INDEX repository_permissions_by_user ON repository_permissions(user_id);
                CREATE TABLE group_permissions (
                    group_id INTEGER NOT NULL REFERENCES repository_groups(id) ON DELETE CASCADE,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    level INTEGER NOT NULL,
                    PRIMARY KEY (group_id, user_id)
                ) WITHOUT ROWID;
                CREATE INDEX group_permissions_by_user ON group_permissions(user_id);
                """)
        }
        migrator.registerMigration("v2 webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhooks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    url TEXT NOT NULL,
                    secret TEXT,
                    is_active INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX webhooks_by_repository ON webhooks(repository_id);
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                    guid TEXT NOT NULL,
                    event TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at REAL,
                    response_status INTEGER,
                    last_error TEXT,
                    created_at REAL NOT NULL,
                    delivered_at REAL
                );
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
                CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);
                """)
        }
        migrator.registerMigration("v3 sessions") { db in
            try db.execute(sql: """
                CREATE TABLE web_sessions (
                    digest TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    expires_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);
                """)
        }
        migrator.registerMigration("v4 pipeline network and secrets") { db in
            try db.execute(sql: """
                ALTER TABLE repositories ADD COLUMN pipeline_network TEXT NOT NULL DEFAULT 'none';
                CREATE TABLE repository_secrets (
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (repository_id, name)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v5 push outbox") { db in
            try db.execute(sql: """
                CREATE TABLE push_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository_id INTEGER NOT NULL,
                    pusher TEXT,
                    updates TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE push_cursors (
                    consumer TEXT PRIMARY KEY,
                    last_id INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX webhook_deliveries_guid ON webhook_deliveries(webhook_id, guid);
                """)
        }
        migrator.registerMigration("v6 token scopes") { db in
            // Tokens made before scopes existed keep every right they had.
            try db.execute(sql: "ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin'")
        }
        migrator.registerMigration("v7 commit statuses") { db in
            try db.execute(sql: """
                CREATE TABLE commit_statuses (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    commit_id TEXT NOT NULL,
                    state TEXT NOT NULL,
                    context TEXT NOT NULL,
                    description TEXT NOT NULL,
                    target_url TEXT,
                    creator_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    run_id INTEGER,
                    created_at REAL NOT NULL
                );
                CREATE INDEX commit_statuses_by_commit ON commit_statuses(repository_id, commit_id, context, id);
                CREATE INDEX commit_statuses_by_run ON commit_statuses(run_id, id) WHERE run_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("v8 pull requests") { db in
            try db.execute(sql: """
                CREATE TABLE pull_requests (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    head_branch TEXT NOT NULL,
                    base_branch TEXT NOT NULL,
                    head_commit TEXT NOT NULL,
                    base_commit TEXT NOT NULL,
                    state TEXT NOT NULL,
                    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    merged_at REAL,
                    merge_commit TEXT,
                    merged_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    UNIQUE (repository_id, number)
                );
                CREATE INDEX pull_requests_by_state ON pull_requests(repository_id, state, number);
                """)
        }
        migrator.registerMigration("v9 reviews") { db in
            try db.execute(sql: """
                CREATE TABLE pull_reviews (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pull_id INTEGER NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
                    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    state TEXT NOT NULL,
                    body TEXT NOT NULL,
                    commit_id TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX pull_reviews_by_pull ON pull_reviews(pull_id, id);
                CREATE TABLE pull_comments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pull_id INTEGER NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
                    review_id INTEGER REFERENCES pull_reviews(id) ON DELETE CASCADE,
                    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    body TEXT NOT NULL,
                    path TEXT,
                    line INTEGER,
                    commit_id TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX pull_comments_by_pull ON pull_comments(pull_id, id);
                CREATE TABLE pull_review_requests (
                    pull_id INTEGER NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    PRIMARY KEY (pull_id, user_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v10 protected branches") { db in
            try db.execute(sql: """
                CREATE TABLE branch_protections (
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    pattern TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    PRIMARY KEY (repository_id, pattern)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v11 pull request dispatch") { db in
            try db.execute(sql: """
                ALTER TABLE pull_requests ADD COLUMN dispatched_head TEXT;
                CREATE INDEX pull_requests_by_head ON pull_requests(repository_id, head_branch) WHERE state = 'open';
                """)
        }
        migrator.registerMigration("v12 pull request events") { db in
            try db.execute(sql: """
                CREATE TABLE pull_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                    pull_id INTEGER NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
                    action TEXT NOT NULL,
                    actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v13 pull request event subjects") { db in
            try db.execute(sql: "ALTER TABLE pull_events ADD COLUMN subject_id INTEGER")
        }
        migrator.registerMigration("v14 pull requests from forks") { db in
            // No foreign key: a pull request from a fork that is deleted stays one (its head is kept in the base).
            try db.execute(sql: """
                ALTER TABLE pull_requests ADD COLUMN head_repository_id INTEGER;
                CREATE INDEX pull_requests_by_fork_head ON pull_requests(head_repository_id, head_branch) WHERE state = 'open' AND head_repository_id IS NOT NULL;
                """)
        }
        return migrator
    }

    // MARK: - Transactions

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(ForgeError) -> T {
        try await database.write(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(ForgeError) -> T {
        try await database.read(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    private static func failure(_ error: any Error & Sendable, cancelled: Bool, _ operation: String) -> ForgeError {
        if cancelled { return ForgeError(.cancelled, "cancelled", operation: operation, underlying: error) }
        if let database = error as? DatabaseError, database.resultCode == .SQLITE_CONSTRAINT {
            return ForgeError(.conflict, "the name is already taken (\(database.message ?? "constraint"))", operation: operation, underlying: error)
        }
        return ForgeError(.store, "\(error)", operation: operation, underlying: error)
    }

    private static func now() -> Double { Date().timeIntervalSince1970 }

    // MARK: - Users

    private static let userColumns = "id, name, email, is_admin, is_active, created_at"

    private static func user(_ row: Row, prefix: Int = 0) -> ForgeUser {
        ForgeUser(id: row[prefix], name: row[prefix + 1], email: row[prefix + 2], isAdmin: row[prefix + 3],
                  isActive: row[prefix + 4], createdAt: Date(timeIntervalSince1970: row[prefix + 5]))
    }

    public func createUser(name: String, email: String, passwordHash: String?, isAdmin: Bool) async throws(ForgeError) -> ForgeUser {
        try ForgeUser.validate(name: name)
        return try await write("create user") { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) != nil {
                throw ForgeError(.conflict, "a user named '\(name)' already exists", operation: "create user")
            }
            let created = Self.now()
            try db.execute(sql: """
                INSERT INTO users (name, email, password_hash, is_admin, is_active, created_at) VALUES (?, ?, ?, ?, 1, ?)
                """, arguments: [name, email, passwordHash, isAdmin, created])
            return ForgeUser(id: db.lastInsertedRowID, name: name, email: email, isAdmin: isAdmin, isActive: true,
                             createdAt: Date(timeIntervalSince1970: created))
        }
    }

    public func user(named name: String) async throws(ForgeError) -> ForgeUser? {
        try await read("read user") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.userColumns) FROM users WHERE name = ?", arguments: [name]).map { Self.user($0) }
        }
    }

    public func user(id: Int64) async throws(ForgeError) -> ForgeUser? {
        try await read("read user") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.userColumns) FROM users WHERE id = ?", arguments: [id]).map { Self.user($0) }
        }
    }

    public func users() async throws(ForgeError) -> [ForgeUser] {
        try await read("list users") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.userColumns) FROM users ORDER BY name").map { Self.user($0) }
        }
    }

    public func updateUser(_ user: ForgeUser) async throws(ForgeError) {
        try await write("update user") { db in
            try db.execute(sql: "UPDATE users SET email = ?, is_admin = ?, is_active = ? WHERE id = ?",
                           arguments: [user.email, user.isAdmin, user.isActive, user.id])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no user with id \(user.id)", operation: "update user") }
        }
    }

    public func setPasswordHash(userID: Int64, _ hash: String?) async throws(ForgeError) {
        try await write("set password") { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no user with id \(userID)", operation: "set password") }
        }
    }

    public func credentials(named name: String) async throws(ForgeError) -> (user: ForgeUser, passwordHash: String?)? {
        let found: (ForgeUser, String?)? = try await read("read credentials") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.userColumns), password_hash FROM users WHERE name = ?", arguments: [name])
                .map { (Self.user($0), $0[6]) }
        }
        guard let (user, hash) = found else { return nil }
        return (user, hash)
    }

    public func deleteUser(id: Int64) async throws(ForgeError) {
        try await write("delete user") { db in
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no user with id \(id)", operation: "delete user") }
        }
    }

    // MARK: - Tokens

    private static func token(_ row: Row) -> APIToken {
        APIToken(id: row[0], userID: row[1], name: row[2], createdAt: Date(timeIntervalSince1970: row[3]),
                 lastUsedAt: (row[4] as Double?).map(Date.init(timeIntervalSince1970:)),
                 scope: TokenScope(rawValue: row[5]) ?? .read)
    }

    public func createToken(userID: Int64, name: String, digest: String, scope: TokenScope) async throws(ForgeError) -> APIToken {
        try APIToken.validate(name: name)
        return try await write("create token") { db in
            let created = Self.now()
            try db.execute(sql: "INSERT INTO api_tokens (user_id, name, digest, created_at, scope) VALUES (?, ?, ?, ?, ?)",
                           arguments: [userID, name, digest, created, scope.rawValue])
            return APIToken(id: db.lastInsertedRowID, userID: userID, name: name,
                            createdAt: Date(timeIntervalSince1970: created), lastUsedAt: nil, scope: scope)
        }
    }

    public func tokens(userID: Int64) async throws(ForgeError) -> [APIToken] {
        try await read("list tokens") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, user_id, name, created_at, last_used_at, scope FROM api_tokens WHERE user_id = ? ORDER BY id DESC
                """, arguments: [userID]).map(Self.token)
        }
    }

    public func deleteToken(id: Int64, userID: Int64) async throws(ForgeError) {
        try await write("revoke token") { db in
            try db.execute(sql: "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", arguments: [id, userID])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no token \(id) of this user", operation: "revoke token") }
        }
    }

    public func user(tokenDigest: String) async throws(ForgeError) -> ForgeUser? {
        let found: (ForgeUser, Double?)? = try await read("authenticate token") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at, t.last_used_at, t.scope
                FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?
                """, arguments: [tokenDigest]) else { return nil }
            var user = Self.user(row)
            user.tokenScope = TokenScope(rawValue: row[7]) ?? .read
            return (user, row[6])
        }
        guard let (user, lastUsed) = found else { return nil }
        // Record use to the minute, so that a busy token does not write on every request.
        let now = Self.now()
        if (lastUsed ?? 0) < now - 60 {
            try await write("mark token used") { db in
                try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE digest = ?", arguments: [now, tokenDigest])
            }
        }
        return user
    }

    // MARK: - Groups

    private static func group(_ row: Row) throws -> RepositoryGroup {
        RepositoryGroup(id: row[0], path: try RepositoryPath(row[1] as String), description: row[2],
                        createdAt: Date(timeIntervalSince1970: row[3]))
    }

    /// Creates `path` and its missing ancestors; throws `conflict` when a repository holds one of the names.
    private static func ensureGroups(_ path: RepositoryPath, description: String, db: Database) throws -> RepositoryGroup {
        var result: RepositoryGroup?
        for level in path.ancestors + [path] {
            let text = level.description
            if try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE path = ?", arguments: [text]) != nil {
                throw ForgeError(.conflict, "'\(text)' is a repository, not a group", operation: "create group")
            }
            if let row = try Row.fetchOne(db, sql: "SELECT id, path, description, created_at FROM repository_groups WHERE path = ?",
                                          arguments: [text]) {
                result = try group(row)
                continue
            }
            let created = now()
            let text2 = level == path ? description : ""
            try db.execute(sql: "INSERT INTO repository_groups (path, description, created_at) VALUES (?, ?, ?)",
                           arguments: [text, text2, created])
            result = RepositoryGroup(id: db.lastInsertedRowID, path: level, description: text2, createdAt: Date(timeIntervalSince1970: created))
        }
        guard let result else { throw ForgeError(.store, "no group was created", operation: "create group") }
        return result
    }

    public func createGroup(_ path: RepositoryPath, description: String) async throws(ForgeError) -> RepositoryGroup {
        try await write("create group") { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM repository_groups WHERE path = ?", arguments: [path.description]) != nil {
                throw ForgeError(.conflict, "the group '\(path)' already exists", operation: "create group")
            }
            return try Self.ensureGroups(path, description: description, db: db)
        }
    }

    public func group(_ path: RepositoryPath) async throws(ForgeError) -> RepositoryGroup? {
        try await read("read group") { db in
            try Row.fetchOne(db, sql: "SELECT id, path, description, created_at FROM repository_groups WHERE path = ?",
                             arguments: [path.description]).map(Self.group)
        }
    }

    public func groups() async throws(ForgeError) -> [RepositoryGroup] {
        try await read("list groups") { db in
            try Row.fetchAll(db, sql: "SELECT id, path, description, created_at FROM repository_groups ORDER BY path").map(Self.group)
        }
    }

    public func deleteGroup(_ path: RepositoryPath) async throws(ForgeError) {
        try await write("delete group") { db in
            let prefix = Self.likePrefix(path)
            let inside = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM repositories WHERE path LIKE ? ESCAPE '\\')
                     + (SELECT count(*) FROM repository_groups WHERE path LIKE ? ESCAPE '\\')
                """, arguments: [prefix, prefix]) ?? 0
            guard inside == 0 else {
                throw ForgeError(.conflict, "the group '\(path)' is not empty", operation: "delete group")
            }
            try db.execute(sql: "DELETE FROM repository_groups WHERE path = ?", arguments: [path.description])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no group '\(path)'", operation: "delete group") }
        }
    }

    /// A LIKE pattern for everything strictly inside `path` (`_` is allowed in names, so it is escaped).
    private static func likePrefix(_ path: RepositoryPath) -> String {
        path.description.replacingOccurrences(of: "_", with: "\\_") + "/%"
    }

    // MARK: - Repositories

    private static let repositoryColumns = "id, path, kind, is_private, description, owner_id, fork_of, allowed_networks, created_at, pipeline_network"

    private static func repository(_ row: Row) throws -> RepositoryRecord {
        let (kind, networks, network) = try RepositoryRecord.storedFields(kind: row[2], networks: row[7], pipelineNetwork: row[9])
        return RepositoryRecord(id: row[0], path: try RepositoryPath(row[1] as String), kind: kind, isPrivate: row[3],
                                description: row[4], ownerID: row[5], forkOf: row[6], allowedNetworks: networks,
                                createdAt: Date(timeIntervalSince1970: row[8]), pipelineNetwork: network)
    }

    public func setPipelineNetwork(repositoryID: Int64, _ network: PipelineNetwork) async throws(ForgeError) {
        try await write("set pipeline network") { db in
            try db.execute(sql: "UPDATE repositories SET pipeline_network = ? WHERE id = ?", arguments: [network.rawValue, repositoryID])
            guard db.changesCount == 1 else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "set pipeline network")
            }
        }
    }

    // MARK: - Pipeline secrets

    public func setSecret(repositoryID: Int64, name: String, value: String) async throws(ForgeError) {
        try RepositorySecret.validate(name: name)
        try RepositorySecret.validate(value: value)
        try await write("set secret") { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE id = ?", arguments: [repositoryID]) != nil else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "set secret")
            }
            try db.execute(sql: """
                INSERT INTO repository_secrets (repository_id, name, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (repository_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [repositoryID, name, value, Date().timeIntervalSince1970])
        }
    }

    public func deleteSecret(repositoryID: Int64, name: String) async throws(ForgeError) {
        try await write("delete secret") { db in
            try db.execute(sql: "DELETE FROM repository_secrets WHERE repository_id = ? AND name = ?", arguments: [repositoryID, name])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no secret '\(name)'", operation: "delete secret") }
        }
    }

    public func secrets(repositoryID: Int64) async throws(ForgeError) -> [RepositorySecret] {
        try await read("read secrets") { db in
            try Row.fetchAll(db, sql: "SELECT name, updated_at FROM repository_secrets WHERE repository_id = ? ORDER BY name",
                             arguments: [repositoryID]).map { RepositorySecret(name: $0[0], updatedAt: Date(timeIntervalSince1970: $0[1])) }
        }
    }

    public func secretValues(repositoryID: Int64) async throws(ForgeError) -> [String: String] {
        try await read("read secrets") { db in
            var values: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM repository_secrets WHERE repository_id = ?", arguments: [repositoryID]) {
                values[row[0]] = row[1]
            }
            return values
        }
    }

    private static func checkFree(_ path: RepositoryPath, db: Database, operation: String) throws {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE path = ?", arguments: [path.description]) != nil {
            throw ForgeError(.conflict, "a repository named '\(path)' already exists", operation: operation)
        }
        if try Row.fetchOne(db, sql: "SELECT 1 FROM repository_groups WHERE path = ?", arguments: [path.description]) != nil {
            throw ForgeError(.conflict, "'\(path)' is a repository group", operation: operation)
        }
        if let parent = path.parent { _ = try ensureGroups(parent, description: "", db: db) }
    }

    public func insertRepository(path: RepositoryPath, kind: RepositoryKind, isPrivate: Bool, description: String,
                                 ownerID: Int64?, forkOf: Int64?) async throws(ForgeError) -> RepositoryRecord {
        try await write("create repository") { db in
            try Self.checkFree(path, db: db, operation: "create repository")
            let created = Self.now()
            try db.execute(sql: """
                INSERT INTO repositories (path, kind, is_private, description, owner_id, fork_of, allowed_networks, created_at)
                VALUES (?, ?, ?, ?, ?, ?, '', ?)
                """, arguments: [path.description, kind.rawValue, isPrivate, description, ownerID, forkOf, created])
            return RepositoryRecord(id: db.lastInsertedRowID, path: path, kind: kind, isPrivate: isPrivate, description: description,
                                    ownerID: ownerID, forkOf: forkOf, allowedNetworks: [], createdAt: Date(timeIntervalSince1970: created))
        }
    }

    public func repository(_ path: RepositoryPath) async throws(ForgeError) -> RepositoryRecord? {
        try await read("read repository") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories WHERE path = ?",
                             arguments: [path.description]).map(Self.repository)
        }
    }

    public func repository(id: Int64) async throws(ForgeError) -> RepositoryRecord? {
        try await read("read repository") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories WHERE id = ?", arguments: [id]).map(Self.repository)
        }
    }

    public func repositories() async throws(ForgeError) -> [RepositoryRecord] {
        try await read("list repositories") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories ORDER BY path").map(Self.repository)
        }
    }

    public func updateRepository(_ repository: RepositoryRecord) async throws(ForgeError) {
        try await write("update repository") { db in
            try db.execute(sql: "UPDATE repositories SET is_private = ?, description = ?, allowed_networks = ? WHERE id = ?",
                           arguments: [repository.isPrivate, repository.description,
                                       repository.storedNetworks, repository.id])
            guard db.changesCount == 1 else {
                throw ForgeError(.notFound, "no repository with id \(repository.id)", operation: "update repository")
            }
        }
    }

    public func renameRepository(id: Int64, to path: RepositoryPath) async throws(ForgeError) -> RepositoryRecord {
        try await write("rename repository") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories WHERE id = ?", arguments: [id]) else {
                throw ForgeError(.notFound, "no repository with id \(id)", operation: "rename repository")
            }
            var record = try Self.repository(row)
            if record.path.description.lowercased() != path.description.lowercased() {
                try Self.checkFree(path, db: db, operation: "rename repository")
            }
            try db.execute(sql: "UPDATE repositories SET path = ? WHERE id = ?", arguments: [path.description, id])
            record.path = path
            return record
        }
    }

    public func deleteRepository(id: Int64) async throws(ForgeError) {
        try await write("delete repository") { db in
            try db.execute(sql: "DELETE FROM repositories WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no repository with id \(id)", operation: "delete repository") }
        }
    }

    // MARK: - Permissions

    private static func targetID(_ target: PermissionTarget, db: Database, operation: String) throws -> (table: String, column: String, id: Int64) {
        switch target {
        case .repository(let path):
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM repositories WHERE path = ?", arguments: [path.description]) else {
                throw ForgeError(.notFound, "no repository '\(path)'", operation: operation)
            }
            return ("repository_permissions", "repository_id", id)
        case .group(let path):
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM repository_groups WHERE path = ?", arguments: [path.description]) else {
                throw ForgeError(.notFound, "no group '\(path)'", operation: operation)
            }
            return ("group_permissions", "group_id", id)
        }
    }

    public func setPermission(userID: Int64, on target: PermissionTarget, level: AccessLevel?) async throws(ForgeError) {
        try await write("set permission") { db in
            let (table, column, id) = try Self.targetID(target, db: db, operation: "set permission")
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [userID]) != nil else {
                throw ForgeError(.notFound, "no user with id \(userID)", operation: "set permission")
            }
            if let level {
                try db.execute(sql: """
                    INSERT INTO \(table) (\(column), user_id, level) VALUES (?, ?, ?)
                    ON CONFLICT (\(column), user_id) DO UPDATE SET level = excluded.level
                    """, arguments: [id, userID, level.rawValue])
            } else {
                try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ? AND user_id = ?", arguments: [id, userID])
            }
        }
    }

    public func permissions(on target: PermissionTarget) async throws(ForgeError) -> [PermissionGrant] {
        try await read("list permissions") { db in
            let (table, column, id) = try Self.targetID(target, db: db, operation: "list permissions")
            return try Row.fetchAll(db, sql: """
                SELECT u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at, p.level
                FROM \(table) p JOIN users u ON u.id = p.user_id WHERE p.\(column) = ? ORDER BY u.name
                """, arguments: [id]).map { row in
                PermissionGrant(user: Self.user(row), level: AccessLevel(rawValue: row[6]) ?? .none)
            }
        }
    }

    public func permissionFacts(repository path: RepositoryPath, userID: Int64?) async throws(ForgeError) -> PermissionFacts? {
        try await read("read permissions") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories WHERE path = ?",
                                             arguments: [path.description]) else { return nil }
            let repository = try Self.repository(row)
            return try Self.facts(for: repository, userID: userID, db: db)
        }
    }

    public func permissionFacts(userID: Int64?) async throws(ForgeError) -> [PermissionFacts] {
        try await read("read permissions") { db in
            let repositories = try Row.fetchAll(db, sql: "SELECT \(Self.repositoryColumns) FROM repositories ORDER BY path").map(Self.repository)
            guard let userID, let user = try Row.fetchOne(db, sql: "SELECT \(Self.userColumns) FROM users WHERE id = ?",
                                                            arguments: [userID]).map({ Self.user($0) }) else {
                return PermissionFacts.listing(repositories, user: nil, direct: [:], byGroup: [:])
            }
            var direct: [Int64: AccessLevel] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT repository_id, level FROM repository_permissions WHERE user_id = ?", arguments: [userID]) {
                direct[row[0]] = AccessLevel(rawValue: row[1])
            }
            var byGroup: [String: AccessLevel] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT g.path, p.level FROM group_permissions p JOIN repository_groups g ON g.id = p.group_id WHERE p.user_id = ?
                """, arguments: [userID]) {
                byGroup[(row[0] as String).lowercased()] = AccessLevel(rawValue: row[1])
            }
            return PermissionFacts.listing(repositories, user: user, direct: direct, byGroup: byGroup)
        }
    }

    private static func facts(for repository: RepositoryRecord, userID: Int64?, db: Database) throws -> PermissionFacts {
        guard let userID, let user = try Row.fetchOne(db, sql: "SELECT \(userColumns) FROM users WHERE id = ?",
                                                        arguments: [userID]).map({ Self.user($0) }) else {
            return PermissionFacts(repository: repository, user: nil, repositoryLevel: nil, groupLevels: [])
        }
        let direct = try Int.fetchOne(db, sql: "SELECT level FROM repository_permissions WHERE repository_id = ? AND user_id = ?",
                                      arguments: [repository.id, userID]).flatMap(AccessLevel.init(rawValue:))
        var groupLevels: [AccessLevel?] = []
        for ancestor in repository.path.ancestors {
            let level = try Int.fetchOne(db, sql: """
                SELECT p.level FROM group_permissions p JOIN repository_groups g ON g.id = p.group_id
                WHERE g.path = ? AND p.user_id = ?
                """, arguments: [ancestor.description, userID]).flatMap(AccessLevel.init(rawValue:))
            groupLevels.append(level)
        }
        return PermissionFacts(repository: repository, user: user, repositoryLevel: direct, groupLevels: groupLevels)
    }

    // MARK: - Webhooks

    private static func webhook(_ row: Row, at offset: Int = 0) -> RepositoryWebhook {
        RepositoryWebhook(id: row[offset], repositoryID: row[offset + 1], url: row[offset + 2], secret: row[offset + 3],
                          isActive: row[offset + 4], createdAt: Date(timeIntervalSince1970: row[offset + 5]))
    }

    private static let deliveryColumns = """
        id, webhook_id, guid, event, payload, state, attempts, next_attempt_at, response_status, last_error, created_at, delivered_at
        """

    private static func delivery(_ row: Row) -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(id: row[0], webhookID: row[1], guid: row[2], event: row[3], payload: [UInt8](row[4] as Data),
                              state: WebhookDeliveryRecord.State(rawValue: row[5]) ?? .failed, attempts: row[6],
                              nextAttemptAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)), responseStatus: row[8],
                              lastError: row[9], createdAt: Date(timeIntervalSince1970: row[10]),
                              deliveredAt: (row[11] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func createWebhook(repositoryID: Int64, url: String, secret: String?) async throws(ForgeError) -> RepositoryWebhook {
        try RepositoryWebhook.validate(url: url, secret: secret, operation: "create webhook")
        return try await write("create webhook") { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE id = ?", arguments: [repositoryID]) != nil else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "create webhook")
            }
            let created = Self.now()
            try db.execute(sql: "INSERT INTO webhooks (repository_id, url, secret, is_active, created_at) VALUES (?, ?, ?, 1, ?)",
                           arguments: [repositoryID, url, secret, created])
            return RepositoryWebhook(id: db.lastInsertedRowID, repositoryID: repositoryID, url: url, secret: secret, isActive: true,
                                     createdAt: Date(timeIntervalSince1970: created))
        }
    }

    public func webhooks(repositoryID: Int64) async throws(ForgeError) -> [RepositoryWebhook] {
        try await read("list webhooks") { db in
            try Row.fetchAll(db, sql: "SELECT id, repository_id, url, secret, is_active, created_at FROM webhooks WHERE repository_id = ? ORDER BY id",
                             arguments: [repositoryID]).map { Self.webhook($0) }
        }
    }

    public func updateWebhook(_ webhook: RepositoryWebhook) async throws(ForgeError) {
        try RepositoryWebhook.validate(url: webhook.url, secret: webhook.secret, operation: "update webhook")
        try await write("update webhook") { db in
            try db.execute(sql: "UPDATE webhooks SET url = ?, secret = ?, is_active = ? WHERE id = ? AND repository_id = ?",
                           arguments: [webhook.url, webhook.secret, webhook.isActive, webhook.id, webhook.repositoryID])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no webhook with id \(webhook.id)", operation: "update webhook") }
        }
    }

    public func deleteWebhook(id: Int64) async throws(ForgeError) {
        try await write("delete webhook") { db in
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no webhook with id \(id)", operation: "delete webhook") }
        }
    }

    public func enqueueDelivery(webhookID: Int64, event: String, payload: [UInt8], guid: String?) async throws(ForgeError) -> WebhookDeliveryRecord? {
        try await write("queue delivery") { db in
            let created = Self.now()
            let guid = guid ?? UUID().uuidString.lowercased()
            try db.execute(sql: """
                INSERT INTO webhook_deliveries (webhook_id, guid, event, payload, state, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (webhook_id, guid) DO NOTHING
                """, arguments: [webhookID, guid, event, Data(payload), created, created])
            guard db.changesCount == 1 else { return nil }
            return WebhookDeliveryRecord(id: db.lastInsertedRowID, webhookID: webhookID, guid: guid, event: event, payload: payload,
                                         state: .pending, attempts: 0, nextAttemptAt: Date(timeIntervalSince1970: created),
                                         responseStatus: nil, lastError: nil, createdAt: Date(timeIntervalSince1970: created), deliveredAt: nil)
        }
    }

    public func dueDeliveries(now: Date, limit: Int) async throws(ForgeError) -> [(WebhookDeliveryRecord, RepositoryWebhook)] {
        let rows: [(WebhookDeliveryRecord, RepositoryWebhook)] = try await read("read due deliveries") { db in
            try Row.fetchAll(db, sql: """
                SELECT d.id, d.webhook_id, d.guid, d.event, d.payload, d.state, d.attempts, d.next_attempt_at, d.response_status,
                       d.last_error, d.created_at, d.delivered_at, w.id, w.repository_id, w.url, w.secret, w.is_active, w.created_at
                FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND w.is_active = 1
                ORDER BY d.next_attempt_at, d.id LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map { (Self.delivery($0), Self.webhook($0, at: 12)) }
        }
        return rows
    }

    public func recordAttempt(deliveryID: Int64, status: Int?, error: String?, delivered: Bool, retryAt: Date?) async throws(ForgeError) {
        try await write("record delivery attempt") { db in
            let state = WebhookDeliveryRecord.State.after(delivered: delivered, retryAt: retryAt).rawValue
            try db.execute(sql: """
                UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, response_status = ?,
                       last_error = ?, delivered_at = ? WHERE id = ?
                """, arguments: [state, delivered ? nil : retryAt?.timeIntervalSince1970, status, error,
                                 delivered ? Self.now() : nil, deliveryID])
        }
    }

    public func deliveries(webhookID: Int64, limit: Int) async throws(ForgeError) -> [WebhookDeliveryRecord] {
        try await read("list deliveries") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
                             arguments: [webhookID, limit]).map(Self.delivery)
        }
    }

    // MARK: - Pull requests

    private static let pullColumns = """
        p.id, p.repository_id, p.number, p.title, p.body, p.head_branch, p.base_branch, p.head_commit, p.base_commit, p.state, \
        p.created_at, p.updated_at, p.merged_at, p.merge_commit, \
        a.id, a.name, a.email, a.is_admin, a.is_active, a.created_at, \
        m.id, m.name, m.email, m.is_admin, m.is_active, m.created_at, p.head_repository_id
        """
    private static let pullFrom = "FROM pull_requests p LEFT JOIN users a ON a.id = p.author_id LEFT JOIN users m ON m.id = p.merged_by"

    private static func pull(_ row: Row) -> PullRequest {
        let authorID: Int64? = row[14], mergerID: Int64? = row[20], mergedAt: Double? = row[12]
        return PullRequest(id: row[0], repositoryID: row[1], number: row[2], title: row[3], body: row[4], headBranch: row[5], baseBranch: row[6],
                           headCommit: row[7], baseCommit: row[8], state: PullRequestState(rawValue: row[9]) ?? .closed,
                           author: authorID == nil ? nil : Self.user(row, prefix: 14), createdAt: Date(timeIntervalSince1970: row[10]),
                           updatedAt: Date(timeIntervalSince1970: row[11]), mergedAt: mergedAt.map { Date(timeIntervalSince1970: $0) },
                           mergeCommit: row[13], mergedBy: mergerID == nil ? nil : Self.user(row, prefix: 20), headRepositoryID: row[26])
    }

    /// Records a pull request event in the caller's transaction.
    private static func recordPullEvent(_ db: Database, pullID: Int64, action: String, actorID: Int64?, subjectID: Int64? = nil) throws {
        try db.execute(sql: """
            INSERT INTO pull_events (repository_id, pull_id, action, actor_id, subject_id, created_at)
            SELECT repository_id, id, ?, ?, ?, ? FROM pull_requests WHERE id = ?
            """, arguments: [action, actorID, subjectID, now(), pullID])
    }

    public func pullEvents(after id: Int64, limit: Int) async throws(ForgeError) -> [PullEvent] {
        try await read("read pull request events") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, repository_id, pull_id, action, actor_id, created_at, subject_id FROM pull_events WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [id, limit]).map {
                PullEvent(id: $0[0], repositoryID: $0[1], pullID: $0[2], action: $0[3], actorID: $0[4], subjectID: $0[6],
                          createdAt: Date(timeIntervalSince1970: $0[5]))
            }
        }
    }

    private static func fetchPull(_ db: Database, id: Int64, operation: String) throws -> PullRequest {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(pullColumns) \(pullFrom) WHERE p.id = ?", arguments: [id]) else {
            throw ForgeError(.notFound, "no pull request with id \(id)", operation: operation)
        }
        return pull(row)
    }

    /// `state IN (…)` for a set of states (nothing when nil).
    private static func stateFilter(_ states: Set<PullRequestState>?) -> (sql: String, arguments: [String]) {
        guard let states else { return ("", []) }
        let sorted = states.map(\.rawValue).sorted()
        return (" AND p.state IN (" + Array(repeating: "?", count: sorted.count).joined(separator: ", ") + ")", sorted)
    }

    public func createPullRequest(repositoryID: Int64, _ new: NewPullRequest, authorID: Int64?) async throws(ForgeError) -> PullRequest {
        try new.validate()
        return try await write("open pull request") { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE id = ?", arguments: [repositoryID]) != nil else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "open pull request")
            }
            if let number = try Int64.fetchOne(db, sql: """
                SELECT number FROM pull_requests WHERE repository_id = ? AND head_branch = ? AND base_branch = ? AND state = 'open'
                AND head_repository_id IS ?
                """, arguments: [repositoryID, new.headBranch, new.baseBranch, new.headRepositoryID]) {
                throw ForgeError(.conflict, "pull request #\(number) already merges \(new.headBranch) into \(new.baseBranch)", operation: "open pull request")
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT MAX(number) FROM pull_requests WHERE repository_id = ?", arguments: [repositoryID]) ?? 0) + 1
            let now = Self.now()
            try db.execute(sql: """
                INSERT INTO pull_requests (repository_id, number, title, body, head_branch, base_branch, head_commit, base_commit, state, author_id,
                                           created_at, updated_at, head_repository_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)
                """, arguments: [repositoryID, number, new.title, new.body, new.headBranch, new.baseBranch, new.headCommit, new.baseCommit,
                                 authorID, now, now, new.headRepositoryID])
            let id = db.lastInsertedRowID
            try Self.recordPullEvent(db, pullID: id, action: "opened", actorID: authorID)
            return try Self.fetchPull(db, id: id, operation: "open pull request")
        }
    }

    public func pullRequest(repositoryID: Int64, number: Int64) async throws(ForgeError) -> PullRequest? {
        try await read("read pull request") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.pullColumns) \(Self.pullFrom) WHERE p.repository_id = ? AND p.number = ?",
                             arguments: [repositoryID, number]).map(Self.pull)
        }
    }

    public func pullRequest(id: Int64) async throws(ForgeError) -> PullRequest? {
        try await read("read pull request") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.pullColumns) \(Self.pullFrom) WHERE p.id = ?", arguments: [id]).map(Self.pull)
        }
    }

    public func pullRequests(repositoryID: Int64, states: Set<PullRequestState>?, limit: Int, offset: Int) async throws(ForgeError) -> [PullRequest] {
        let filter = Self.stateFilter(states)
        return try await read("list pull requests") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.pullColumns) \(Self.pullFrom) WHERE p.repository_id = ?\(filter.sql) ORDER BY p.number DESC LIMIT ? OFFSET ?",
                             arguments: StatementArguments([repositoryID] as [any DatabaseValueConvertible] + filter.arguments + [limit, offset])).map(Self.pull)
        }
    }

    public func pullRequestCount(repositoryID: Int64, states: Set<PullRequestState>?) async throws(ForgeError) -> Int {
        let filter = Self.stateFilter(states)
        return try await read("count pull requests") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pull_requests p WHERE p.repository_id = ?\(filter.sql)",
                             arguments: StatementArguments([repositoryID] as [any DatabaseValueConvertible] + filter.arguments)) ?? 0
        }
    }

    public func updatePullRequest(id: Int64, title: String, body: String, state: PullRequestState, headCommit: String, actorID: Int64?) async throws(ForgeError) -> PullRequest {
        _ = try PullRequest.editAction(title: title, body: body, from: nil, to: state)
        return try await write("edit pull request") { db in
            let current = try Self.fetchPull(db, id: id, operation: "edit pull request")
            guard current.state != .merged else { throw ForgeError(.conflict, "pull request #\(current.number) is merged", operation: "edit pull request") }
            try db.execute(sql: "UPDATE pull_requests SET title = ?, body = ?, state = ?, head_commit = ?, updated_at = ? WHERE id = ?",
                           arguments: [title, body, state.rawValue, headCommit, Self.now(), id])
            let action = try PullRequest.editAction(title: title, body: body, from: current.state, to: state)
            try Self.recordPullEvent(db, pullID: id, action: action, actorID: actorID)
            return try Self.fetchPull(db, id: id, operation: "edit pull request")
        }
    }

    public func markPullRequestMerged(id: Int64, mergeCommit: String, headCommit: String, mergedByID: Int64?) async throws(ForgeError) -> PullRequest {
        try await write("merge pull request") { db in
            let now = Self.now()
            try db.execute(sql: """
                UPDATE pull_requests SET state = 'merged', merge_commit = ?, head_commit = ?, merged_by = ?, merged_at = ?, updated_at = ?
                WHERE id = ? AND state = 'open'
                """, arguments: [mergeCommit, headCommit, mergedByID, now, now, id])
            guard db.changesCount == 1 else { throw ForgeError(.conflict, "the pull request is no longer open", operation: "merge pull request") }
            try Self.recordPullEvent(db, pullID: id, action: "merged", actorID: mergedByID)
            return try Self.fetchPull(db, id: id, operation: "merge pull request")
        }
    }

    public func recordPullRequestHeads(repositoryID: Int64, branch: String, commit: String) async throws(ForgeError) -> Int {
        try await write("update pull request heads") { db in
            let moved = try Int64.fetchAll(db, sql: """
                SELECT id FROM pull_requests WHERE COALESCE(head_repository_id, repository_id) = ? AND head_branch = ? AND state = 'open' AND head_commit != ?
                """, arguments: [repositoryID, branch, commit])
            for id in moved {
                try db.execute(sql: "UPDATE pull_requests SET head_commit = ?, updated_at = ? WHERE id = ?", arguments: [commit, Self.now(), id])
                try Self.recordPullEvent(db, pullID: id, action: "synchronize", actorID: nil)
            }
            return moved.count
        }
    }

    public func pullRequestsToDispatch(limit: Int) async throws(ForgeError) -> [(pull: PullRequest, dispatched: String?)] {
        try await read("list pull requests to dispatch") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.pullColumns), p.dispatched_head \(Self.pullFrom)
                WHERE p.state = 'open' AND (p.dispatched_head IS NULL OR p.dispatched_head != p.head_commit) ORDER BY p.id LIMIT ?
                """, arguments: [limit]).map { (Self.pull($0), $0[27]) }
        }
    }

    public func openPullRequests(headRepositoryID: Int64, branch: String) async throws(ForgeError) -> [PullRequest] {
        try await read("list pull requests from a branch") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.pullColumns) \(Self.pullFrom)
                WHERE COALESCE(p.head_repository_id, p.repository_id) = ? AND p.head_branch = ? AND p.state = 'open' ORDER BY p.id
                """, arguments: [headRepositoryID, branch]).map(Self.pull)
        }
    }

    public func markPullRequestDispatched(id: Int64, commit: String) async throws(ForgeError) {
        try await write("mark pull request dispatched") { db in
            try db.execute(sql: "UPDATE pull_requests SET dispatched_head = ? WHERE id = ?", arguments: [commit, id])
        }
    }

    // MARK: - Reviews and comments

    private static let commentColumns = """
        c.id, c.pull_id, c.body, c.path, c.line, c.commit_id, c.review_id, c.created_at, u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at
        """

    private static func comment(_ row: Row) -> PullComment {
        let authorID: Int64? = row[8]
        return PullComment(id: row[0], pullID: row[1], author: authorID == nil ? nil : Self.user(row, prefix: 8), body: row[2], path: row[3],
                           line: row[4], commit: row[5], reviewID: row[6], createdAt: Date(timeIntervalSince1970: row[7]))
    }

    private static func insertComment(_ db: Database, pullID: Int64, _ comment: NewPullComment, authorID: Int64?, reviewID: Int64?) throws -> PullComment {
        try db.execute(sql: """
            INSERT INTO pull_comments (pull_id, review_id, author_id, body, path, line, commit_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [pullID, reviewID, authorID, comment.body, comment.path, comment.line, comment.commit, now()])
        guard let row = try Row.fetchOne(db, sql: "SELECT \(commentColumns) FROM pull_comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.id = ?",
                                         arguments: [db.lastInsertedRowID]) else {
            throw ForgeError(.store, "the new comment cannot be read back", operation: "comment")
        }
        return Self.comment(row)
    }

    private static func requirePull(_ db: Database, _ pullID: Int64, operation: String) throws {
        guard try Row.fetchOne(db, sql: "SELECT 1 FROM pull_requests WHERE id = ?", arguments: [pullID]) != nil else {
            throw ForgeError(.notFound, "no pull request with id \(pullID)", operation: operation)
        }
    }

    public func addPullComment(pullID: Int64, _ comment: NewPullComment, authorID: Int64?, reviewID: Int64?) async throws(ForgeError) -> PullComment {
        try comment.validate()
        return try await write("comment") { db in
            try Self.requirePull(db, pullID, operation: "comment")
            let made = try Self.insertComment(db, pullID: pullID, comment, authorID: authorID, reviewID: reviewID)
            if reviewID == nil { try Self.recordPullEvent(db, pullID: pullID, action: "commented", actorID: authorID, subjectID: made.id) }
            return made
        }
    }

    public func pullComments(pullID: Int64) async throws(ForgeError) -> [PullComment] {
        try await read("list comments") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.commentColumns) FROM pull_comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.pull_id = ? ORDER BY c.id",
                             arguments: [pullID]).map(Self.comment)
        }
    }

    private static let reviewColumns = "r.id, r.pull_id, r.state, r.body, r.commit_id, r.created_at, u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at"

    private static func review(_ row: Row) -> PullReview {
        let authorID: Int64? = row[6]
        return PullReview(id: row[0], pullID: row[1], author: authorID == nil ? nil : Self.user(row, prefix: 6),
                          state: ReviewState(rawValue: row[2]) ?? .comment, body: row[3], commit: row[4], createdAt: Date(timeIntervalSince1970: row[5]))
    }

    public func addPullReview(pullID: Int64, state: ReviewState, body: String, commit: String, authorID: Int64?,
                              comments: [NewPullComment]) async throws(ForgeError) -> PullReview {
        try PullReview.validate(body: body, commit: commit, comments: comments)
        return try await write("review") { db in
            try Self.requirePull(db, pullID, operation: "review")
            try db.execute(sql: "INSERT INTO pull_reviews (pull_id, author_id, state, body, commit_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [pullID, authorID, state.rawValue, body, commit, Self.now()])
            let id = db.lastInsertedRowID
            for comment in comments { _ = try Self.insertComment(db, pullID: pullID, comment, authorID: authorID, reviewID: id) }
            try Self.recordPullEvent(db, pullID: pullID, action: "reviewed", actorID: authorID, subjectID: id)
            if let authorID {
                try db.execute(sql: "DELETE FROM pull_review_requests WHERE pull_id = ? AND user_id = ?", arguments: [pullID, authorID])
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.reviewColumns) FROM pull_reviews r LEFT JOIN users u ON u.id = r.author_id WHERE r.id = ?",
                                             arguments: [id]) else {
                throw ForgeError(.store, "the new review cannot be read back", operation: "review")
            }
            return Self.review(row)
        }
    }

    public func pullReviews(pullID: Int64) async throws(ForgeError) -> [PullReview] {
        try await read("list reviews") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.reviewColumns) FROM pull_reviews r LEFT JOIN users u ON u.id = r.author_id WHERE r.pull_id = ? ORDER BY r.id",
                             arguments: [pullID]).map(Self.review)
        }
    }

    public func setReviewRequests(pullID: Int64, userIDs: [Int64]) async throws(ForgeError) {
        try await write("request reviews") { db in
            try Self.requirePull(db, pullID, operation: "request reviews")
            try db.execute(sql: "DELETE FROM pull_review_requests WHERE pull_id = ?", arguments: [pullID])
            for id in Set(userIDs) {
                try db.execute(sql: "INSERT INTO pull_review_requests (pull_id, user_id) VALUES (?, ?)", arguments: [pullID, id])
            }
        }
    }

    public func reviewRequests(pullID: Int64) async throws(ForgeError) -> [ForgeUser] {
        try await read("list review requests") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.userColumns.split(separator: ",").map { "u." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM pull_review_requests q JOIN users u ON u.id = q.user_id WHERE q.pull_id = ? ORDER BY u.name
                """, arguments: [pullID]).map { Self.user($0) }
        }
    }

    // MARK: - Protected branches

    public func branchProtections(repositoryID: Int64) async throws(ForgeError) -> [BranchProtection] {
        let texts = try await read("read protected branches") { db in
            try String.fetchAll(db, sql: "SELECT rule FROM branch_protections WHERE repository_id = ? ORDER BY pattern", arguments: [repositoryID])
        }
        return try texts.map { text throws(ForgeError) in try BranchProtection(storedText: text) }
    }

    public func saveBranchProtection(repositoryID: Int64, _ rule: BranchProtection) async throws(ForgeError) {
        try rule.validate()
        let text = try rule.storedText()
        try await write("protect branch") { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE id = ?", arguments: [repositoryID]) != nil else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "protect branch")
            }
            try db.execute(sql: "INSERT INTO branch_protections (repository_id, pattern, rule) VALUES (?, ?, ?) ON CONFLICT (repository_id, pattern) DO UPDATE SET rule = excluded.rule",
                           arguments: [repositoryID, rule.pattern, text])
        }
    }

    public func deleteBranchProtection(repositoryID: Int64, pattern: String) async throws(ForgeError) {
        try await write("unprotect branch") { db in
            try db.execute(sql: "DELETE FROM branch_protections WHERE repository_id = ? AND pattern = ?", arguments: [repositoryID, pattern])
            guard db.changesCount == 1 else { throw ForgeError(.notFound, "no rule '\(pattern)'", operation: "unprotect branch") }
        }
    }

    // MARK: - Commit statuses

    private static let statusColumns = """
        s.id, s.repository_id, s.commit_id, s.state, s.context, s.description, s.target_url, s.run_id, s.created_at, \
        u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at
        """

    private static func status(_ row: Row) -> CommitStatus {
        let creatorID: Int64? = row[9]
        return CommitStatus(id: row[0], repositoryID: row[1], commit: row[2], state: CommitStatusState(rawValue: row[3]) ?? .error,
                            context: row[4], description: row[5], targetURL: row[6], creator: creatorID == nil ? nil : Self.user(row, prefix: 9),
                            runID: row[7], createdAt: Date(timeIntervalSince1970: row[8]))
    }

    public func createCommitStatus(repositoryID: Int64, commit: String, _ status: NewCommitStatus, creatorID: Int64?,
                                   runID: Int64?) async throws(ForgeError) -> CommitStatus {
        let targetURL = try status.checked(commit: commit)
        return try await write("create commit status") { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE id = ?", arguments: [repositoryID]) != nil else {
                throw ForgeError(.notFound, "no repository with id \(repositoryID)", operation: "create commit status")
            }
            try db.execute(sql: """
                INSERT INTO commit_statuses (repository_id, commit_id, state, context, description, target_url, creator_id, run_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [repositoryID, commit, status.state.rawValue, status.context, status.description, targetURL, creatorID, runID, Self.now()])
            let id = db.lastInsertedRowID
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.statusColumns) FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id WHERE s.id = ?",
                                             arguments: [id]) else {
                throw ForgeError(.store, "the new status \(id) cannot be read back", operation: "create commit status")
            }
            return Self.status(row)
        }
    }

    public func commitStatuses(repositoryID: Int64, commit: String, limit: Int, offset: Int) async throws(ForgeError) -> [CommitStatus] {
        try await read("list commit statuses") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.statusColumns) FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id
                WHERE s.repository_id = ? AND s.commit_id = ? ORDER BY s.id DESC LIMIT ? OFFSET ?
                """, arguments: [repositoryID, commit, limit, offset]).map(Self.status)
        }
    }

    public func commitStatusCount(repositoryID: Int64, commit: String) async throws(ForgeError) -> Int {
        try await read("count commit statuses") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM commit_statuses WHERE repository_id = ? AND commit_id = ?",
                             arguments: [repositoryID, commit]) ?? 0
        }
    }

    public func latestCommitStatuses(repositoryID: Int64, commits: [String]) async throws(ForgeError) -> [String: [CommitStatus]] {
        let wanted = CommitStatus.lookupCommits(commits)
        guard !wanted.isEmpty else { return [:] }
        return try await read("read latest commit statuses") { db in
            let marks = Array(repeating: "?", count: wanted.count).joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(Self.statusColumns) FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id
                WHERE s.repository_id = ? AND s.commit_id IN (\(marks))
                AND s.id = (SELECT MAX(t.id) FROM commit_statuses t
                            WHERE t.repository_id = s.repository_id AND t.commit_id = s.commit_id AND t.context = s.context)
                ORDER BY s.context
                """, arguments: StatementArguments([repositoryID] + wanted))
            return Dictionary(grouping: rows.map(Self.status), by: \.commit)
        }
    }

    public func runStatuses(runIDs: [Int64]) async throws(ForgeError) -> [Int64: CommitStatusState] {
        guard !runIDs.isEmpty else { return [:] }
        return try await read("read run statuses") { db in
            let marks = Array(repeating: "?", count: runIDs.count).joined(separator: ", ")
            var states: [Int64: CommitStatusState] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.run_id, s.state FROM commit_statuses s
                WHERE s.run_id IN (\(marks)) AND s.id = (SELECT MAX(t.id) FROM commit_statuses t WHERE t.run_id = s.run_id)
                """, arguments: StatementArguments(runIDs)) {
                states[row[0]] = CommitStatusState(rawValue: row[1])
            }
            return states
        }
    }

    public func pendingRunStatuses(limit: Int) async throws(ForgeError) -> [CommitStatus] {
        try await read("list pending run statuses") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.statusColumns) FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id
                WHERE s.run_id IS NOT NULL AND s.state = 'pending'
                AND s.id = (SELECT MAX(t.id) FROM commit_statuses t WHERE t.run_id = s.run_id)
                ORDER BY s.id LIMIT ?
                """, arguments: [limit]).map(Self.status)
        }
    }

    // MARK: - Push outbox

    public func recordPush(_ push: PushEvent) async throws(ForgeError) -> Int64 {
        let updates = push.storedUpdates
        return try await write("record push") { db in
            try db.execute(sql: "INSERT INTO push_outbox (repository_id, pusher, updates, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [push.repository.id, push.pusher, updates, push.date.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func pushes(after id: Int64, limit: Int) async throws(ForgeError) -> [StoredPush] {
        try await read("read pushes") { db in
            // The repository's columns first, as ``repository(_:)`` reads them; the push's after them.
            let columns = Self.repositoryColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespaces) }
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(columns.joined(separator: ", ")), p.id, p.pusher, p.updates, p.created_at
                FROM push_outbox p JOIN repositories r ON r.id = p.repository_id
                WHERE p.id > ? ORDER BY p.id LIMIT ?
                """, arguments: [id, limit])
            let first = columns.count
            return try rows.map { row in
                let repository = try Self.repository(row)
                let updates = try PushEvent.updates(stored: row[first + 2], pushID: row[first])
                return StoredPush(id: row[first], event: PushEvent(repository: repository, pusher: row[first + 1], updates: updates,
                                                                   date: Date(timeIntervalSince1970: row[first + 3])))
            }
        }
    }

    public func pushCursor(consumer: String) async throws(ForgeError) -> Int64 {
        try await read("read push cursor") { db in
            try Int64.fetchOne(db, sql: "SELECT last_id FROM push_cursors WHERE consumer = ?", arguments: [consumer]) ?? 0
        }
    }

    public func setPushCursor(consumer: String, to id: Int64) async throws(ForgeError) {
        try await write("record push cursor") { db in
            try db.execute(sql: """
                INSERT INTO push_cursors (consumer, last_id) VALUES (?, ?)
                ON CONFLICT (consumer) DO UPDATE SET last_id = max(last_id, excluded.last_id)
                """, arguments: [consumer, id])
        }
    }

    // MARK: - Web sessions

    public func createSession(digest: String, userID: Int64, csrfToken: String, expiresAt: Date) async throws(ForgeError) {
        try await write("create session") { db in
            try db.execute(sql: "INSERT INTO web_sessions (digest, user_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [digest, userID, csrfToken, expiresAt.timeIntervalSince1970])
        }
    }

    public func session(digest: String, now: Date) async throws(ForgeError) -> (user: ForgeUser, csrfToken: String)? {
        let found: (ForgeUser, String)? = try await read("read session") { db in
            try Row.fetchOne(db, sql: """
                SELECT u.id, u.name, u.email, u.is_admin, u.is_active, u.created_at, s.csrf_token
                FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.digest = ? AND s.expires_at > ?
                """, arguments: [digest, now.timeIntervalSince1970]).map { (Self.user($0), $0[6]) }
        }
        guard let (user, token) = found, user.isActive else { return nil }
        return (user, token)
    }

    public func deleteSession(digest: String, now: Date) async throws(ForgeError) {
        try await write("delete session") { db in
            try db.execute(sql: "DELETE FROM web_sessions WHERE digest = ? OR expires_at <= ?", arguments: [digest, now.timeIntervalSince1970])
        }
    }
}
