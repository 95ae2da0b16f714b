#!/usr/bin/env python3
"""CommEazy Coturn exporter: Prometheus metrics from coturn's own session log.

Debian's coturn 4.6.1 has no Prometheus exporter (DESIGN.md §4). With `verbose`, turnserver logs
every allocation, refresh, error and, when a session closes, its traffic ("usage: ... rp=, rb=,
sp=, sb="). This program runs turnserver as its child, reads that log from its stdout, keeps
counts, and serves them at http://<container>:<port>/metrics in the Prometheus text format.

Session lines hold client and peer addresses (metadata a privacy-first service does not keep):
they are counted and dropped. Everything else turnserver prints (startup, warnings, errors of the
server itself) is passed on to the container log. The exit status is turnserver's; SIGTERM and
SIGINT are passed on to it.

Usage: coturn_exporter.py [--listen PORT] -- turnserver -c /etc/coturn/turnserver.conf
"""
import http.server
import re
import signal
import subprocess
import sys
import threading

# "12: : session 001000000000000001: <event>"
SESSION = re.compile(r"^\d+: : session (\d+): (.*)$")
NEW = re.compile(r"^new, realm=")
DELETED = re.compile(r"^delete: realm=")
CLOSED = re.compile(r"^closed \(2nd stage\)")
PROCESSED = re.compile(r"^realm <[^>]*> user <([^>]*)>: incoming packet (\S+) processed, (success|error (\d+))")
USAGE = re.compile(r"^(peer )?usage: realm=<[^>]*>, username=<[^>]*>, rp=(\d+), rb=(\d+), sp=(\d+), sb=(\d+)")
# Per-request lines without a session prefix that carry a client's user name or address.
# coturn logs a client's wrong credential or denied peer as "ERROR:"; the 401/403 session line counts them.
CLIENT_NOISE = re.compile(r"^\d+: : (ERROR: check_stun_auth: Cannot find credentials|ERROR: A peer IP \S+ denied|IPv[46]\. Local (reserved )?relay addr)")
METHODS = {"ALLOCATE", "REFRESH", "CREATE_PERMISSION", "CHANNEL_BIND", "SEND", "CONNECT", "CONNECTION_BIND", "message"}


class Counts:
    """What the log has said so far. One lock: the log reader writes, the HTTP handler reads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = set()
        self.allocations = 0
        self.errors = {}  # (method, code) -> count
        self.auth_failures = 0
        self.peer_denied = 0
        self.quota_refusals = 0
        self.traffic = {}  # (leg, direction, unit) -> count
        self.lines = 0
        self.running = 0

    def observe(self, line):
        """Counts one log line; returns True when it may be forwarded to the container log."""
        with self.lock:
            self.lines += 1
            match = SESSION.match(line)
            if not match:
                return not CLIENT_NOISE.match(line)
            session, event = match.groups()
            if NEW.match(event):
                if session not in self.active:
                    self.active.add(session)
                    self.allocations += 1
            elif DELETED.match(event) or CLOSED.match(event):
                self.active.discard(session)
            elif (m := PROCESSED.match(event)) and m.group(4):
                user, method, code = m.group(1), m.group(2), m.group(4)
                # A first request without credentials is always answered 401 with a nonce: that is
                # the protocol, not a failure. A 401 for a named user is a wrong or expired credential.
                if code == "401" and not user:
                    return False
                if code == "401":
                    self.auth_failures += 1
                elif code == "403":
                    self.peer_denied += 1
                elif code == "486":
                    self.quota_refusals += 1
                key = (method if method in METHODS else "other", code)
                self.errors[key] = self.errors.get(key, 0) + 1
            elif m := USAGE.match(event):
                leg = "peer" if m.group(1) else "client"
                rp, rb, sp, sb = (int(x) for x in m.groups()[1:])
                for key, value in (((leg, "received", "packets"), rp), ((leg, "received", "bytes"), rb),
                                   ((leg, "sent", "packets"), sp), ((leg, "sent", "bytes"), sb)):
                    self.traffic[key] = self.traffic.get(key, 0) + value
            return False

    def render(self):
        with self.lock:
            out = [
                "# HELP coturn_up Whether turnserver is running under the exporter.",
                "# TYPE coturn_up gauge",
                f"coturn_up {self.running}",
                "# HELP coturn_allocations_active TURN allocations currently open.",
                "# TYPE coturn_allocations_active gauge",
                f"coturn_allocations_active {len(self.active)}",
                "# HELP coturn_allocations_total TURN allocations created since start.",
                "# TYPE coturn_allocations_total counter",
                f"coturn_allocations_total {self.allocations}",
                "# HELP coturn_auth_failures_total Requests refused for a wrong or expired credential (401 with a user name).",
                "# TYPE coturn_auth_failures_total counter",
                f"coturn_auth_failures_total {self.auth_failures}",
                "# HELP coturn_peer_denied_total Permissions and channel binds refused for a denied peer address (403 Forbidden IP).",
                "# TYPE coturn_peer_denied_total counter",
                f"coturn_peer_denied_total {self.peer_denied}",
                "# HELP coturn_quota_refusals_total Allocations refused because a user or the server reached its quota (486).",
                "# TYPE coturn_quota_refusals_total counter",
                f"coturn_quota_refusals_total {self.quota_refusals}",
                "# HELP coturn_request_errors_total Requests answered with an error, by STUN method and error code (403: denied peer, 486: quota).",
                "# TYPE coturn_request_errors_total counter",
            ]
            for (method, code), n in sorted(self.errors.items()):
                out.append(f'coturn_request_errors_total{{method="{method}",code="{code}"}} {n}')
            for unit in ("bytes", "packets"):
                out.append(f"# HELP coturn_traffic_{unit}_total Relayed traffic of closed and reported sessions, by leg (client or peer side) and direction.")
                out.append(f"# TYPE coturn_traffic_{unit}_total counter")
                for leg in ("client", "peer"):
                    for direction in ("received", "sent"):
                        n = self.traffic.get((leg, direction, unit), 0)
                        out.append(f'coturn_traffic_{unit}_total{{leg="{leg}",direction="{direction}"}} {n}')
            out += ["# HELP coturn_exporter_log_lines_total Log lines read from turnserver.",
                    "# TYPE coturn_exporter_log_lines_total counter",
                    f"coturn_exporter_log_lines_total {self.lines}", ""]
            return "\n".join(out).encode()


def serve(counts, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = counts.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # scrapes are not worth a log line
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main(argv):
    port = 9641
    if argv[:1] == ["--listen"]:
        port, argv = int(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: coturn_exporter.py [--listen PORT] -- turnserver ARGS...", file=sys.stderr)
        return 64
    counts = Counts()
    serve(counts, port)
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _: child.send_signal(s))
    counts.running = 1
    print(f"coturn-exporter: metrics at :{port}/metrics; session lines are counted, not logged", file=sys.stderr, flush=True)
    for line in child.stdout:
        if counts.observe(line.rstrip("\n")):
            sys.stdout.write(line)
            sys.stdout.flush()
    status = child.wait()
    counts.running = 0
    print(f"coturn-exporter: turnserver exited with status {status}", file=sys.stderr, flush=True)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
