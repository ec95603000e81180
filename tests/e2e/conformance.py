#!/usr/bin/env python3
"""Replays the recorded etcd 3.4 conversations in tests/conformance/cases against a server.

Usage:
    python3 tests/e2e/conformance.py --endpoint http://127.0.0.1:2379 [--multi-member]
        [--only v2|v3] [--timeout S] [--max-time S] [-v] [case files or folders ...]

Each case file holds a named sequence of HTTP steps and the answers a real etcd 3.4.23
gave (tests/conformance/README.md). The replayer sends every step, compares the answer
under the normalisation rules below, prints one line per failing step
(`FAIL <file> :: <case> #<step> <name> :: <first difference> (+N more)`) and ends with
`N passed, M failed`, counting steps. The exit status is 1 when a step failed.

Normalisation, by field name unless a step's `match` names a rule for a path:
- idx (v2 indices, X-Etcd-Index, 20-digit in-order key names) and rev (v3 revisions)
  are compared as deltas from the first value of their class seen in the case; a
  recorded literal 0 must be 0.
- id (cluster, member, lease ids) and term are consistent mappings within a case:
  one recorded value always maps to the same actual value and two recorded values
  never share one.
- ttl is within one second; expiration is an RFC 3339 timestamp; etcdserver,
  etcdcluster and the status version look like X.Y.Z; dbSize and raft indices are any
  integer of the same JSON type; member names are any string; peer and client URLs
  are lists of http(s) URLs of the same length; unsorted v2 `nodes` are unordered.
- Rules a step can ask for: exact, shape, subset, unordered, idxstr, revstr, nonempty,
  regex:<pattern>, any, and every rule above.
Everything else is strict: the same field names, array lengths and order, and equal
scalars of the same JSON type. Headers are compared only from the recorded whitelist;
a recorded null X-Etcd-Index means the header must be absent.

No request can hang the run: every socket operation has a timeout, streams and open
watches have their own limits, each case has a deadline and the whole run stops
starting cases after --max-time.

Only the Python 3 standard library is used, so CTest can run this file directly.
"""

import argparse
import base64
import copy
import http.client
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.normpath(os.path.join(HERE, "..", "conformance", "cases"))

SOCKET_TIMEOUT_S = 10.0           # Default for one socket operation.
CASE_DEADLINE_S = 120.0           # One case, all steps included.
CLEANUP_TIMEOUT_S = 5.0           # One cleanup request.
STREAM_TIMEOUT_DEFAULT_S = 5.0    # A stream step that names no timeout.
CONCURRENT_DELAY_DEFAULT_S = 0.5  # A concurrent request that names no delay.
BODY_BYTES_MAX = 64 * 1024 * 1024  # A larger answer fails the step instead of filling memory.
READ_CHUNK_BYTES = 65536

HEADER_WHITELIST = ("content-type", "x-etcd-index", "x-etcd-cluster-id", "x-raft-index",
                    "x-raft-term", "allow", "location")
HEADER_RULES = {"x-etcd-index": "idx", "x-etcd-cluster-id": "id", "x-raft-index": "int",
                "x-raft-term": "term"}

V2_FIELD_RULES = {
    "modifiedIndex": "idx", "createdIndex": "idx", "index": "idx", "key": "v2key",
    "expiration": "timestamp", "ttl": "ttl", "id": "id", "name": "string",
    "peerURLs": "urls", "clientURLs": "urls", "etcdserver": "version",
    "etcdcluster": "version",
}
V3_FIELD_RULES = {
    "revision": "rev", "create_revision": "rev", "mod_revision": "rev",
    "compact_revision": "rev", "raft_term": "term", "raftTerm": "term",
    "cluster_id": "id", "member_id": "id", "leader": "id", "ID": "id", "lease": "id",
    "TTL": "ttl", "version": "kvversion", "dbSize": "int", "dbSizeInUse": "int",
    "raftIndex": "int", "raftAppliedIndex": "int", "name": "string",
    "peerURLs": "urls", "clientURLs": "urls", "etcdserver": "version",
    "etcdcluster": "version",
}

TOKEN_RE = re.compile(r"\{(P|\$[A-Za-z_]\w*(?:[+-]\d+)?|REP:[^*{}]+\*\d+)\}")
CAPTURE_RE = re.compile(r"^\$([A-Za-z_]\w*)([+-]\d+)?$")
BYTE_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|\\)")
INTEGER_RE = re.compile(r"^-?\d+$")
IN_ORDER_KEY_RE = re.compile(r"^\d{20}$")
RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+")
URL_RE = re.compile(r"^https?://[^\s/]+")


class StepError(Exception):
    """A step cannot be run or checked (a missing capture, a bad expectation)."""


# --------------------------------------------------------------------------
# Case state and templates
# --------------------------------------------------------------------------

