import AsyncHTTPClient
import ForgeKitTesting
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A failure of the WebDriver client: chromedriver missing or not starting, a command the driver
/// rejected (`code` is the W3C error code, such as "no such element"), or a wait that timed out.
struct WebDriverError: Error, CustomStringConvertible {
    let message: String
    let code: String?
    init(_ message: String, code: String? = nil) {
        self.message = message
        self.code = code
    }
    var description: String { message }
}

/// A JSON value as WebDriver sends and receives it (command bodies, results, script values).
enum JSONValue: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var int: Int? { number.flatMap { Int(exactly: $0) } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    subscript(key: String) -> JSONValue? { object?[key] }
}

/// Headless Chromium driven through chromedriver (Debian packages `chromium` and `chromium-driver`).
enum WebDriver {
    /// Arguments that make Chromium run as root, without a display, in a container; `--user-data-dir` is added per session.
    static let chromiumArguments = [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
    ]

    /// Starts chromedriver and a fresh headless browser session, runs `body`, then always deletes the
    /// session, stops chromedriver and removes the temporary browser profile. Runs on the caller's actor,
    /// so `body` need not be Sendable (a @MainActor test may call it too).
    static func withSession<T>(isolation: isolated (any Actor)? = #isolation,
                               _ body: (WebDriverSession) async throws -> T) async throws -> T {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("webdriver-profile-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        // On a loaded machine chromedriver can be slow to print its port: one more try before failing.
        let driver: ChromeDriverProcess
        do {
            driver = try await ChromeDriverProcess.start()
        } catch {
            driver = try await ChromeDriverProcess.start()
        }
        var session: WebDriverSession?
        let result: Result<T, any Error>
        do {
            let started = try await driver.newSession(profile: profile)
            session = started
            result = .success(try await body(started))
        } catch {
            result = .failure(error)
        }
        let opened = session
        // A fresh task is not cancelled, so cleanup still reaches chromedriver after a test was cancelled.
        await Task {
            let deleted = if let opened { (try? await webDriverCommand(.DELETE, opened.base, timeout: .seconds(15))) != nil } else { true }
            await driver.stop()  // SIGTERM alone would leave Chromium running; /shutdown closes it
            if !deleted, let pid = opened?.browserPID, pid > 0 { kill(pid, SIGTERM) }
        }.value
        return try result.get()
    }
}

/// Sends one WebDriver command and returns the response's `value`, or throws the driver's error.
func webDriverCommand(_ method: HTTPMethod, _ url: String, _ body: JSONValue? = nil,
                      timeout: TimeAmount = .seconds(60)) async throws -> JSONValue {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if method == .POST {
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        let data = try JSONEncoder().encode(body ?? .object([:]))
        request.body = .bytes(ByteBuffer(bytes: data))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let buffer = try await response.body.collect(upTo: 64 << 20)
    let status = response.status.code
    guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) else {
        throw WebDriverError("\(method.rawValue) \(url): HTTP \(status), not JSON: \(String(buffer: buffer).prefix(300))")
    }
    let value = json["value"] ?? .null
    if status >= 300 || value["error"]?.string != nil {
        let code = value["error"]?.string
        let message = value["message"]?.string.flatMap { $0.split(separator: "\n").first.map(String.init) } ?? ""
        throw WebDriverError("\(method.rawValue) \(url): \(code ?? "HTTP \(status)"): \(message)", code: code)
    }
    return value
}

/// The chromedriver child process, listening on the loopback port it picked itself (`--port=0`).
final class ChromeDriverProcess: @unchecked Sendable {
    let process: ExampleProcess
    let base: String

    private init(process: ExampleProcess, base: String) {
        self.process = process
        self.base = base
    }

