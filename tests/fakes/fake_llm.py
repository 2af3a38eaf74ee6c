#!/usr/bin/python3
"""fake_llm.py — a scriptable, OpenAI-compatible chat-completions server for tests (stdlib only).

Run:  /usr/bin/python3 tests/fakes/fake_llm.py --port 0 --port-file /tmp/x/port [--verbose]
It listens on 127.0.0.1 (ThreadingHTTPServer, HTTP/1.1) and writes the chosen port, then a
newline, to --port-file (atomically: written to F.tmp and renamed), so a test can poll for it.
It runs until killed (SIGTERM/SIGINT), or until the process that started it exits. Unless
--verbose, it logs nothing.

Endpoints
---------
POST /v1/chat/completions   (any path ending in /chat/completions is accepted)
    Records the request, then answers with the next scripted response (FIFO), or with the
    default {"content": "ok"} response when the queue is empty.
    Recorded: {"method", "path", "headers": {name: value}, "body": <parsed JSON or null>,
    "raw_body": <text, only when the body is not JSON>, "authorization_present": <bool>,
    "authorization_sha256": <hex SHA-256 of the Authorization header's value, or null>}. The
    Authorization header is never recorded as sent: in "headers" its value is replaced by
    "[present]" (absent header = no key in "headers"); a test compares the hash with the key it
    expects (sha256("Bearer " + key)).
    Recording happens before hang_ms, so a test can see a request that is still being answered.

POST /_script   body {"responses": [<response>, ...]} — replaces the queue. Answers
    {"queued": n}.
GET  /_requests → JSON list of recorded requests, oldest first.
POST /_reset    clears both the queue and the recorded requests. Answers {"ok": true}.

A scripted <response> (every key optional):
    "status":        HTTP status, default 200.
    "headers":       extra response headers, e.g. {"Retry-After": "1"}.
    "content":       assistant text ("" or absent: none).
    "tool_calls":    [{"id": "call_1", "name": "get_weather", "arguments": "{...}"}, ...]
    "finish_reason": default "tool_calls" when there are tool calls, else "stop"; null sends none.
    "stream":        true | false | null (null/absent: follow the request's "stream").
    "chunk_size":    N > 0: content and each call's arguments are split into pieces of N
                     characters (so arguments split mid-string); default: one piece each.
    "interleave":    true: the argument pieces of the tool calls are sent round-robin
                     (call 0 piece 0, call 1 piece 0, call 0 piece 1, ...) instead of call by call.
    "delay_ms":      sleep this long before every chunk except the first (stream only).
    "cut_after":     k: after k chunks, close the connection abruptly (no [DONE], no final
                     finish_reason chunk, no terminating HTTP chunk). 0 = before any chunk; k >= the number of
                     chunks = after the last one (still no [DONE]).
    "hang_ms":       sleep this long before sending anything (status line included).
    "error_body":    the JSON body of a non-200 answer; default
                     {"error": {"message": "fake error", "type": "fake", "code": <status>}}.
    "raw_sse":       ["data: ...", ...]: stream exactly these instead of generated chunks; each
                     entry is one chunk for delay_ms/cut_after; an entry that does not end in
                     "\\n" gets "\\n\\n" appended (one event per entry), one that does is sent
                     byte for byte (for multi-line events, comments, CRLF, ...). No [DONE] is
                     added: put "data: [DONE]" in the list when wanted.
    "after_tool":    <response>: answer with this one instead when the request's last message
                     has role "tool" (a turn's second round), so concurrent turns sharing the
                     queue each get "tool round, then final answer" whatever the interleaving.
    "require_auth":  "Bearer sk-..." — answer 401 (OpenAI-shaped error) unless the request's
                     Authorization header is exactly this (checks the key without recording it).

Streams are `Content-Type: text/event-stream`, chunked transfer encoding, one SSE event per HTTP
chunk, each an OpenAI `chat.completion.chunk`:
    1. content pieces: {"choices":[{"index":0,"delta":{"content":"..."},"finish_reason":null}]}
       (the first chunk of the answer also carries "role":"assistant"; with no content and no
       tool calls one chunk {"role":"assistant","content":""} is sent);
    2. per tool call i: {"delta":{"tool_calls":[{"index":i,"id":...,"type":"function",
       "function":{"name":...,"arguments":<piece 0>}}]}} then one chunk per further piece
       {"delta":{"tool_calls":[{"index":i,"function":{"arguments":<piece>}}]}};
    3. {"delta":{},"finish_reason":<finish_reason>} (unless finish_reason is null);
    4. data: [DONE]
Chunk counting for cut_after/delay_ms covers 1–3 (the [DONE] line is not a chunk). Non-ASCII
text is sent as raw UTF-8 (json.dumps(ensure_ascii=False)), so pieces of the byte stream may end
mid-character. A plain answer is an OpenAI `chat.completion` object with Content-Length.
"""

