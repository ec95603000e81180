"""End-to-end scenarios of the v3 JSON gateway (imported by scenarios.py, which
registers them). They check what the conformance corpus cannot: that the MVCC
revisions are the same on every member, so a watch resumed on another member at
`last revision + 1` continues exactly where it stopped.
"""

import base64
import http.client
import json
import threading
import time
import urllib.parse

import cluster as harness
from cluster import request_json, wait_until

V3_WRITES = 90                    # Puts of the watch scenario.
V3_WRITES_BEFORE_FAULT = 30       # Acknowledged puts before the leader is killed.
V3_WRITER_DEADLINE_S = 90.0       # The writer gives up on the remaining puts.
V3_WATCH_DEADLINE_S = 60.0        # The watcher has seen the last acknowledged put.
V3_WATCH_READ_TIMEOUT_S = 3.0     # One read of the stream; on timeout it reads again.


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(text):
    return base64.b64decode(text).decode("utf-8")


def prefix_end(prefix):
    """etcd's range_end for every key starting with prefix."""
    raw = bytearray(prefix.encode("utf-8"))
    raw[-1] += 1
    return base64.b64encode(bytes(raw)).decode("ascii")


def v3_put(member, key, value):
    """POST /v3/kv/put; returns the header revision of a 2xx answer, or None."""
    answer = request_json(member.client_url, "POST", "/v3/kv/put",
                          {"key": b64(key), "value": b64(value)})
    if not answer.ok or answer.json is None:
        return None
    return int(answer.json["header"]["revision"])


def v3_range_prefix(member, prefix):
    """{key: (value, mod_revision)} of every key under prefix (linearizable range)."""
    answer = request_json(member.client_url, "POST", "/v3/kv/range",
                          {"key": b64(prefix), "range_end": prefix_end(prefix)})
    if not answer.ok or answer.json is None:
        raise AssertionError("range %s through %s answered %r" % (prefix, member.name, answer))
    return {unb64(kv["key"]): (unb64(kv.get("value", "")), int(kv["mod_revision"]))
            for kv in answer.json.get("kvs", [])}


class V3Writer(threading.Thread):
    """Puts `count` distinct keys to the current leader, one after another, pausing
    after `pause_after` acknowledged puts until resume(). A put that fails may or may
    not have committed; the writer moves on to the current leader."""

    def __init__(self, cluster, prefix, count, pause_after):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = prefix
        self.count = count
        self.pause_after = pause_after
        self.acknowledged = {}     # key -> (value, revision)
        self.problem = None
        self.paused = threading.Event()
        self.resumed = threading.Event()

    def run(self):
        try:
            end = time.monotonic() + V3_WRITER_DEADLINE_S
            target = self.cluster.leader()
            for number in range(self.count):
                if time.monotonic() >= end:
                    raise AssertionError("the writer ran out of time at put %d" % number)
                key, value = "%s/k%04d" % (self.prefix, number), "v%d" % number
                revision = v3_put(target, key, value)
                if revision is None:
                    target = self.cluster.leader()
                    continue
                self.acknowledged[key] = (value, revision)
                if len(self.acknowledged) == self.pause_after:
                    self.paused.set()
                    if not self.resumed.wait(V3_WRITER_DEADLINE_S):
                        raise AssertionError("the writer was never resumed")
        except Exception as error:  # Reported by the scenario after join().
            self.problem = "%s: %s" % (type(error).__name__, error)


