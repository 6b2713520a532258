"""The orders API: GET /orders lists the latest orders from PostgreSQL.

std/app sets DATABASE_URL (from the `orders` instance's connection Secret)
and the PG* variables; the app listens on 8080 (its `port`), answers its
probes on /healthz and serves Prometheus metrics on /metrics.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

REQUESTS = 0


def latest_orders():
    with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS orders "
            "(id bigserial PRIMARY KEY, item text NOT NULL, created timestamptz DEFAULT now())"
        )
        rows = conn.execute(
            "SELECT id, item, created FROM orders ORDER BY id DESC LIMIT 20"
        ).fetchall()
    return [{"id": i, "item": item, "created": created.isoformat()} for i, item, created in rows]


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global REQUESTS
        REQUESTS += 1
        if self.path == "/healthz":
            self.reply(200, "ok\n", "text/plain")
        elif self.path == "/metrics":
            self.reply(200, f"api_requests_total {REQUESTS}\n", "text/plain; version=0.0.4")
        elif self.path == "/orders":
            # The user signed in through single sign-on (std/oauth2_proxy).
            user = self.headers.get("X-Auth-Request-User", "anonymous")
            self.reply(200, json.dumps({"user": user, "orders": latest_orders()}))
        else:
            self.reply(404, '{"error": "not found"}')


if __name__ == "__main__":
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
