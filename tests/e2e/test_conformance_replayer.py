#!/usr/bin/env python3
"""Unit tests of the conformance replayer (conformance.py) against a fake HTTP server.

The fake server answers from a table the test fills in, so each test decides exactly
how right or wrong the "server" is and checks that the replayer passes or fails the
step for the right reason. Run one class with
`python3 tests/e2e/test_conformance_replayer.py ComparisonTest`.
"""

import http.server
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance  # noqa: E402

SERVER_HANG_MAX_S = 10.0  # A hanging fake answer ends by itself after this long.
JSON_HEADERS = {"Content-Type": "application/json"}


class FakeAnswer:
    """One canned answer: status, headers, and either a body, a list of stream chunks
    (sent with a pause between them, then the connection stays open), or nothing at
    all after the headers (hang=True)."""

    def __init__(self, status=200, headers=None, body=None, chunks=None, hang=False):
        self.status = status
        self.headers = dict(JSON_HEADERS if headers is None else headers)
        self.body = body
        self.chunks = chunks
        self.hang = hang


class FakeHandler(http.server.BaseHTTPRequestHandler):
    """Looks the request up in the server's answer function and sends the answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        """Reads one request, records it and sends the canned answer."""
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = {"method": self.command, "path": self.path, "body": body.decode("utf-8")}
        self.server.requests.append(request)
        self.send(self.server.answer(request))
        self.close_connection = True

    def send(self, answer):
        """Writes a FakeAnswer; stream and hanging answers keep the connection open."""
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.hang or answer.chunks is not None:
            self.end_headers()
            self.wfile.flush()
            for chunk in answer.chunks or []:
                self.wfile.write(chunk.encode("utf-8"))
                self.wfile.flush()
            self.server.stopping.wait(SERVER_HANG_MAX_S)
            return
        data = b"" if answer.body is None else (
            answer.body.encode("utf-8") if isinstance(answer.body, str)
            else json.dumps(answer.body).encode("utf-8"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeServer:
    """A loopback HTTP server on a free port, run by a thread for one test."""

    def __init__(self, answer):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHandler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.httpd.answer = answer
        self.httpd.stopping = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        """The base URL of the fake server."""
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    @property
    def requests(self):
        """Every request received so far: method, path and body."""
        return self.httpd.requests

    def close(self):
        """Ends hanging answers, stops serving and closes the socket."""
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def v2_headers(index, cluster="abc", term="2"):
    """Recorded-style v2 headers."""
    return {"Content-Type": "application/json", "X-Etcd-Index": str(index),
            "X-Etcd-Cluster-Id": cluster, "X-Raft-Index": "7", "X-Raft-Term": term}


def set_step(name, key, value, index, status=201):
    """A recorded v2 PUT step."""
    return {"name": name,
            "request": {"method": "PUT", "path": "/v2/keys/{P}/" + key, "form": {"value": value}},
            "expect": {"status": status, "headers": v2_headers(index),
                       "body": {"action": "set", "node": {
                           "key": "/{P}/" + key, "value": value,
                           "modifiedIndex": index, "createdIndex": index}}}}


def answer_set(request, prefix_key, value, index, cluster="abc"):
    """What a correct server answers to set_step, with the given actual index."""
    return FakeAnswer(201, {"Content-Type": "application/json", "X-Etcd-Index": str(index),
                            "X-Etcd-Cluster-Id": cluster, "X-Raft-Index": "900",
                            "X-Raft-Term": "5"},
                      {"action": "set", "node": {"key": prefix_key, "value": value,
                                                 "modifiedIndex": index, "createdIndex": index}})


class ReplayerFixture(unittest.TestCase):
    """Starts a fake server per test from self.answer and runs cases against it."""

    token = "tok"

    def start(self, answer):
        """Starts the fake server with an answer function for this test."""
        self.server = FakeServer(answer)
        self.addCleanup(self.server.close)

    def run_case(self, case, timeout_s=2.0, multi_member=False):
        """Runs one case against the fake server; returns its StepResults."""
        options = conformance.Options(self.server.endpoint, timeout_s, multi_member)
        return conformance.run_case(case, options, self.token)

    def prefix(self, case):
        """The {P} the replayer uses for case."""
        return "%s-%s" % (self.token, conformance.slug(case["name"]))

    def assert_passed(self, results):
        """Every step that ran passed."""
        failing = [(r.number, r.differences) for r in results if not r.passed and not r.skipped]
        self.assertEqual(failing, [])

    def assert_failed(self, results, number, fragment):
        """Step `number` failed with a difference that mentions fragment."""
        result = results[number - 1]
        self.assertFalse(result.passed, "step %d should have failed" % number)
        self.assertTrue(any(fragment in d for d in result.differences),
                        "no difference mentions %r: %r" % (fragment, result.differences))


class ComparisonTest(ReplayerFixture):
    """The normalisation rules accept what etcd may vary and reject everything else."""

    def two_sets_case(self):
        return {"name": "two sets", "api": "v2",
                "steps": [set_step("first", "a", "1", 100), set_step("second", "b", "2", 101)]}

    def serve_indices(self, case, first, second, value_b="2", extra=None):
        prefix = self.prefix(case)

        def answer(request):
            if request["path"].endswith("/a"):
                return answer_set(request, "/%s/a" % prefix, "1", first)
            result = answer_set(request, "/%s/b" % prefix, value_b, second)
            result.body["node"].update(extra or {})
            return result
        self.start(answer)

    def test_passes_when_indices_keep_the_recorded_distance(self):
        """replayer: passes when indices differ from the recording by one offset."""
        case = self.two_sets_case()
        self.serve_indices(case, 5000, 5001)
        self.assert_passed(self.run_case(case))

    def test_fails_when_an_index_delta_differs(self):
        """replayer: fails when the second index is not one past the first."""
        case = self.two_sets_case()
        self.serve_indices(case, 5000, 5003)
        results = self.run_case(case)
        self.assertTrue(results[0].passed)
        self.assert_failed(results, 2, "idx delta")

    def test_fails_when_a_value_differs(self):
        """replayer: fails when a value differs from the recording."""
        case = self.two_sets_case()
        self.serve_indices(case, 5000, 5001, value_b="wrong")
        self.assert_failed(self.run_case(case), 2, "body.node.value")

    def test_fails_when_a_field_is_extra(self):
        """replayer: fails when the answer carries a field etcd leaves out."""
        case = self.two_sets_case()
        self.serve_indices(case, 5000, 5001, extra={"dir": False})
        self.assert_failed(self.run_case(case), 2, "unexpected field")

    def test_fails_when_a_number_is_sent_as_a_string(self):
        """replayer: fails when an index has the wrong JSON type."""
        case = self.two_sets_case()
        self.serve_indices(case, 5000, 5001, extra={"modifiedIndex": "5001"})
        self.assert_failed(self.run_case(case), 2, "integer number expected")

    def test_rules_by_value(self):
        """replayer: each field rule accepts a valid variation and rejects a wrong value."""
        table = [
            # (rule, recorded, accepted, rejected)
            ("ttl", 100, 99, 97),
            ("timestamp", "2026-01-01T00:00:00.5Z", "2030-02-03T04:05:06.123456789Z", "yesterday"),
            ("version", "3.4.23", "0.1.0", "three"),
            ("int", 5, 123456, "123456"),
            ("string", "n1", "member-7", 7),
            ("nonempty", "json: bad", "parse error", ""),
            ("urls", ["http://127.0.0.1:2379"], ["https://10.0.0.1:1"], ["127.0.0.1:2379"]),
            ("regex:^https?://", "http://a", "https://b:1", "ftp://c"),
            ("any", 1, {"x": []}, None),
            ("idxstr", "[12 != 15]", "[112 != 115]", "[112 != 116]"),
            ("shape", {"a": 1, "b": ["x"]}, {"a": 9, "b": ["y", "z"]}, {"a": "9", "b": []}),
            ("subset", [1, 2], [3, 2, 1], [1, 3]),
            ("unordered", [1, 2], [2, 1], [1, 1]),
        ]
        for rule, recorded, accepted, rejected in table:
            for actual, should_pass in ((accepted, True), (rejected, False)):
                if rule == "any" and not should_pass:
                    continue
                with self.subTest(rule=rule, actual=actual):
                    state = conformance.CaseState("v2", "p")
                    if rule == "idxstr":
                        state.bases["idx"] = (10, 110)
                    comparer = conformance.Comparer(state, {"body.x": rule}, False)
                    comparer.compare(recorded, actual, "body.x", "x")
                    self.assertEqual(comparer.differences == [], should_pass, comparer.differences)

    def test_fails_when_an_id_maps_inconsistently(self):
        """replayer: fails when one recorded id stands for two actual ids."""
        state = conformance.CaseState("v3", "p")
        comparer = conformance.Comparer(state, None, False)
        comparer.compare({"member_id": "1", "ID": "1"}, {"member_id": "77", "ID": "78"}, "body")
        self.assertTrue(any("inconsistent" in d for d in comparer.differences))

    def test_fails_when_two_ids_collapse_into_one(self):
        """replayer: fails when two recorded ids map to one actual id."""
        state = conformance.CaseState("v3", "p")
        comparer = conformance.Comparer(state, None, False)
        comparer.compare({"member_id": "1", "lease": "2"}, {"member_id": "77", "lease": "77"},
                         "body")
        self.assertTrue(any("already stands for" in d for d in comparer.differences))

    def test_keeps_nodes_order_when_sorted(self):
        """replayer: unsorted v2 nodes match in any order, sorted ones only in order."""
        recorded = {"nodes": [{"key": "/a"}, {"key": "/b"}]}
        actual = {"nodes": [{"key": "/b"}, {"key": "/a"}]}
        for sorted_listing, should_pass in ((False, True), (True, False)):
            with self.subTest(sorted=sorted_listing):
                comparer = conformance.Comparer(conformance.CaseState("v2", "p"), None,
                                                sorted_listing)
                comparer.compare(recorded, actual, "body.node")
                self.assertEqual(comparer.differences == [], should_pass)

    def test_in_order_keys_are_compared_as_index_deltas(self):
        """replayer: a 20-digit key component follows the index delta."""
        state = conformance.CaseState("v2", "p")
        state.bases["idx"] = (59, 1059)
        for actual, should_pass in (("/p/q/00000000000000001060", True),
                                    ("/p/q/00000000000000001061", False)):
            comparer = conformance.Comparer(state, None, False)
            comparer.compare("/{P}/q/00000000000000000060", actual, "body.node.key", "key")
            self.assertEqual(comparer.differences == [], should_pass, actual)


class HeaderTest(ReplayerFixture):
    """Whitelisted headers are compared; a recorded null X-Etcd-Index means absent."""

    def error_case(self, index_header):
        return {"name": "error", "api": "v2", "steps": [{
            "name": "bad ttl",
            "request": {"method": "PUT", "path": "/v2/keys/{P}/k", "query": {"ttl": "x"}},
            "expect": {"status": 400,
                       "headers": {"Content-Type": "application/json", "X-Etcd-Index": index_header},
                       "body": {"errorCode": 202, "message": "The given TTL in POST form is not a number",
                                "cause": "Update", "index": 0}}}]}

    def serve_error(self, index_header):
        headers = {"Content-Type": "application/json", "X-Unchecked": "1"}
        if index_header is not None:
            headers["X-Etcd-Index"] = index_header
        body = {"errorCode": 202, "message": "The given TTL in POST form is not a number",
                "cause": "Update", "index": 0}
        self.start(lambda request: FakeAnswer(400, headers, body))

    def test_passes_when_a_null_header_is_absent(self):
        """replayer: passes when X-Etcd-Index is absent and recorded as null."""
        self.serve_error(None)
        self.assert_passed(self.run_case(self.error_case(None)))

    def test_fails_when_a_null_header_is_present(self):
        """replayer: fails when X-Etcd-Index is present but recorded as null."""
        self.serve_error("0")
        self.assert_failed(self.run_case(self.error_case(None)), 1, "must be absent")

    def test_fails_when_a_literal_zero_index_is_not_zero(self):
        """replayer: fails when a parameter error's X-Etcd-Index is not 0."""
        self.serve_error("42")
        self.assert_failed(self.run_case(self.error_case("0")), 1, "literal 0")

    def test_fails_when_a_recorded_header_is_missing(self):
        """replayer: fails when a recorded header is missing."""
        self.serve_error(None)
        self.assert_failed(self.run_case(self.error_case("0")), 1, "missing header")


