"""Stands in for Neutron. Nova asks Neutron about ports on live migration and delete even
for servers booted with "networks": "none"; answering every list with an empty list and
no extensions makes it skip port bindings."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        collection = path.rsplit("/", 1)[-1].removesuffix(".json")
        if path in ("", "/"):
            self._reply(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": []}]})
        elif collection == "v2.0":
            self._reply(200, {"resources": []})
        else:
            self._reply(200, {collection: []})

    def do_DELETE(self):
        self.send_response(204)
        self.end_headers()

    def do_POST(self):
        self._reply(404, {"NeutronError": {"message": "stub: nothing to create"}})

    do_PUT = do_POST

    def log_message(self, fmt, *args):
        sys.stderr.write("neutron-stub: " + (fmt % args) + "\n")


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
