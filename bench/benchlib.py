"""benchlib: the small pieces the benchmark scripts share (free ports, RSS, JSON calls)."""
import http.client
import json
import socket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kib(pid):
    """The process's resident set size in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def call(port, method, path, body=None, token=None, timeout=30):
    """One JSON request on loopback; returns the decoded body (or None)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    data = c.getresponse().read()
    return json.loads(data) if data else None
