"""A small real HTTP server on loopback, standing in for an issuer or a board."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSource:
    def __init__(self):
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.calls: list[str] = []
        self.delay = 0.0
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                import time

                source.calls.append(self.path)
                if source.delay:
                    time.sleep(source.delay)
                status, body = source.routes.get(self.path.split("?")[0], (404, b'{"error": "not found"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, value, status: int = 200) -> str:
        self.routes[path] = (status, value if isinstance(value, bytes) else json.dumps(value).encode())
        return self.base + path

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