class CaseState:
    """What one case remembers between steps: its key prefix, captured values, the
    delta bases of idx and rev, and the id and term mappings. Owned by one run of one
    case; checkpoint() and rollback() let a comparison try a match and undo it."""

    def __init__(self, api, prefix):
        self.api = api
        self.prefix = prefix
        self.captures = {}
        self.bases = {}          # class -> (recorded base, actual base)
        self.forward = {}        # class -> {recorded: actual}
        self.backward = {}       # class -> {actual: recorded}

    def checkpoint(self):
        """Returns a copy of the comparison state (captures are never rolled back)."""
        return copy.deepcopy((self.bases, self.forward, self.backward))

    def rollback(self, saved):
        """Restores the comparison state saved by checkpoint()."""
        self.bases, self.forward, self.backward = copy.deepcopy(saved)


def expand_text(text, state):
    """Expands {P}, {$name}, {$name+N}, {$name-N} and {REP:x*N} inside a string."""
    def replace(match):
        token = match.group(1)
        if token == "P":
            return state.prefix
        if token.startswith("REP:"):
            unit, count = token[4:].rsplit("*", 1)
            return unit * int(count)
        return str(captured_value(token, state))
    return TOKEN_RE.sub(replace, text)


def captured_value(token, state):
    """Resolves "$name" or "$name+N" against the captures of the case."""
    name, offset = CAPTURE_RE.match(token).groups()
    if name not in state.captures:
        raise StepError("capture '%s' is not defined (did an earlier step fail?)" % name)
    value = state.captures[name]
    if not offset:
        return value
    number = to_int(value)
    if number is None:
        raise StepError("capture '%s' = %r is not an integer" % (name, value))
    return number + int(offset)


def template_bytes(text):
    """Turns the text of a "$b64:" template into bytes: \\xNN is one raw byte and
    \\\\ is a backslash; everything else is UTF-8."""
    out = bytearray()
    position = 0
    for match in BYTE_ESCAPE_RE.finditer(text):
        out += text[position:match.start()].encode("utf-8")
        escape = match.group(1)
        out += b"\\" if escape == "\\" else bytes([int(escape[1:], 16)])
        position = match.end()
    out += text[position:].encode("utf-8")
    return bytes(out)


def expand_value(value, state):
    """Expands templates in every string of a JSON value; "$b64:" strings become
    base64 and "$int:" strings become JSON numbers. Object keys are left alone."""
    if isinstance(value, str):
        if value.startswith("$b64:"):
            raw = template_bytes(expand_text(value[5:], state))
            return base64.b64encode(raw).decode("ascii")
        if value.startswith("$int:"):
            number = to_int(expand_text(value[5:], state))
            if number is None:
                raise StepError("%r does not expand to an integer" % value)
            return number
        return expand_text(value, state)
    if isinstance(value, list):
        return [expand_value(item, state) for item in value]
    if isinstance(value, dict):
        return {key: expand_value(item, state) for key, item in value.items()}
    return value


def to_int(value):
    """Returns value as an int when it is an int or a decimal string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and INTEGER_RE.match(value):
        return int(value)
    return None


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class Prepared:
    """One request ready for the wire: method, target (path and query), headers, body."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


class Reply:
    """What the server answered: status, headers (lower-case names), raw body or the
    JSON messages of a stream, whether a time limit cut the reading short, and the
    transport error if the exchange broke."""

    def __init__(self):
        self.status = None
        self.headers = {}
        self.raw = b""
        self.messages = None
        self.timed_out = False
        self.error = None


def encode_pairs(fields, state):
    """url-encodes an object or a list of [name, value] pairs after expansion."""
    pairs = list(fields.items()) if isinstance(fields, dict) else [tuple(p) for p in fields]
    return urllib.parse.urlencode(
        [(expand_text(str(name), state), expand_text(str(value), state))
         for name, value in pairs])


def prepare(request, state):
    """Builds the request of a step. The path is sent as written (escapes included)."""
    target = expand_text(request["path"], state)
    query = encode_pairs(request["query"], state) if "query" in request else ""
    if "rawquery" in request:
        query = expand_text(request["rawquery"], state)
    if query:
        target += "?" + query
    headers = {name: expand_text(value, state)
               for name, value in request.get("headers", {}).items()}
    body = None
    if "form" in request:
        body = encode_pairs(request["form"], state).encode("utf-8")
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif "json" in request:
        body = json.dumps(expand_value(request["json"], state)).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    elif "json_seq" in request:
        lines = [json.dumps(expand_value(item, state)) for item in request["json_seq"]]
        body = "\n".join(lines).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    elif "body" in request:
        body = expand_text(request["body"], state).encode("utf-8")
    return Prepared(request.get("method", "GET"), target, headers, body)


class Limits:
    """Time limits of one exchange: the socket timeout, the absolute deadline, an
    optional read limit for an answer that should stay open, and an optional stream
    spec ({"messages": N, "timeout": s})."""

    def __init__(self, socket_timeout_s, deadline, read_timeout_s=None, stream=None):
        self.socket_timeout_s = socket_timeout_s
        self.deadline = deadline
        self.read_timeout_s = read_timeout_s
        self.stream = stream


