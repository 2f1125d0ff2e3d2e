import Crypto
public import Logging
import Synchronization
import PlatformSupport

/// Users' accounts: creating them with hashed passwords, issuing API tokens, and signing in with
/// either.
///
/// Passwords are checked with ``PasswordHasher`` (scrypt) on a ``PasswordHashingQueue`` — off Swift's
/// cooperative pool, a few at a time, each client waiting its turn — and failures are counted by a
/// ``SignInThrottle``, which makes an account or an address that keeps failing wait. An unknown
/// name, a disabled user or one without a password costs the same hash as a known one (against a
/// dummy hash), so the time taken does not tell which names exist. A successful check is remembered
/// for ``verifiedCacheLifetime`` so that a `git clone`, which sends the same credentials with each of
/// its requests, pays for one hash, not one per request. The cache is keyed by a digest of the name
/// and secret, and a changed password hash invalidates it.
///
/// Secrets are never logged.
public final class ForgeAccounts: Sendable {
    /// How a sign-in with a name and a secret went.
    public enum SignIn: Sendable, Hashable {
        /// The secret is right: this user.
        case user(ForgeUser)
        /// Unknown name, disabled user or wrong secret.
        case rejected
        /// Not checked: the account or the address must wait this long (too many failures), or the
        /// password checks are all busy.
        case throttled(retryAfter: Duration)

        /// The user, when the sign-in succeeded.
        public var user: ForgeUser? {
            if case .user(let user) = self { return user }
            return nil
        }
    }

    /// The metadata store.
    public let store: any ForgeMetadataStore
    /// How passwords are hashed.
    public let hasher: PasswordHasher
    /// Where passwords are hashed and checked.
    public let hashing: PasswordHashingQueue
    /// Failed sign-ins, per account and address.
    public let throttle: SignInThrottle
    /// How long a verified password is remembered.
    public let verifiedCacheLifetime: Duration
    private let logger: Logger
    private let verified = Mutex<[String: (hash: String, until: ContinuousClock.Instant)]>([:])
    private let dummyHash = Mutex<String?>(nil)
    private let hashCount = Atomic<Int>(0)

    /// Creates the account service over `store`.
    public init(store: any ForgeMetadataStore, hasher: PasswordHasher = PasswordHasher(), hashing: PasswordHashingQueue = PasswordHashingQueue(),
                throttle: SignInThrottle = SignInThrottle(), verifiedCacheLifetime: Duration = .seconds(300),
                logger: Logger = Logger(label: "forgeworks.forge.accounts")) {
        self.store = store
        self.hasher = hasher
        self.hashing = hashing
        self.throttle = throttle
        self.verifiedCacheLifetime = verifiedCacheLifetime
        self.logger = logger
    }

    /// How many passwords have been hashed or checked (including dummy checks for unknown names).
    public var passwordHashesComputed: Int { hashCount.load(ordering: .relaxed) }

    /// Creates a user, hashing their password.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for a bad name or a too short password, `conflict`
    ///   for a name already taken.
    public func createUser(_ user: NewUser) async throws(ForgeError) -> ForgeUser {
        try ForgeUser.validate(name: user.name)
        var hash: String?
        if let password = user.password { hash = try await hashPassword(password) }
        let created = try await store.createUser(name: user.name, email: user.email, passwordHash: hash, isAdmin: user.isAdmin)
        logger.info("created user", metadata: ["user": "\(created.name)", "admin": "\(created.isAdmin)"])
        return created
    }

    /// Replaces a user's password.
    public func setPassword(userID: Int64, _ password: String) async throws(ForgeError) {
        let hash = try await hashPassword(password)
        try await store.setPasswordHash(userID: userID, hash)
    }

    /// Issues a new API token for a user: the token itself, shown once, and its stored description.
    public func createToken(userID: Int64, name: String, scope: TokenScope = .write) async throws(ForgeError) -> (token: String, record: APIToken) {
        let token = TokenGenerator.generate()
        let record = try await store.createToken(userID: userID, name: name, digest: TokenGenerator.digest(token), scope: scope)
        return (token, record)
    }

    /// The user an API token belongs to, if it is valid and the user is active, with the token's
    /// scope in ``ForgeUser/tokenScope``. A token below `admin` never acts as a site admin.
    public func authenticate(token: String) async throws(ForgeError) -> ForgeUser? {
        guard TokenGenerator.looksLikeToken(token) else { return nil }
        guard var user = try await store.user(tokenDigest: TokenGenerator.digest(token)), user.isActive else { return nil }
        if user.tokenScope != .admin { user.isAdmin = false }
        return user
    }

