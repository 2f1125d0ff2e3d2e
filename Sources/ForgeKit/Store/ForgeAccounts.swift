import Crypto
public import Logging
import Synchronization

/// Users' accounts: creating them with hashed passwords, issuing API tokens, and signing in with
/// either. Passwords are checked with ``PasswordHasher`` (scrypt) off Swift's cooperative pool; a
/// successful check is remembered for ``verifiedCacheLifetime`` so that a `git clone`, which sends the
/// same credentials with each of its requests, pays for one hash, not one per request. The cache is
/// keyed by a digest of the name and secret, and a changed password hash invalidates it.
///
/// Secrets are never logged.
public final class ForgeAccounts: Sendable {
    /// The metadata store.
    public let store: any ForgeMetadataStore
    /// How passwords are hashed.
    public let hasher: PasswordHasher
    /// How long a verified password is remembered.
    public let verifiedCacheLifetime: Duration
    private let logger: Logger
    private let verified = Mutex<[String: (hash: String, until: ContinuousClock.Instant)]>([:])

    /// Creates the account service over `store`.
    public init(store: any ForgeMetadataStore, hasher: PasswordHasher = PasswordHasher(), verifiedCacheLifetime: Duration = .seconds(300),
                logger: Logger = Logger(label: "forgeworks.forge.accounts")) {
        self.store = store
        self.hasher = hasher
        self.verifiedCacheLifetime = verifiedCacheLifetime
        self.logger = logger
    }

    /// Creates a user, hashing their password.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for a bad name or a too short password, `conflict`
    ///   for a name already taken.
    public func createUser(_ user: NewUser) async throws(ForgeError) -> ForgeUser {
        try ForgeUser.validate(name: user.name)
        var hash: String?
        if let password = user.password { hash = try await hasher.hashOffPool(password) }
        let created = try await store.createUser(name: user.name, email: user.email, passwordHash: hash, isAdmin: user.isAdmin)
        logger.info("created user", metadata: ["user": "\(created.name)", "admin": "\(created.isAdmin)"])
        return created
    }

    /// Replaces a user's password.
    public func setPassword(userID: Int64, _ password: String) async throws(ForgeError) {
        let hash = try await hasher.hashOffPool(password)
        try await store.setPasswordHash(userID: userID, hash)
    }

    /// Issues a new API token for a user: the token itself, shown once, and its stored description.
    public func createToken(userID: Int64, name: String) async throws(ForgeError) -> (token: String, record: APIToken) {
        let token = TokenGenerator.generate()
        let record = try await store.createToken(userID: userID, name: name, digest: TokenGenerator.digest(token))
        return (token, record)
    }

    /// The user an API token belongs to, if it is valid and the user is active.
    public func authenticate(token: String) async throws(ForgeError) -> ForgeUser? {
        guard TokenGenerator.looksLikeToken(token) else { return nil }
        guard let user = try await store.user(tokenDigest: TokenGenerator.digest(token)), user.isActive else { return nil }
        return user
    }

    /// Signs in with a name and a secret, which may be the user's password or one of their API tokens
    /// (as git clients send tokens in the password field; the name is then not checked). Nil when the name is unknown, the user is
    /// disabled, or the secret is wrong.
    public func authenticate(name: String, secret: String) async throws(ForgeError) -> ForgeUser? {
        if TokenGenerator.looksLikeToken(secret) {
            // As GitHub and Gitea do, a token stands alone: the name beside it is not checked.
            return try await authenticate(token: secret)
        }
        guard !name.isEmpty, let (user, hash) = try await store.credentials(named: name), user.isActive, let hash else { return nil }
        let key = Self.cacheKey(name: user.name, secret: secret)
        let now = ContinuousClock.now
        if let remembered = verified.withLock({ $0[key] }), remembered.hash == hash, remembered.until > now {
            return user
        }
        guard await PasswordHasher.verifyOffPool(secret, against: hash) else {
            logger.notice("wrong password", metadata: ["user": "\(user.name)"])
            return nil
        }
        let lifetime = verifiedCacheLifetime
        verified.withLock { cache in
            if cache.count > 10_000 { cache = cache.filter { $0.value.until > now } }
            cache[key] = (hash, now + lifetime)
        }
        return user
    }

    /// Makes sure an administrator named `name` exists. When it does not, it is created with
    /// `password`, or with a generated password that is returned (to be shown once, as Kallithea's
    /// OpenShift template did).
    public func ensureAdministrator(name: String = "admin", password: String?) async throws(ForgeError) -> (user: ForgeUser, generatedPassword: String?) {
        if let existing = try await store.user(named: name) { return (existing, nil) }
        let chosen = password ?? Self.generatePassword()
        let user = try await createUser(NewUser(name: name, password: chosen, isAdmin: true))
        return (user, password == nil ? chosen : nil)
    }

    /// A random password of 20 letters and digits.
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    private static func cacheKey(name: String, secret: String) -> String {
        Hex.encode(SHA256.hash(data: Array((name.lowercased() + "\u{0}" + secret).utf8)))
    }
}