def exchange(endpoint, prepared, limits):
    """Sends one request on a fresh connection and reads the answer within limits.
    Never raises for network trouble: the Reply carries the error or timed_out."""
    url = urllib.parse.urlsplit(endpoint)
    reply = Reply()
    connection = http.client.HTTPConnection(url.hostname, url.port or 80,
                                            timeout=limits.socket_timeout_s)
    try:
        response, sock = send_request(connection, prepared)
        reply.status = response.status
        for name, value in response.getheaders():
            lower = name.lower()
            previous = reply.headers.get(lower)
            reply.headers[lower] = value if previous is None else previous + ", " + value
        if prepared.method == "HEAD":
            return reply
        if limits.stream is not None:
            read_messages(response, sock, limits, reply)
        else:
            read_body(response, sock, limits, reply)
    except socket.timeout:
        reply.timed_out = True
        reply.error = "timeout"
    except (OSError, http.client.HTTPException) as error:
        reply.error = "%s: %s" % (type(error).__name__, error)
    finally:
        connection.close()
    return reply


def send_request(connection, prepared):
    """Writes the request; returns the response (status and headers read) and its socket."""
    connection.putrequest(prepared.method, prepared.target, skip_accept_encoding=True)
    for name, value in prepared.headers.items():
        connection.putheader(name, value)
    if prepared.body is not None or prepared.method in ("POST", "PUT", "PATCH"):
        connection.putheader("Content-Length", str(len(prepared.body or b"")))
    connection.endheaders(prepared.body)
    # getresponse() may detach the socket from the connection, so keep it first.
    sock = connection.sock
    return connection.getresponse(), sock


def read_body(response, sock, limits, reply):
    """Reads the whole body, or until the read limit for an answer that stays open."""
    end = limits.deadline
    if limits.read_timeout_s is not None:
        end = min(end, time.time() + float(limits.read_timeout_s))
    body = bytearray()
    while True:
        left = end - time.time()
        if left <= 0:
            reply.timed_out = True
            break
        sock.settimeout(min(left, limits.socket_timeout_s))
        try:
            chunk = response.read1(READ_CHUNK_BYTES)
        except socket.timeout:
            if limits.read_timeout_s is None or time.time() >= end:
                reply.timed_out = True
                break
            continue
        if not chunk:
            break
        body += chunk
        if len(body) > BODY_BYTES_MAX:
            raise StepError("answer larger than %d bytes" % BODY_BYTES_MAX)
    reply.raw = bytes(body)


def read_messages(response, sock, limits, reply):
    """Reads the stream's first N JSON values from an answer that stays open."""
    wanted = int(limits.stream.get("messages", 1))
    timeout_s = float(limits.stream.get("timeout", STREAM_TIMEOUT_DEFAULT_S))
    end = min(limits.deadline, time.time() + timeout_s)
    decoder = json.JSONDecoder()
    pending = b""
    messages = []
    while len(messages) < wanted and time.time() < end:
        sock.settimeout(max(0.01, end - time.time()))
        try:
            chunk = response.read1(READ_CHUNK_BYTES)
        except (socket.timeout, OSError, http.client.HTTPException):
            break
        if not chunk:
            break
        pending += chunk
        pending = take_json_values(pending, decoder, messages, wanted)
    reply.messages = messages
    reply.timed_out = len(messages) < wanted


def take_json_values(pending, decoder, messages, wanted):
    """Moves complete JSON values from the front of pending into messages; returns
    the bytes left over (an incomplete value or an incomplete UTF-8 sequence)."""
    try:
        text = pending.decode("utf-8")
    except UnicodeDecodeError:
        return pending
    while len(messages) < wanted:
        text = text.lstrip()
        if not text:
            break
        try:
            value, end = decoder.raw_decode(text)
        except ValueError:
            break
        messages.append(value)
        text = text[end:]
    return text.encode("utf-8")


def decode_body(raw):
    """Returns ("json", value) for a JSON body, else ("text", str)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "text", raw.decode("latin-1")
    if text.strip():
        try:
            return "json", json.loads(text)
        except ValueError:
            pass
    return "text", text


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def brief(value, width=70):
    """A one-line rendering of a value for a difference message."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[:width - 3] + "..."


def compile_overrides(overrides):
    """Turns a step's match map into (regex, rule) pairs; "[*]" matches any index."""
    compiled = []
    for path, rule in (overrides or {}).items():
        pattern = "^" + re.escape(path).replace(r"\[\*\]", r"\[\d+\]") + "$"
        compiled.append((re.compile(pattern), rule))
    return compiled