class TemplateTest(ReplayerFixture):
    """Requests are built from templates and captures exactly as the format says."""

    def test_expands_templates_and_captures(self):
        """replayer: sends the prefix, repeat, base64, integer and capture templates expanded."""
        case = {"name": "templates", "api": "v3", "steps": [
            {"name": "capture", "request": {"method": "POST", "path": "/v3/kv/put",
                                            "json": {"key": "$b64:{P}/\\x00k"}},
             "capture": {"rev": "body.header.revision"},
             "expect": {"status": 200, "headers": {}, "body": {"header": {"revision": "10"}}}},
            {"name": "use", "request": {"method": "POST", "path": "/v3/kv/range",
                                        "json": {"key": "{REP:ab*3}", "revision": "$int:{$rev+2}"}},
             "expect": {"status": 200, "headers": {}, "body": {"header": {"revision": "10"}}}},
        ]}
        self.start(lambda request: FakeAnswer(200, body={"header": {"revision": "40"}}))
        self.assert_passed(self.run_case(case))
        first = json.loads(self.server.requests[0]["body"])
        second = json.loads(self.server.requests[1]["body"])
        prefix = self.prefix(case).encode()
        import base64
        self.assertEqual(base64.b64decode(first["key"]), prefix + b"/\x00k")
        self.assertEqual(second, {"key": "ababab", "revision": 42})

    def test_fails_when_a_capture_is_missing(self):
        """replayer: fails a step whose capture path is absent, and the next one using it."""
        case = {"name": "missing capture", "api": "v2", "steps": [
            {"name": "get", "request": {"method": "GET", "path": "/x"},
             "capture": {"k": "body.node.key"},
             "expect": {"status": 200, "headers": {}, "body": {}}},
            {"name": "use", "request": {"method": "GET", "path": "/v2/keys{$k}"},
             "expect": {"status": 200, "headers": {}, "body": {}}},
        ]}
        self.start(lambda request: FakeAnswer(200, body={}))
        results = self.run_case(case)
        self.assert_failed(results, 1, "capture k")
        self.assert_failed(results, 2, "not defined")