import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_RESPONSE = {"content": "ok"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.queue = []
        self.requests = []
        self.counter = 0


STATE = State()
VERBOSE = False


def pieces(text, n):
    if not text:
        return []
    if not n or n <= 0:
        return [text]
    return [text[i:i + n] for i in range(0, len(text), n)]


def chunk_obj(cid, model, delta, finish_reason=None):
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def stream_events(resp, cid, model):
    """The SSE event texts (without [DONE]) for a scripted response."""
    n = resp.get("chunk_size") or 0
    calls = resp.get("tool_calls") or []
    finish = resp.get("finish_reason", "tool_calls" if calls else "stop")
    deltas = []
    for p in pieces(resp.get("content") or "", n):
        deltas.append({"content": p})
    call_pieces = []
    for i, c in enumerate(calls):
        args = pieces(c.get("arguments") or "", n) or [""]
        first = {"index": i, "id": c.get("id", "call_%d" % i), "type": "function",
                 "function": {"name": c.get("name", ""), "arguments": args[0]}}
        rest = [{"index": i, "function": {"arguments": a}} for a in args[1:]]
        call_pieces.append([first] + rest)
    if resp.get("interleave"):
        # The first piece of every call in order (so each id/name comes first), then the rest
        # round-robin.
        order = [cp[0] for cp in call_pieces]
        rests = [cp[1:] for cp in call_pieces]
        k = 0
        while any(k < len(r) for r in rests):
            for r in rests:
                if k < len(r):
                    order.append(r[k])
            k += 1
    else:
        order = [p for cp in call_pieces for p in cp]
    for p in order:
        deltas.append({"tool_calls": [p]})
    if deltas:
        deltas[0] = dict(deltas[0], role="assistant")
    else:
        deltas.append({"role": "assistant", "content": ""})
    events = [json.dumps(chunk_obj(cid, model, d), ensure_ascii=False) for d in deltas]
    if finish is not None:
        events.append(json.dumps(chunk_obj(cid, model, {}, finish), ensure_ascii=False))
    return ["data: " + e + "\n\n" for e in events]


def completion_obj(resp, cid, model):
    calls = resp.get("tool_calls") or []
    finish = resp.get("finish_reason", "tool_calls" if calls else "stop")
    msg = {"role": "assistant", "content": resp.get("content") or None}
    if calls:
        msg["tool_calls"] = [
            {"id": c.get("id", "call_%d" % i), "type": "function",
             "function": {"name": c.get("name", ""), "arguments": c.get("arguments") or ""}}
            for i, c in enumerate(calls)
        ]
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_llm/1"

    def log_message(self, fmt, *args):  # noqa: N802 (stdlib name)
        if VERBOSE:
            sys.stderr.write("fake_llm: " + (fmt % args) + "\n")

    # -- helpers ------------------------------------------------------------------------------
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def write_chunk(self, text):
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    def cut(self):
        """Closes the connection abruptly: no terminating chunk."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- endpoints ----------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802
        if self.path == "/_requests":
            with STATE.lock:
                reqs = list(STATE.requests)
            self.send_json(200, reqs)
        else:
            self.send_json(404, {"error": {"message": "no such path", "type": "not_found"}})

    def do_POST(self):  # noqa: N802
        raw = self.read_body()
        if self.path == "/_script":
            try:
                doc = json.loads(raw or b"{}")
                responses = doc.get("responses", [])
                if not isinstance(responses, list):
                    raise ValueError("responses must be a list")
            except (ValueError, AttributeError) as e:
                self.send_json(400, {"error": {"message": "bad script: %s" % e}})
                return
            with STATE.lock:
                STATE.queue = list(responses)
            self.send_json(200, {"queued": len(responses)})
        elif self.path == "/_reset":
            with STATE.lock:
                STATE.queue = []
                STATE.requests = []
            self.send_json(200, {"ok": True})
        elif self.path.split("?")[0].endswith("/chat/completions"):
            self.completions(raw)
        else:
            self.send_json(404, {"error": {"message": "no such path", "type": "not_found"}})

    def completions(self, raw):
        headers = {}
        for k, v in self.headers.items():
            headers[k] = "[present]" if k.lower() == "authorization" else v
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
            rec = {"method": "POST", "path": self.path, "headers": headers, "body": body}
        except (ValueError, UnicodeDecodeError):
            body = None
            rec = {"method": "POST", "path": self.path, "headers": headers, "body": None,
                   "raw_body": raw.decode("utf-8", "replace")}
        auth = self.headers.get("Authorization")
        rec["authorization_present"] = auth is not None
        rec["authorization_sha256"] = hashlib.sha256(auth.encode("utf-8")).hexdigest() if auth is not None else None
        with STATE.lock:
            STATE.requests.append(rec)
            resp = STATE.queue.pop(0) if STATE.queue else dict(DEFAULT_RESPONSE)
            msgs = body.get("messages") if isinstance(body, dict) else None
            if (isinstance(resp.get("after_tool"), dict) and isinstance(msgs, list) and msgs
                    and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "tool"):
                resp = resp["after_tool"]
            STATE.counter += 1
            cid = "chatcmpl-fake-%d" % STATE.counter
        model = body.get("model", "fake") if isinstance(body, dict) else "fake"
        want_stream = bool(body.get("stream")) if isinstance(body, dict) else False
        try:
            self.answer(resp, cid, model, want_stream)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client went away (cancelled): fine

    def answer(self, resp, cid, model, want_stream):
        if resp.get("hang_ms"):
            time.sleep(resp["hang_ms"] / 1000.0)
        extra = resp.get("headers") or {}
        need = resp.get("require_auth")
        if need is not None and self.headers.get("Authorization") != need:
            self.send_json(401, {"error": {"message": "Incorrect API key provided.",
                                           "type": "invalid_request_error",
                                           "code": "invalid_api_key"}}, extra)
            return
        status = int(resp.get("status", 200))
        if status != 200:
            err = resp.get("error_body")
            if err is None:
                err = {"error": {"message": "fake error", "type": "fake", "code": status}}
            self.send_json(status, err, extra)
            return
        stream = resp.get("stream")
        if stream is None:
            stream = want_stream
        if not stream:
            self.send_json(200, completion_obj(resp, cid, model), extra)
            return
        if resp.get("raw_sse") is not None:
            events = [e if e.endswith("\n") else e + "\n\n" for e in resp["raw_sse"]]
            done = None
        else:
            events = stream_events(resp, cid, model)
            done = "data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in extra.items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.flush()
        cut_after = resp.get("cut_after")
        delay = (resp.get("delay_ms") or 0) / 1000.0
        for i, ev in enumerate(events):
            if cut_after is not None and i >= cut_after:
                self.cut()
                return
            if i > 0 and delay:
                time.sleep(delay)
            self.write_chunk(ev)
        if cut_after is not None:  # k >= the number of chunks: cut after the last one
            self.cut()
            return
        if done is not None:
            self.write_chunk(done)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # many AI turns at once must not overflow the listen backlog (default 5)
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up (cancelled, or done after [DONE]) is normal here.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="scriptable fake OpenAI-compatible model server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", default=None)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    srv = Server(("127.0.0.1", args.port), Handler)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    else:
        print(port, flush=True)
    parent = os.getppid()

    def watch_parent():  # exit when the process that started us is gone (a crashed test)
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