class Comparer:
    """Compares one recorded expectation with one reply under the normalisation rules,
    collecting differences as strings. Owned by one comparison; shares the CaseState."""

    def __init__(self, state, overrides, sorted_listing):
        self.state = state
        self.overrides = compile_overrides(overrides)
        self.sorted_listing = sorted_listing
        self.differences = []

    def differ(self, path, expected, actual, why=""):
        """Records one difference."""
        suffix = " (%s)" % why if why else ""
        self.differences.append("%s: expected %s, got %s%s" % (
            path, brief(expected), brief(actual), suffix))

    def override_for(self, path):
        """The rule a step's match map names for path, or None."""
        for pattern, rule in self.overrides:
            if pattern.match(path):
                return rule
        return None

    def rule_for(self, path, field):
        """The rule for a value: a match override first, then the field-name tables."""
        rule = self.override_for(path)
        if rule is not None or field is None:
            return rule
        if self.state.api == "v2":
            if field == "nodes" and not self.sorted_listing:
                return "unordered"
            return V2_FIELD_RULES.get(field)
        return V3_FIELD_RULES.get(field)

    def compare(self, expected, actual, path, field=None):
        """Compares a recorded value (templates unexpanded) with an actual one."""
        rule = self.rule_for(path, field)
        if isinstance(expected, str) and not (rule or "").startswith("regex:"):
            expected = expand_value(expected, self.state)
        if rule is None:
            self.exact(expected, actual, path)
        else:
            self.apply(rule, expected, actual, path)

    def apply(self, rule, expected, actual, path):
        """Compares under a named rule."""
        if rule.startswith("regex:"):
            if not isinstance(actual, str) or not re.search(rule[6:], actual):
                self.differ(path, rule[6:], actual, "regex")
            return
        if rule == "kvversion":
            # v3 "version" is a key's version (exact) except in the status answer.
            is_server_version = isinstance(expected, str) and "." in expected
            rule = "version" if is_server_version else "exact"
        check = RULES.get(rule)
        if check is None:
            raise StepError("unknown match rule %r at %s" % (rule, path))
        check(self, expected, actual, path)

    # Structural rules --------------------------------------------------------

    def exact(self, expected, actual, path):
        """Same field names, same array lengths and order, equal scalars of one type."""
        if isinstance(expected, dict):
            self.exact_object(expected, actual, path)
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                return self.differ(path, expected, actual, "array expected")
            if len(expected) != len(actual):
                self.differ(path, "%d items" % len(expected), "%d items" % len(actual),
                            "array length")
            for index, (item, other) in enumerate(zip(expected, actual)):
                self.compare(item, other, "%s[%d]" % (path, index))
        elif type(expected) is not type(actual) or expected != actual:
            self.differ(path, expected, actual)

    def exact_object(self, expected, actual, path):
        """Objects must carry exactly the recorded field names (etcd omits zero values)."""
        if not isinstance(actual, dict):
            return self.differ(path, expected, actual, "object expected")
        for name in expected:
            if name not in actual:
                self.differences.append("%s.%s: missing (expected %s)" % (
                    path, name, brief(expected[name])))
        for name in actual:
            if name not in expected:
                self.differences.append("%s.%s: unexpected field (got %s)" % (
                    path, name, brief(actual[name])))
        for name in expected:
            if name in actual:
                self.compare(expected[name], actual[name], "%s.%s" % (path, name), name)

    def shape(self, expected, actual, path):
        """Same structure and JSON types, any values (used for /v2/stats/*). Match
        overrides of deeper paths still apply."""
        rule = self.override_for(path)
        if rule is not None and rule != "shape":
            return self.apply(rule, expand_value(expected, self.state), actual, path)
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                return self.differ(path, expected, actual, "object expected")
            if set(expected) != set(actual):
                return self.differ(path, sorted(expected), sorted(actual), "field set")
            for name in expected:
                self.shape(expected[name], actual[name], path + "." + name)
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                return self.differ(path, expected, actual, "array expected")
            for index, item in enumerate(actual if expected else []):
                self.shape(expected[0], item, "%s[%d]" % (path, index))
        elif type(expected) is not type(actual):
            self.differ(path, expected, actual, "type")

    def matches(self, expected, actual, path):
        """Tries one element comparison; keeps its effects only if it matched."""
        saved = self.state.checkpoint()
        count = len(self.differences)
        self.compare(expected, actual, path)
        if len(self.differences) == count:
            return True
        del self.differences[count:]
        self.state.rollback(saved)
        return False

    def unordered(self, expected, actual, path):
        """The same elements in any order (etcd's unsorted listings are random)."""
        if not isinstance(actual, list) or not isinstance(expected, list):
            return self.differ(path, expected, actual, "array expected")
        if len(expected) != len(actual):
            return self.differ(path, "%d items" % len(expected), "%d items" % len(actual),
                               "array length")
        used = set()
        for index, item in enumerate(expected):
            item_path = "%s[%d]" % (path, index)
            found = next((j for j, other in enumerate(actual)
                          if j not in used and self.matches(item, other, item_path)), None)
            if found is None:
                return self.differ(item_path, item, "(no matching element, order ignored)")
            used.add(found)

    def subset(self, expected, actual, path):
        """Every recorded element is present; extra elements are allowed."""
        if not isinstance(actual, list):
            return self.differ(path, expected, actual, "array expected")
        for index, item in enumerate(expected):
            item_path = "%s[%d]" % (path, index)
            if not any(self.matches(item, other, item_path) for other in actual):
                self.differ(item_path, item, "(no matching element)")

    # Value rules -------------------------------------------------------------

    def delta(self, cls, expected, actual, path):
        """idx / rev: the distance from the class's base must equal the recorded one."""
        if type(expected) is not type(actual) or to_int(actual) is None:
            kind = "string" if isinstance(expected, str) else "number"
            return self.differ(path, expected, actual, "integer %s expected" % kind)
        recorded, seen = to_int(expected), to_int(actual)
        if recorded is None:
            return self.differ(path, expected, actual, "recorded value is not an integer")
        if recorded == 0:
            # A literal zero (the index of a parameter error) is a value, not a position.
            if seen != 0:
                self.differ(path, expected, actual, "literal 0 expected")
            return
        if cls not in self.state.bases:
            self.state.bases[cls] = (recorded, seen)
            return
        recorded_base, seen_base = self.state.bases[cls]
        if seen - seen_base != recorded - recorded_base:
            self.differ(path, expected, actual, "%s delta: expected base%+d, got base%+d" % (
                cls, recorded - recorded_base, seen - seen_base))

    def mapping(self, cls, expected, actual, path):
        """id / term: one recorded value maps to one actual value, both ways."""
        if type(expected) is not type(actual) or actual in ("", None):
            return self.differ(path, expected, actual, "%s of the same JSON type expected" % cls)
        forward = self.state.forward.setdefault(cls, {})
        backward = self.state.backward.setdefault(cls, {})
        if expected in forward:
            if forward[expected] != actual:
                self.differ(path, expected, actual, "%s inconsistent: earlier it was %s" % (
                    cls, brief(forward[expected])))
            return
        if actual in backward:
            return self.differ(path, expected, actual,
                               "%s already stands for another recorded %s" % (cls, cls))
        forward[expected] = actual
        backward[actual] = expected

    def v2_key(self, expected, actual, path):
        """A v2 key; 20-digit in-order components are indices compared as deltas."""
        if not isinstance(expected, str) or not isinstance(actual, str):
            return self.differ(path, expected, actual, "string expected")
        recorded_parts, actual_parts = expected.split("/"), actual.split("/")
        if len(recorded_parts) != len(actual_parts):
            return self.differ(path, expected, actual)
        for recorded, seen in zip(recorded_parts, actual_parts):
            if IN_ORDER_KEY_RE.match(recorded) and IN_ORDER_KEY_RE.match(seen):
                count = len(self.differences)
                self.delta("idx", int(recorded), int(seen), path)
                if len(self.differences) > count:
                    return
            elif recorded != seen:
                return self.differ(path, expected, actual)

    def index_string(self, cls, expected, actual, path):
        """idxstr / revstr: equal text, with every digit run compared as a delta."""
        if not isinstance(actual, str) or not isinstance(expected, str):
            return self.differ(path, expected, actual, "string expected")
        recorded_parts = re.split(r"(\d+)", expected)
        actual_parts = re.split(r"(\d+)", actual)
        same_text = len(recorded_parts) == len(actual_parts) and all(
            a == b for a, b in zip(recorded_parts[0::2], actual_parts[0::2]))
        if not same_text:
            return self.differ(path, expected, actual)
        for recorded, seen in zip(recorded_parts[1::2], actual_parts[1::2]):
            self.delta(cls, int(recorded), int(seen), path)

    def ttl(self, expected, actual, path):
        """Within one second of the recorded value, of the same JSON type."""
        recorded, seen = to_int(expected), to_int(actual)
        if seen is None or recorded is None or type(expected) is not type(actual) \
                or abs(seen - recorded) > 1:
            self.differ(path, expected, actual, "ttl must be within 1 second")

    def predicate(self, test, why):
        """Builds a rule that only checks the actual value."""
        def check(expected, actual, path):
            if not test(expected, actual):
                self.differ(path, expected, actual, why)
        return check