class TimingTest(ReplayerFixture):
    """Open answers, streams, concurrent requests, repeats and skips."""

    def watch_step(self, read_timeout):
        return {"name": "watch", "request": {"method": "GET", "path": "/v2/keys/{P}/w",
                                             "query": {"wait": "true"}},
                "read_timeout": read_timeout,
                "expect": {"status": 200, "headers": {}, "timed_out": True, "text": ""}}

    def test_passes_when_a_watch_stays_open(self):
        """replayer: passes when a watch recorded as open stays open."""
        self.start(lambda request: FakeAnswer(200, hang=True))
        case = {"name": "open", "api": "v2", "steps": [self.watch_step(0.3)]}
        self.assert_passed(self.run_case(case))

    def test_fails_when_a_watch_answers_at_once(self):
        """replayer: fails when a watch recorded as open answers at once."""
        self.start(lambda request: FakeAnswer(200, body={"action": "set"}))
        case = {"name": "closed", "api": "v2", "steps": [self.watch_step(0.3)]}
        self.assert_failed(self.run_case(case), 1, "timed_out")

    def test_fails_without_hanging_when_the_server_never_answers(self):
        """replayer: fails a plain step when the server sends headers and no body."""
        self.start(lambda request: FakeAnswer(200, hang=True))
        case = {"name": "hang", "api": "v2", "steps": [
            {"name": "get", "request": {"method": "GET", "path": "/v2/keys/{P}"},
             "expect": {"status": 200, "headers": {}, "body": {}}}]}
        # Without the socket timeout the fake would close after SERVER_HANG_MAX_S and
        # the step would fail on its empty body instead of on timed_out.
        self.assert_failed(self.run_case(case, timeout_s=0.5), 1, "timed_out")

    def test_reads_stream_messages_and_concurrent_answers(self):
        """replayer: reads N stream messages and checks the concurrent answer."""
        def answer(request):
            if request["method"] == "PUT":
                return FakeAnswer(200, body={"ok": True})
            return FakeAnswer(200, chunks=['{"n":1}\n{"n"', ':2}\n'])
        self.start(answer)
        case = {"name": "stream", "api": "v2", "steps": [
            {"name": "stream", "request": {"method": "GET", "path": "/w"},
             "stream": {"messages": 2, "timeout": 2},
             "concurrent": [{"delay": 0.1, "request": {"method": "PUT", "path": "/k"},
                             "expect": {"status": 200, "headers": {}, "body": {"ok": False}}}],
             "expect": {"status": 200, "headers": {}, "messages": [{"n": 1}, {"n": 2}]}}]}
        results = self.run_case(case)
        self.assertEqual(results[0].differences,
                         ["concurrent[0] body.ok: expected false, got true"])

    def test_fails_when_a_stream_is_short(self):
        """replayer: fails when fewer stream messages arrive than were recorded."""
        self.start(lambda request: FakeAnswer(200, chunks=['{"n":1}\n']))
        case = {"name": "short", "api": "v2", "steps": [
            {"name": "stream", "request": {"method": "GET", "path": "/w"},
             "stream": {"messages": 2, "timeout": 0.3},
             "expect": {"status": 200, "headers": {}, "messages": [{"n": 1}, {"n": 2}]}}]}
        self.assert_failed(self.run_case(case), 1, "messages")

    def test_repeats_and_stops_at_a_wrong_status_class(self):
        """replayer: repeats a request N times and stops at the first wrong status class."""
        def answer(request):
            count = len(self.server.requests)
            return FakeAnswer(500 if count == 3 else 200, body={})
        self.start(answer)
        case = {"name": "repeat", "api": "v2", "steps": [
            {"name": "many", "request": {"method": "PUT", "path": "/k"}, "repeat": 5,
             "expect": {"status": 200, "headers": {}, "body": {}}}]}
        results = self.run_case(case)
        self.assertEqual(len(self.server.requests), 3)
        self.assert_failed(results, 1, "repeat 3")

    def test_skips_single_member_steps_in_a_cluster(self):
        """replayer: skips single_member steps with --multi-member and runs cleanup."""
        self.start(lambda request: FakeAnswer(200, body={"wrong": True}))
        case = {"name": "skip", "api": "v2",
                "steps": [{"name": "members", "single_member": True,
                           "request": {"method": "GET", "path": "/v2/members"},
                           "expect": {"status": 200, "headers": {}, "body": {}}}],
                "cleanup": [{"method": "DELETE", "path": "/v2/keys/{P}"}]}
        results = self.run_case(case, multi_member=True)
        self.assertTrue(results[0].skipped)
        self.assertEqual([r["method"] for r in self.server.requests], ["DELETE"])