    /// Signs in with a name and a secret, which may be the user's password or one of their API tokens
    /// (as git clients send tokens in the password field; the name is then not checked), from the
    /// client at `address` (nil when unknown).
    ///
    /// An account or address that must still wait after failures is refused before any check
    /// (``SignIn/throttled(retryAfter:)``); otherwise the password is checked — against a dummy hash
    /// when the name is unknown or cannot sign in with a password — and a failure is counted.
    public func authenticate(name: String, secret: String, address: String?) async throws(ForgeError) -> SignIn {
        if TokenGenerator.looksLikeToken(secret) {
            // As GitHub and Gitea do, a token stands alone: the name beside it is not checked. Tokens
            // are 256 random bits and cost no hash, so they are not throttled.
            return try await authenticate(token: secret).map(SignIn.user) ?? .rejected
        }
        if let wait = throttle.wait(account: name, address: address) {
            logger.notice("sign-in throttled", metadata: ["user": "\(name)", "address": "\(address ?? "-")", "wait": "\(wait)"])
            return .throttled(retryAfter: wait)
        }
        let found = name.isEmpty ? nil : try await store.credentials(named: name)
        var candidate: (user: ForgeUser, hash: String)?
        if let (user, hash) = found, user.isActive, let hash { candidate = (user, hash) }
        if let candidate {
            let key = Self.cacheKey(name: candidate.user.name, secret: secret)
            let now = ContinuousClock.now
            if let remembered = verified.withLock({ $0[key] }), remembered.hash == candidate.hash, remembered.until > now {
                throttle.recordSuccess(account: name)
                return .user(candidate.user)
            }
        }
        let stored = candidate?.hash
        let hasher = hasher
        // An account and an address without recent failures go ahead of those with some.
        let failures = throttle.failures(account: name, address: address)
        let priority: PasswordHashingQueue.Priority = failures.account == 0 && failures.address == 0 ? .normal : .suspect
        let matches = await hashing.run(for: address ?? "", priority: priority) { [self] () -> Bool in
            // A name without a usable hash is checked against a dummy one, so it takes as long.
            let against = stored ?? self.dummyHash.withLock { dummy in
                if let dummy { return dummy }
                let made = (try? hasher.hash(ForgeAccounts.generatePassword())) ?? ""
                dummy = made
                return made
            }
            self.hashCount.add(1, ordering: .relaxed)
            return PasswordHasher.verify(secret, against: against) && stored != nil
        }
        guard let matches else {
            logger.warning("password checks busy; sign-in refused", metadata: ["address": "\(address ?? "-")"])
            return .throttled(retryAfter: .seconds(1))
        }
        guard matches, let candidate else {
            let delay = throttle.recordFailure(account: name, address: address)
            logger.notice("failed sign-in", metadata: ["user": "\(name)", "address": "\(address ?? "-")", "delay": "\(delay)"])
            return .rejected
        }
        throttle.recordSuccess(account: name)
        let key = Self.cacheKey(name: candidate.user.name, secret: secret)
        let lifetime = verifiedCacheLifetime, now = ContinuousClock.now
        verified.withLock { cache in
            if cache.count > 10_000 { cache = cache.filter { $0.value.until > now } }
            cache[key] = (candidate.hash, now + lifetime)
        }
        return .user(candidate.user)
    }

    /// Hashes a new password on ``hashing`` (administrators' and users' own changes, under
    /// their own turn).
    private func hashPassword(_ password: String) async throws(ForgeError) -> String {
        let hasher = hasher
        let result = await hashing.run(for: "\u{0}accounts") { [self] () -> Result<String, ForgeError> in
            do throws(ForgeError) {
                let hash = try hasher.hash(password)
                self.hashCount.add(1, ordering: .relaxed)
                return .success(hash)
            } catch {
                return .failure(error)
            }
        }
        guard let result else {
            throw ForgeError(.busy, "too many passwords are being checked; try again shortly", operation: "hash password")
        }
        return try result.get()
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

    /// Gives user `name` a new password — `password`, or a generated one that is returned — and
    /// re-enables the account: `forge admin reset-password`, for an administrator who lost theirs
    /// (`FORGE_ADMIN_PASSWORD` only counts on the first start).
    ///
    /// - Throws: ``ForgeError`` `notFound` when there is no such user, `invalidArgument` for a
    ///   password shorter than 8 characters.
    public func resetPassword(name: String, to password: String?) async throws(ForgeError) -> (user: ForgeUser, generatedPassword: String?) {
        guard let user = try await store.user(named: name) else {
            throw ForgeError(.notFound, "there is no user '\(name)'", operation: "reset password")
        }
        let chosen = password ?? Self.generatePassword()
        try await setPassword(userID: user.id, chosen)
        if !user.isActive {
            var enabled = user
            enabled.isActive = true
            try await store.updateUser(enabled)
        }
        logger.notice("password reset", metadata: ["user": "\(user.name)"])
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