def is_url_list(expected, actual):
    """A list of http(s) URLs as long as the recorded one."""
    return (isinstance(actual, list) and isinstance(expected, list)
            and len(actual) == len(expected)
            and all(isinstance(item, str) and URL_RE.match(item) for item in actual))


def matching_string(pattern):
    """A test that the actual value is a string matched by pattern."""
    return lambda expected, actual: isinstance(actual, str) and bool(pattern.match(actual))


PREDICATES = {
    "timestamp": (matching_string(RFC3339_RE), "RFC 3339 timestamp expected"),
    "version": (matching_string(VERSION_RE), "version X.Y.Z expected"),
    "int": (lambda e, a: to_int(a) is not None and type(e) is type(a),
            "integer of the same JSON type expected"),
    "string": (lambda e, a: isinstance(a, str), "string expected"),
    "nonempty": (lambda e, a: isinstance(a, str) and a != "", "non-empty string expected"),
    "any": (lambda e, a: True, ""),
    "urls": (is_url_list, "list of URLs of the recorded length expected"),
}

RULES = {
    "exact": Comparer.exact,
    "shape": Comparer.shape,
    "unordered": Comparer.unordered,
    "subset": Comparer.subset,
    "idx": lambda self, e, a, p: self.delta("idx", e, a, p),
    "rev": lambda self, e, a, p: self.delta("rev", e, a, p),
    "id": lambda self, e, a, p: self.mapping("id", e, a, p),
    "term": lambda self, e, a, p: self.mapping("term", e, a, p),
    "v2key": Comparer.v2_key,
    "idxstr": lambda self, e, a, p: self.index_string("idx", e, a, p),
    "revstr": lambda self, e, a, p: self.index_string("rev", e, a, p),
    "ttl": Comparer.ttl,
}
for _name, (_test, _why) in PREDICATES.items():
    RULES[_name] = (lambda test, why: lambda self, e, a, p: self.predicate(test, why)(e, a, p))(
        _test, _why)