class CommandLineTest(ReplayerFixture):
    """The CLI prints FAIL lines, ends with "N passed, M failed" and sets the exit status."""

    def write_case(self, folder, case):
        path = os.path.join(folder, case["name"] + ".json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(case, handle)
        return path

    def run_cli(self, paths, *extra):
        command = [sys.executable, conformance.__file__, "--endpoint", self.server.endpoint,
                   "--timeout", "2", *extra, *paths]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    def test_exit_status_and_summary_line(self):
        """replayer CLI: exits 1 and counts steps when one step of two fails."""
        self.start(lambda request: FakeAnswer(200, body={"v": request["path"][-1]}))
        step = lambda name, char: {"name": name, "request": {"method": "GET", "path": "/" + char},
                                   "expect": {"status": 200, "headers": {}, "body": {"v": "a"}}}
        with tempfile.TemporaryDirectory() as folder:
            path = self.write_case(folder, {"name": "cli", "api": "v2",
                                            "steps": [step("good", "a"), step("bad", "b")]})
            result = self.run_cli([path])
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            lines = result.stdout.strip().splitlines()
            self.assertEqual(lines[-1], "1 passed, 1 failed")
            self.assertTrue(any(line.startswith("FAIL ") and "cli #2 bad" in line for line in lines))

    def test_exit_status_zero_and_only_filter(self):
        """replayer CLI: exits 0 when every v2 step passes and --only v2 skips v3 cases."""
        self.start(lambda request: FakeAnswer(200, body={"v": "a"}))
        good = {"name": "v2good", "api": "v2", "steps": [
            {"name": "get", "request": {"method": "GET", "path": "/a"},
             "expect": {"status": 200, "headers": {}, "body": {"v": "a"}}}]}
        bad = {"name": "v3bad", "api": "v3", "steps": [
            {"name": "get", "request": {"method": "GET", "path": "/a"},
             "expect": {"status": 404, "headers": {}, "body": {}}}]}
        with tempfile.TemporaryDirectory() as folder:
            self.write_case(folder, good)
            self.write_case(folder, bad)
            result = self.run_cli([folder], "--only", "v2")
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(result.stdout.strip().splitlines()[-1], "1 passed, 0 failed")

    def test_run_corpus_counts_every_step(self):
        """replayer: run_corpus reports passed and failed steps in its summary."""
        self.start(lambda request: FakeAnswer(404, body={}))
        case = {"name": "corpus", "api": "v2", "steps": [
            {"name": "s%d" % n, "request": {"method": "GET", "path": "/a"},
             "expect": {"status": 200 if n == 2 else 404, "headers": {}, "body": {}}}
            for n in range(1, 4)]}
        with tempfile.TemporaryDirectory() as folder:
            path = self.write_case(folder, case)
            out = io.StringIO()
            summary = conformance.run_corpus(conformance.Options(self.server.endpoint, 2.0),
                                             [path], out=out)
        self.assertEqual((summary.passed, summary.failed), (2, 1))
        self.assertTrue(out.getvalue().rstrip().endswith("2 passed, 1 failed"))


def list_for_ctest():
    """Prints "<test id>\t<CTest name>" per test; the name is the first docstring line."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    pending = [suite]
    while pending:
        item = pending.pop(0)
        if isinstance(item, unittest.TestSuite):
            pending += list(item)
            continue
        test_id = item.id().split(".", 1)[1]
        print("%s\t%s" % (test_id, (item.shortDescription() or test_id).rstrip(".")))


if __name__ == "__main__":
    if sys.argv[1:] == ["--list-ctest"]:
        list_for_ctest()
    else:
        unittest.main()
