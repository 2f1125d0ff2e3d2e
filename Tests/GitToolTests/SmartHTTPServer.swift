import Foundation
import ForgeKitTesting

/// A real smart-HTTP git server for tests: Python's CGI handler running `git http-backend`, behind
/// HTTP basic authentication, on a free loopback port.
final class SmartHTTPServer: @unchecked Sendable {
    let port: Int
    private let process: ExampleProcess
    private let directory: String

    init(projectRoot: String, username: String, password: String) throws {
        directory = projectRoot + "/http-server"
        let cgiBin = directory + "/cgi-bin"
        try FileManager.default.createDirectory(atPath: cgiBin, withIntermediateDirectories: true)
        let backend = cgiBin + "/git"
        try """
        #!/bin/sh
        export GIT_PROJECT_ROOT='\(projectRoot)'
        export GIT_HTTP_EXPORT_ALL=1
        exec git http-backend
        """.write(toFile: backend, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: backend)
        let script = directory + "/server.py"
        try """
        import base64, http.server, socketserver, sys, os
        os.chdir(sys.argv[1])
        expected = "Basic " + base64.b64encode(sys.argv[2].encode()).decode()
        class Handler(http.server.CGIHTTPRequestHandler):
            cgi_directories = ["/cgi-bin"]
            have_fork = False  # run the CGI as this user: forking as root would drop to nobody
            def log_message(self, *args): pass
            def authorized(self):
                if self.headers.get("Authorization") == expected:
                    return True
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            def do_GET(self):
                if self.authorized():
                    self.path = "/cgi-bin/git" + self.path
                    super().do_GET()
            def do_POST(self):
                if self.authorized():
                    self.path = "/cgi-bin/git" + self.path
                    super().do_POST()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """.write(toFile: script, atomically: true, encoding: .utf8)
        process = try ExampleProcess(executable: "/usr/bin/env", ["python3", script, directory, "\(username):\(password)"])
        // The server prints its port first, before anything else (its request log comes later).
        let deadline = Date().addingTimeInterval(60)
        while !process.text.contains("\n"), process.isRunning, Date() < deadline { usleep(10_000) }
        guard let line = process.text.split(separator: "\n").first,
              let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.kill(SIGKILL)
            throw CocoaError(.fileReadUnknown)
        }
        self.port = port
    }

    func stop() {
        // SIGKILL: a child spawned from a Dispatch thread inherits its blocked signal mask, so SIGTERM
        // may never be delivered.
        process.kill(SIGKILL)
        while process.isRunning { usleep(2_000) }
    }
}