def compare_reply(expect, reply, state, overrides, sorted_listing=False):
    """Compares a reply with a recorded expectation; returns the list of differences."""
    if reply.error and not reply.timed_out:
        return ["transport error: %s" % reply.error]
    comparer = Comparer(state, overrides, sorted_listing)
    if "status" in expect and expect["status"] != reply.status:
        comparer.differ("status", expect["status"], reply.status)
    expected_open = expect.get("timed_out", False)
    if expected_open != reply.timed_out:
        why = ("the server did not finish in time" if reply.timed_out
               else "the answer should have stayed open")
        comparer.differ("timed_out", expected_open, reply.timed_out, why)
    compare_payload(comparer, expect, reply)
    compare_headers(comparer, expect.get("headers") or {}, reply.headers)
    return comparer.differences


def compare_payload(comparer, expect, reply):
    """Compares stream messages, a JSON body or a text body, whichever was recorded."""
    if "messages" in expect:
        actual = reply.messages or []
        if len(actual) != len(expect["messages"]):
            comparer.differ("messages", "%d messages" % len(expect["messages"]),
                            "%d messages" % len(actual))
        for index, (item, other) in enumerate(zip(expect["messages"], actual)):
            comparer.compare(item, other, "messages[%d]" % index)
    elif "body" in expect:
        kind, value = decode_body(reply.raw)
        if kind != "json":
            comparer.differ("body", expect["body"], value, "JSON body expected")
        else:
            comparer.compare(expect["body"], value, "body")
    elif "text" in expect:
        actual = reply.raw.decode("utf-8", "replace")
        rule = comparer.override_for("text")
        if rule is not None:
            comparer.apply(rule, expect["text"], actual, "text")
            return
        wanted = expand_text(expect["text"], comparer.state)
        if actual.rstrip() != wanted.rstrip():
            comparer.differ("text", wanted, actual)


def compare_headers(comparer, expected_headers, actual_headers):
    """Compares the recorded whitelist headers; a recorded null means absent."""
    for name, expected in expected_headers.items():
        lower = name.lower()
        path = "headers." + name
        actual = actual_headers.get(lower)
        if expected is None:
            if actual is not None:
                comparer.differ(path, None, actual, "header must be absent")
            continue
        if actual is None:
            comparer.differences.append("%s: missing header (expected %s)" % (
                path, brief(expected)))
            continue
        rule = comparer.override_for(path) or HEADER_RULES.get(lower)
        if rule in ("idx", "int"):
            compare_integer_header(comparer, rule, expected, actual, path)
        elif rule is not None:
            comparer.apply(rule, expected, actual, path)
        elif expand_text(expected, comparer.state) != actual:
            comparer.differ(path, expected, actual)


def compare_integer_header(comparer, rule, expected, actual, path):
    """Header values are text; idx headers share the delta base with body indices."""
    if to_int(actual) is None:
        return comparer.differ(path, expected, actual, "integer expected")
    if rule == "idx":
        comparer.delta("idx", to_int(expected), to_int(actual), path)


# --------------------------------------------------------------------------
# Steps and cases
# --------------------------------------------------------------------------

class Options:
    """How to run: the endpoint, the socket timeout, and whether the server is one
    member of a bigger cluster (then single_member steps are skipped)."""

    def __init__(self, endpoint, socket_timeout_s=SOCKET_TIMEOUT_S, multi_member=False):
        self.endpoint = endpoint
        self.socket_timeout_s = socket_timeout_s
        self.multi_member = multi_member


class StepResult:
    """The outcome of one step: its number and name, and its differences (None when
    the step was skipped, an empty list when it passed)."""

    def __init__(self, number, name, differences):
        self.number = number
        self.name = name
        self.differences = differences

    @property
    def skipped(self):
        """True when the step was not run (single_member in a cluster)."""
        return self.differences is None

    @property
    def passed(self):
        """True when the step ran and matched the recording."""
        return self.differences == []


def get_path(document, path):
    """Follows "body.node.key", "messages[0].result" or similar; None if absent."""
    current = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return current


def take_captures(step, reply, state):
    """Saves the values a step captures; returns a difference for each one missing."""
    differences = []
    for name, path in (step.get("capture") or {}).items():
        if path.startswith("headers."):
            value = reply.headers.get(path[len("headers."):].lower())
        else:
            kind, body = decode_body(reply.raw)
            document = {"body": body if kind == "json" else None,
                        "messages": reply.messages}
            value = get_path(document, path)
        if value is None:
            state.captures.pop(name, None)
            differences.append("capture %s: nothing at %s" % (name, path))
        else:
            state.captures[name] = value
    return differences