class V3Watcher(threading.Thread):
    """A v3 watch client: POST /v3/watch with a create_request on the prefix from
    `start_revision`, reading one {"result": ...} line at a time. When its member
    fails it reconnects to another running member from the last seen revision + 1,
    as etcd's clientv3 does."""

    def __init__(self, cluster, prefix, start_revision, member):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = prefix
        self.next_revision = start_revision
        self.member = member
        self.events = []           # (mod_revision, type, key, value)
        self.reconnects = 0
        self.problem = None
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.stream_once()
            except (OSError, http.client.HTTPException, ValueError):
                pass
            if self.problem:
                return
            self.reconnect()

    def stream_once(self):
        """Watches through self.member until the stream breaks or stop() is called."""
        url = urllib.parse.urlsplit(self.member.client_url)
        connection = http.client.HTTPConnection(url.hostname, url.port,
                                                timeout=V3_WATCH_READ_TIMEOUT_S)
        try:
            body = {"create_request": {"key": b64(self.prefix),
                                       "range_end": prefix_end(self.prefix),
                                       "start_revision": str(self.next_revision)}}
            connection.request("POST", "/v3/watch", body=json.dumps(body).encode("utf-8"),
                               headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            if answer.status != 200:
                return
            while not self.stopping.is_set():
                try:
                    line = answer.readline()
                except TimeoutError:
                    if self.member.is_running:
                        continue
                    return
                if not line:
                    return
                self.take(json.loads(line).get("result", {}))
        finally:
            connection.close()

    def take(self, result):
        """Records a message's events; a compaction ends the watch with a problem."""
        if result.get("compact_revision"):
            self.problem = "compacted at %s before revision %d" % (
                result["compact_revision"], self.next_revision)
            return
        for event in result.get("events", []):
            kv = event["kv"]
            revision = int(kv["mod_revision"])
            self.events.append((revision, event.get("type", "PUT"), unb64(kv["key"]),
                                unb64(kv.get("value", ""))))
            self.next_revision = revision + 1

    def reconnect(self):
        """Moves to the next running member other than the current one."""
        following = self.cluster.next_running_member(self.member, self.reconnects)
        if following is not None:
            self.member = following
            self.reconnects += 1
        self.stopping.wait(harness.POLL_INTERVAL_S)

    @property
    def last_revision(self):
        return self.events[-1][0] if self.events else 0

    def stop(self):
        self.stopping.set()
        self.join(V3_WATCH_READ_TIMEOUT_S + harness.REQUEST_TIMEOUT_S)


def scenario_v3_watch_across_leader_failover(options, new_cluster, check):
    """A v3 watch on a prefix, connected to the leader that gets killed in the middle
    of a stream of puts, resumes on another member from its last revision + 1 and sees
    every put exactly once, in revision order, with the revisions the puts were
    acknowledged with and the store holds."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        leader = cluster.leader()
        first = v3_put(leader, "v3watch-start", "0")
        check(first is not None, "the first put failed")
        watcher = V3Watcher(cluster, "v3watch/", first + 1, leader)
        writer = V3Writer(cluster, "v3watch", V3_WRITES, V3_WRITES_BEFORE_FAULT)
        watcher.start()
        writer.start()
        try:
            wait_until(lambda: writer.paused.is_set() or writer.problem or not writer.is_alive(),
                       V3_WRITER_DEADLINE_S, "%d acknowledged puts" % V3_WRITES_BEFORE_FAULT)
            check(writer.problem is None, "writer failed: %s" % writer.problem)
            cluster.kill(leader)
            writer.resumed.set()
            writer.join(V3_WRITER_DEADLINE_S)
            check(not writer.is_alive() and writer.problem is None,
                  "writer failed: %s" % writer.problem)
            check(len(writer.acknowledged) > V3_WRITES_BEFORE_FAULT,
                  "no put was acknowledged after the leader was killed")
            last = max(revision for _, revision in writer.acknowledged.values())
            wait_until(lambda: watcher.last_revision >= last or watcher.problem or
                       not watcher.is_alive(), V3_WATCH_DEADLINE_S,
                       "the watcher to see revision %d" % last)
        finally:
            watcher.stop()
        check(watcher.problem is None, "watcher: %s" % watcher.problem)
        check(watcher.reconnects >= 1, "the watcher never had to reconnect")
        revisions = [revision for revision, _, _, _ in watcher.events]
        check(revisions == sorted(set(revisions)),
              "watch events are not strictly increasing: %s" % revisions)
        seen = {key: (value, revision) for revision, _, key, value in watcher.events}
        check(len(seen) == len(watcher.events), "a key was reported twice")
        for key, written in sorted(writer.acknowledged.items()):
            check(seen.get(key) == written, "watch saw %s as %r, acknowledged %r" % (
                key, seen.get(key), written))
        stored = v3_range_prefix(cluster.leader(), "v3watch/")
        check(seen == stored, "watch events differ from the store: only watched %s, "
              "only stored %s" % (sorted(set(seen) - set(stored)),
                                  sorted(set(stored) - set(seen))))