    /// `$CHROMEDRIVER`, else `chromedriver` on PATH, else Debian's `/usr/bin/chromedriver`.
    static func executable() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let path = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/chromedriver" }
        let candidates = [environment["CHROMEDRIVER"]].compactMap { $0 } + path + ["/usr/bin/chromedriver"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `chromedriver --port=0`, reads the port from its banner and waits until `/status` is ready.
    static func start(timeout: Duration = .seconds(60)) async throws -> ChromeDriverProcess {
        guard let executable = executable() else {
            throw WebDriverError("chromedriver not found on PATH: install the Debian packages chromium and chromium-driver (scripts/bootstrap)")
        }
        // chromedriver only accepts local connections by default
        let process = try ExampleProcess(executable: URL(fileURLWithPath: executable).path, ["--port=0"])
        let log = process
        let deadline = ContinuousClock.now + timeout
        var port = Self.port(in: log.text)
        while port == nil, process.isRunning, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            port = Self.port(in: log.text)
        }
        guard let port else {
            process.kill(SIGKILL)
            throw WebDriverError("chromedriver did not start: \(log.text)")
        }
        let driver = ChromeDriverProcess(process: process, base: "http://127.0.0.1:\(port)")
        while (try? await webDriverCommand(.GET, driver.base + "/status", timeout: .seconds(2)))?["ready"]?.bool != true {
            guard process.isRunning, ContinuousClock.now < deadline, !Task.isCancelled else {
                await driver.stop()
                throw WebDriverError("chromedriver at \(driver.base) never became ready: \(log.text)")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return driver
    }

    /// The port in chromedriver's "ChromeDriver was started successfully on port N." line.
    static func port(in output: String) -> Int? {
        guard let range = output.range(of: #"started successfully on port [0-9]+"#, options: .regularExpression) else { return nil }
        return Int(output[range].split(separator: " ").last ?? "")
    }

    /// Creates a headless Chromium session using a fresh profile directory.
    func newSession(profile: String) async throws -> WebDriverSession {
        var options: [String: JSONValue] = ["args": .array((WebDriver.chromiumArguments + ["--user-data-dir=\(profile)"]).map { JSONValue.string($0) })]
        // Debian's /usr/bin/chromium is a shell wrapper; the browser itself lives here.
        let binary = ProcessInfo.processInfo.environment["CHROMIUM_BINARY"] ?? "/usr/lib/chromium/chromium"
        if FileManager.default.isExecutableFile(atPath: binary) { options["binary"] = .string(binary) }
        let capabilities: JSONValue = ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": .object(options)]]
        let value: JSONValue
        do {
            value = try await webDriverCommand(.POST, base + "/session", ["capabilities": capabilities], timeout: .seconds(90))
        } catch let error as WebDriverError {
            throw WebDriverError("could not start headless Chromium (Debian package chromium installed?): \(error.message)", code: error.code)
        }
        guard let id = value["sessionId"]?.string else { throw WebDriverError("no sessionId in \(value)") }
        let pid = value["capabilities"]?["goog:processID"]?.int.flatMap { Int32(exactly: $0) }
        return WebDriverSession(base: base + "/session/" + id, browserPID: pid)
    }

    /// Asks chromedriver to quit (which also closes its browsers), then SIGTERM, then SIGKILL.
    func stop() async {
        _ = try? await webDriverCommand(.GET, base + "/shutdown", timeout: .seconds(5))
        for signal in [Int32(0), SIGTERM, SIGKILL] {
            if signal != 0, process.isRunning { process.kill(signal) }
            for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if !process.isRunning { break }
        }
    }
}


/// One browser session: navigation, element lookup, waits, cookies and scripts.
struct WebDriverSession: Sendable {
    /// `http://127.0.0.1:<port>/session/<id>`.
    let base: String
    let browserPID: Int32?

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    @discardableResult
    func command(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await webDriverCommand(method, base + path, method == .POST ? body ?? [:] : nil)
    }

    func navigate(to url: String) async throws { try await command(.POST, "/url", ["url": .string(url)]) }
    func back() async throws { try await command(.POST, "/back") }
    func currentURL() async throws -> String { try await command(.GET, "/url").string ?? "" }
    func title() async throws -> String { try await command(.GET, "/title").string ?? "" }
    func pageSource() async throws -> String { try await command(.GET, "/source").string ?? "" }

    /// The first element matching `css`, polling until one appears or `timeout` passes.
    func findElement(css: String, timeout: Duration = .seconds(5)) async throws -> WebElement {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let value = try await command(.POST, "/element", ["using": "css selector", "value": .string(css)])
                guard let id = value[Self.elementKey]?.string else { throw WebDriverError("no element reference in \(value)") }
                return WebElement(session: self, id: id)
            } catch let error as WebDriverError where error.code == "no such element" {
                guard ContinuousClock.now < deadline else {
                    throw WebDriverError("no element matches \(css) after \(timeout)", code: error.code)
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// All elements matching `css` now (no waiting; possibly none).
    func findElements(css: String) async throws -> [WebElement] {
        let value = try await command(.POST, "/elements", ["using": "css selector", "value": .string(css)])
        return (value.array ?? []).compactMap { $0[Self.elementKey]?.string }.map { WebElement(session: self, id: $0) }
    }

    /// Polls `condition` until it is true; WebDriver errors (such as a page mid-navigation) count as false.
    func waitUntil(timeout: Duration = .seconds(5), isolation: isolated (any Actor)? = #isolation,
                   _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        var last: WebDriverError?
        while true {
            do {
                if try await condition() { return }
            } catch let error as WebDriverError {
                last = error
            }
            guard ContinuousClock.now < deadline else {
                throw WebDriverError("condition not met after \(timeout)" + (last.map { "; last error: \($0.message)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs `script` as a function body in the page (`arguments[i]` are `args`) and returns its result.
    @discardableResult
    func executeScript(_ script: String, args: [JSONValue] = []) async throws -> JSONValue {
        try await command(.POST, "/execute/sync", ["script": .string(script), "args": .array(args)])
    }

    func cookies() async throws -> [WebDriverCookie] {
        try await command(.GET, "/cookie").array?.compactMap(WebDriverCookie.init) ?? []
    }

    func deleteAllCookies() async throws { try await command(.DELETE, "/cookie") }

    /// Emulates a screen `width` CSS pixels wide (a phone's, with `mobile`), through Chromium's DevTools.
    func emulateScreen(width: Int, height: Int = 800, mobile: Bool = true) async throws {
        try await command(.POST, "/goog/cdp/execute", [
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": ["width": .number(Double(width)), "height": .number(Double(height)), "deviceScaleFactor": 1, "mobile": .bool(mobile)],
        ])
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        Data(base64Encoded: try await command(.GET, "/screenshot").string ?? "") ?? Data()
    }

    /// Whether the page is wider than the viewport (it would scroll sideways).
    func overflowsHorizontally() async throws -> Bool {
        try await executeScript("return document.documentElement.scrollWidth > document.documentElement.clientWidth").bool ?? true
    }
}

/// A cookie as the browser reports it.
struct WebDriverCookie: Sendable, Equatable {
    let name: String
    let value: String
    let path: String?
    let domain: String?
    let secure: Bool
    let httpOnly: Bool
    /// "Strict", "Lax" or "None".
    let sameSite: String?
    let expiry: Int?

    init?(_ json: JSONValue) {
        guard let name = json["name"]?.string, let value = json["value"]?.string else { return nil }
        self.name = name
        self.value = value
        path = json["path"]?.string
        domain = json["domain"]?.string
        secure = json["secure"]?.bool ?? false
        httpOnly = json["httpOnly"]?.bool ?? false
        sameSite = json["sameSite"]?.string
        expiry = json["expiry"]?.int
    }
}

/// An element of the current page, by its W3C web element reference.
struct WebElement: Sendable {
    let session: WebDriverSession
    let id: String

    func click() async throws { try await session.command(.POST, "/element/\(id)/click") }
    func clear() async throws { try await session.command(.POST, "/element/\(id)/clear") }
    func sendKeys(_ text: String) async throws {
        try await session.command(.POST, "/element/\(id)/value", ["text": .string(text)])
    }
    func text() async throws -> String { try await session.command(.GET, "/element/\(id)/text").string ?? "" }
    /// The attribute's value, or nil when the element has no such attribute.
    func attribute(_ name: String) async throws -> String? {
        try await session.command(.GET, "/element/\(id)/attribute/\(name)").string
    }
    /// A DOM property, such as an input's current `value`.
    func property(_ name: String) async throws -> JSONValue {
        try await session.command(.GET, "/element/\(id)/property/\(name)")
    }
}