def is_sorted_listing(request):
    """True when the request asks for sorted=true (then nodes keep their order)."""
    query = request.get("query") or {}
    pairs = list(query.items()) if isinstance(query, dict) else [tuple(p) for p in query]
    if any(name == "sorted" and str(value) == "true" for name, value in pairs):
        return True
    return "sorted=true" in request.get("rawquery", "")


def concurrent_list(step):
    """The step's concurrent requests as a list."""
    concurrent = step.get("concurrent") or []
    return [concurrent] if isinstance(concurrent, dict) else list(concurrent)


def send_concurrent(options, concurrent, state, started, results, deadline):
    """Sends each concurrent request `delay` seconds after the main request started."""
    for index, item in enumerate(concurrent):
        wait_s = started + float(item.get("delay", CONCURRENT_DELAY_DEFAULT_S)) - time.time()
        if wait_s > 0:
            time.sleep(wait_s)
        try:
            prepared = prepare(item["request"], state)
        except StepError as error:
            results[index] = error
            continue
        results[index] = exchange(options.endpoint, prepared,
                                  Limits(options.socket_timeout_s, deadline))


def send_main(step, state, options, deadline):
    """Sends the step's request `repeat` times; returns the last reply and the
    differences of earlier replies whose status class differs from the recording."""
    limits = Limits(float(step.get("timeout", options.socket_timeout_s)), deadline,
                    step.get("read_timeout"), step.get("stream"))
    repeat = int(step.get("repeat", 1))
    wanted_class = step["expect"].get("status", 0) // 100
    reply = None
    for attempt in range(1, repeat + 1):
        reply = exchange(options.endpoint, prepare(step["request"], state), limits)
        if attempt < repeat and (reply.status or 0) // 100 != wanted_class:
            return reply, ["repeat %d: status %s, expected %dxx" % (
                attempt, reply.status, wanted_class)]
        if time.time() > deadline:
            return reply, ["case deadline reached after %d of %d repeats" % (attempt, repeat)]
    return reply, []


def run_step(step, state, options, deadline):
    """Runs one step (sleep, main request with its concurrent ones, comparison,
    captures); returns its differences."""
    if "expect" not in step:
        raise StepError("the step has no recorded expectation")
    if time.time() > deadline:
        raise StepError("case deadline reached")
    if step.get("sleep"):
        time.sleep(min(float(step["sleep"]), max(0.0, deadline - time.time())))
    concurrent = concurrent_list(step)
    results = [None] * len(concurrent)
    worker = None
    if concurrent:
        worker = threading.Thread(target=send_concurrent, daemon=True, args=(
            options, concurrent, state, time.time(), results, deadline))
        worker.start()
    reply, differences = send_main(step, state, options, deadline)
    if worker is not None:
        worker.join(max(0.1, deadline - time.time()))
    differences += compare_reply(step["expect"], reply, state, step.get("match"),
                                 is_sorted_listing(step["request"]))
    differences += compare_concurrent(concurrent, results, state)
    differences += take_captures(step, reply, state)
    return differences


def compare_concurrent(concurrent, results, state):
    """Compares the answers of the concurrent requests that have an expectation."""
    differences = []
    for index, (item, reply) in enumerate(zip(concurrent, results)):
        if "expect" not in item:
            continue
        label = "concurrent[%d]" % index
        if reply is None:
            differences.append("%s: request did not complete" % label)
        elif isinstance(reply, StepError):
            differences.append("%s: %s" % (label, reply))
        else:
            found = compare_reply(item["expect"], reply, state, item.get("match"))
            differences += ["%s %s" % (label, difference) for difference in found]
    return differences


def slug(name):
    """A key-safe form of a case name for the prefix."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:48] or "case"


def run_case(case, options, token, hard_deadline=None):
    """Runs every step of a case, then its cleanup; returns a list of StepResult."""
    state = CaseState(case.get("api", "v2"), "%s-%s" % (token, slug(case["name"])))
    deadline = time.time() + float(case.get("deadline", CASE_DEADLINE_S))
    if hard_deadline is not None:
        deadline = min(deadline, hard_deadline)
    results = []
    for number, step in enumerate(case["steps"], start=1):
        name = step.get("name", "step %d" % number)
        if options.multi_member and step.get("single_member"):
            results.append(StepResult(number, name, None))
            continue
        try:
            differences = run_step(step, state, options, deadline)
        except StepError as error:
            differences = [str(error)]
        except Exception as error:  # A broken answer fails its step, never the run.
            differences = ["replayer error: %s: %s" % (type(error).__name__, error)]
        results.append(StepResult(number, name, differences))
    run_cleanup(case, state, options)
    return results


def run_cleanup(case, state, options):
    """Sends the case's cleanup requests; their answers are not checked."""
    for request in case.get("cleanup", []):
        try:
            limits = Limits(min(options.socket_timeout_s, CLEANUP_TIMEOUT_S),
                            time.time() + 2 * CLEANUP_TIMEOUT_S)
            exchange(options.endpoint, prepare(request, state), limits)
        except StepError:
            pass


