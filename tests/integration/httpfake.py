#!/usr/bin/env python3
"""The report tests' own HTTP server: records every request and misbehaves on demand.

  httpfake.py serve --port-file F --log L [--port N] [--tls CERT KEY]
  httpfake.py query L [--key K] [--done] [--ok] [--print WHAT]

The first path segment is a key, /KEY/...; the key's mode decides the answer. A key named
like a mode uses that mode; POST /_mode?key=K&mode=M changes a key's mode while running.

Modes: 200, 204, 400, 401, 500 (that status), fail:N:STATUS (N answers STATUS, then 200),
limit:N (200 with a Ping-Body-Limit: N header), hang (read the request, never answer),
slow (200 with a body trickled at one byte a second), reset (half an answer, then a TCP reset),
delay:MS (200 after MS milliseconds), poison:WORD:STATUS (STATUS for a body holding WORD, else
200), goto:PORT (307 to the same path on http://127.0.0.1:PORT). A 3xx status answers with a
Location: of the request's own URL (a redirect loop).

A chunked request body is read as such and logged with "chunked": true.

The log has one JSON line per event: "recv" when a request has been read, "done" when its
answer has been written whole (with "status"). Bodies are kept as latin-1 text.
"""
import argparse
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
MODES = {}
COUNTS = {}


def log_event(path, event):
    with LOCK:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without TCP_NODELAY the second waits for a delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked:
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        if url.path == "/_mode":
            q = parse_qs(url.query)
            with LOCK:
                MODES[q["key"][0]] = q["mode"][0]
                COUNTS[q["key"][0]] = 0
            self.answer(200, b"mode set\n")
            return
        key = url.path.split("/")[1] if url.path.count("/") >= 1 else ""
        with LOCK:
            mode = MODES.get(key, key)
            COUNTS[key] = COUNTS.get(key, 0) + 1
            nth = COUNTS[key]
        event = {
            "time": time.time(), "key": key, "mode": mode, "method": self.command,
            "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("latin-1"), "chunked": chunked,
        }
        log_event(self.server.log, dict(event, event="recv"))
        status = self.misbehave(mode, nth, body)
        if status:
            log_event(self.server.log, dict(event, event="done", status=status))

    def misbehave(self, mode, nth, body=b""):
        """Answers as MODE says; returns the status written whole, or None."""
        if mode.startswith("delay:"):
            time.sleep(int(mode.split(":")[1]) / 1000)
            self.answer(200, b"OK\n")
            return 200
        if mode.startswith("poison:"):
            _, word, status = mode.split(":")
            if word.encode() in body:
                return self.status_answer(int(status))
            self.answer(200, b"OK\n")
            return 200
        if mode.startswith("goto:"):
            self.answer(307, b"moved\n", [("Location", "http://127.0.0.1:%s%s" % (mode.split(":")[1], self.path))])
            return 307
        if mode == "hang":
            time.sleep(3600)
            return None
        if mode == "slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b".")
                self.wfile.flush()
                time.sleep(1)
            return 200
        if mode == "reset":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            self.wfile.flush()
            # SO_LINGER with a zero timeout makes close() send a RST, not a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        if mode.startswith("fail:"):
            _, n, status = mode.split(":")
            if nth <= int(n):
                return self.status_answer(int(status))
            self.answer(200, b"OK\n")
            return 200
        if mode.startswith("limit:"):
            self.answer(200, b"OK\n", [("Ping-Body-Limit", mode.split(":")[1])])
            return 200
        return self.status_answer(int(mode) if mode.isdigit() else 200)

    def status_answer(self, status):
        headers = []
        if 300 <= status <= 399:
            headers.append(("Location", "http://%s%s" % (self.headers.get("Host"), self.path)))
        if status == 429:
            headers.append(("Retry-After", "0"))
        self.answer(status, b"" if status == 204 else b"answer %d\n" % status, headers)
        return status


def serve(args):
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.log = args.log
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    open(args.log, "a").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


def query(args):
    events = []
    with open(args.log, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if args.key is not None and e["key"] != args.key:
                continue
            if args.done and e["event"] != "done":
                continue
            if args.ok and not (e["event"] == "done" and 200 <= e["status"] <= 299):
                continue
            if not args.done and not args.ok and e["event"] != "recv":
                continue
            events.append(e)
    if args.print == "count":
        print(len(events))
        return
    for e in events:
        if args.print == "path":
            print(e["path"])
        elif args.print == "rid":
            print(parse_qs(urlsplit(e["path"]).query).get("rid", [""])[0])
        elif args.print == "run_id":
            try:
                print(json.loads(e["body"])["run_id"])
            except (ValueError, KeyError, TypeError):
                pass
        elif args.print.startswith("header:"):
            print(e["headers"].get(args.print[7:].lower(), ""))
        elif args.print == "body":
            sys.stdout.write(e["body"])
        elif args.print == "json":
            print(json.dumps(e))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--port", type=int, default=0, help="default: any free port")
    s.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    q = sub.add_parser("query")
    q.add_argument("log")
    q.add_argument("--key")
    q.add_argument("--done", action="store_true", help="answered requests only")
    q.add_argument("--ok", action="store_true", help="requests answered 2xx only")
    q.add_argument("--print", default="count",
                   help="count, path, rid, run_id, header:NAME, body or json")
    args = p.parse_args()
    serve(args) if args.cmd == "serve" else query(args)


if __name__ == "__main__":
    main()