# --------------------------------------------------------------------------
# Files and the whole run
# --------------------------------------------------------------------------

def case_files(paths):
    """Expands folders into their .json files (sorted); raises for a missing path."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            for root, folders, names in os.walk(path):
                folders.sort()
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".json")]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError("no such case file or folder: %s" % path)
    return files


def load_cases(paths, only=None):
    """Returns (file, case) pairs; a file holds one case or {"cases": [...]}."""
    loaded = []
    for path in case_files(paths):
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        cases = document["cases"] if "cases" in document else [document]
        loaded += [(path, case) for case in cases if not only or case.get("api", "v2") == only]
    return loaded


class Summary:
    """Step and case counts of a run."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.cases_ok = 0
        self.cases_failed = 0
        self.failures = []   # "FAIL ..." lines

    @property
    def ok(self):
        """True when no step failed."""
        return self.failed == 0


def display_name(path):
    """The case file relative to the corpus folder when it is inside it."""
    corpus = os.path.dirname(DEFAULT_CASES)
    absolute = os.path.abspath(path)
    return os.path.relpath(absolute, corpus) if absolute.startswith(corpus) else path


def record_case(summary, path, case, results, out, verbose):
    """Adds a case's step results to the summary and prints its failures."""
    failing = False
    for result in results:
        if result.skipped:
            summary.skipped += 1
            continue
        if result.passed:
            summary.passed += 1
            continue
        summary.failed += 1
        failing = True
        more = len(result.differences) - 1
        line = "FAIL %s :: %s #%d %s :: %s%s" % (
            display_name(path), case["name"], result.number, result.name,
            result.differences[0], " (+%d more)" % more if more else "")
        summary.failures.append(line)
        print(line, file=out)
        if verbose:
            for difference in result.differences[1:]:
                print("     " + difference, file=out)
    if failing:
        summary.cases_failed += 1
    else:
        summary.cases_ok += 1
        if verbose:
            print("ok   %s :: %s (%d steps)" % (display_name(path), case["name"], len(results)),
                  file=out)
    out.flush()


def run_corpus(options, paths=None, only=None, max_time_s=1800.0, token=None,
               out=sys.stdout, verbose=False):
    """Runs the cases under paths (default: the project's corpus) one after another
    against options.endpoint, prints failures and the final "N passed, M failed"
    line to out, and returns the Summary. Cases not started before max_time_s count
    all their steps as failed."""
    cases = load_cases(paths or [DEFAULT_CASES], only)
    token = token or ("ct" + uuid.uuid4().hex[:8])
    hard_deadline = time.time() + max_time_s
    summary = Summary()
    for path, case in cases:
        if time.time() >= hard_deadline:
            summary.failed += len(case["steps"])
            summary.cases_failed += 1
            line = "FAIL %s :: %s :: not run, --max-time reached (%d steps counted as failed)" % (
                display_name(path), case["name"], len(case["steps"]))
            summary.failures.append(line)
            print(line, file=out)
            continue
        results = run_case(case, options, token, hard_deadline)
        record_case(summary, path, case, results, out, verbose)
    skipped = "; %d single-member steps skipped" % summary.skipped if summary.skipped else ""
    print("cases: %d ok / %d with failures%s" % (summary.cases_ok, summary.cases_failed, skipped),
          file=out)
    print("%d passed, %d failed" % (summary.passed, summary.failed), file=out)
    out.flush()
    return summary


def parse_arguments(argv):
    """The command line of the replayer."""
    parser = argparse.ArgumentParser(description="Replays the etcd 3.4 conformance corpus.")
    parser.add_argument("--endpoint", required=True, help="base URL, e.g. http://127.0.0.1:2379")
    parser.add_argument("--only", choices=["v2", "v3"], help="run only the cases of one API")
    parser.add_argument("--multi-member", action="store_true",
                        help="the server is one member of a bigger cluster: skip single_member steps")
    parser.add_argument("--timeout", type=float, default=SOCKET_TIMEOUT_S,
                        help="socket timeout per operation in seconds (default %(default)s)")
    parser.add_argument("--max-time", type=float, default=1800.0,
                        help="start no case after this many seconds (default %(default)s)")
    parser.add_argument("--token", help="key prefix token (default: random per run)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case and difference")
    parser.add_argument("paths", nargs="*", help="case files or folders (default: the corpus)")
    return parser.parse_args(argv)


def main(argv=None):
    """Runs the CLI; returns the exit status (0 all passed, 1 a step failed, 2 bad usage)."""
    arguments = parse_arguments(argv)
    options = Options(arguments.endpoint, arguments.timeout, arguments.multi_member)
    try:
        summary = run_corpus(options, arguments.paths, arguments.only, arguments.max_time,
                             arguments.token, verbose=arguments.verbose)
    except (OSError, ValueError) as error:
        print("conformance: %s" % error, file=sys.stderr)
        return 2
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
