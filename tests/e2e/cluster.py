#!/usr/bin/env python3
"""A local cluster of real member processes on loopback, for the end-to-end tests.

Cluster starts N processes of one binary (consensusd or etcd 3.4) with etcd's flags,
each on free loopback ports with its own temporary data directory, and waits for them
with deadlines: never a blind sleep. It can find the leader, kill (SIGKILL), stop
(SIGTERM) and restart a member on its data directory, add a member at runtime
(POST /v2/members, then start it with --initial-cluster-state existing) and remove one
(DELETE /v2/members/<id>).

Lifecycle: a Cluster owns its processes and its temporary folder. close() kills every
process it started, by PID, and removes the folder. It runs on `with` exit, at
interpreter exit (atexit) and on SIGINT, SIGTERM and SIGHUP, so a failing or
interrupted test never leaves a member running. Members also get SIGKILL from Linux
when the harness process dies without running any of that (PR_SET_PDEATHSIG).

    with Cluster("/usr/bin/etcd", size=3) as cluster:
        cluster.start()
        leader = cluster.leader()
        put(leader, "/k", "v")

Only the Python 3 standard library is used.
"""

import atexit
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

START_DEADLINE_S = 60.0        # A member (a sanitizer build on a busy machine) gets healthy.
LEADER_DEADLINE_S = 30.0       # Some member reports StateLeader.
STOP_DEADLINE_S = 10.0         # A member exits after SIGTERM before it is killed.
POLL_INTERVAL_S = 0.05         # Pause between two polls of a condition with a deadline.
REQUEST_TIMEOUT_S = 5.0        # One client request of the harness.
MEMBERSHIP_DEADLINE_S = 30.0   # A membership change is accepted (etcd refuses it while
                               # a peer has been connected for less than 5 s).
LOG_TAIL_BYTES = 4000          # What dump_logs() prints of each member's log.
PORTS_PER_MEMBER = 2           # Client port and peer port.
PR_SET_PDEATHSIG = 1           # prctl(2) option: a signal for the child when its parent dies.
PORT_RANGE_VARIABLE = "CONSENSUS_E2E_PORTS"   # Optional "FIRST-LAST" range of ports to use.


class Response:
    """One HTTP answer: status, headers (lower-case names), text, and the JSON body or
    None. status is None and error is set when the exchange failed."""

    def __init__(self, status=None, headers=None, text="", error=None):
        self.status = status
        self.headers = headers or {}
        self.text = text
        self.error = error
        try:
            self.json = json.loads(text) if text else None
        except ValueError:
            self.json = None

    @property
    def ok(self):
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self):
        if self.error:
            return "<error %s>" % self.error
        return "<%s %s>" % (self.status, self.text[:200])


def request(base_url, method, path, query=None, form=None, timeout_s=REQUEST_TIMEOUT_S):
    """Sends one request to base_url + path; never raises for network trouble."""
    url = urllib.parse.urlsplit(base_url)
    target = path + ("?" + urllib.parse.urlencode(query) if query else "")
    headers = {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif method in ("POST", "PUT"):
        body = b""
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout_s)
    try:
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
        names = {name.lower(): value for name, value in answer.getheaders()}
        return Response(answer.status, names, text)
    except (OSError, http.client.HTTPException) as error:
        return Response(error="%s: %s" % (type(error).__name__, error))
    finally:
        connection.close()


def request_json(base_url, method, path, payload, timeout_s=REQUEST_TIMEOUT_S):
    """Sends a JSON body (used for /v2/members); never raises for network trouble."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout_s)
    try:
        connection.request(method, path, body=json.dumps(payload).encode("utf-8"),
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, text)
    except (OSError, http.client.HTTPException) as error:
        return Response(error="%s: %s" % (type(error).__name__, error))
    finally:
        connection.close()


def wait_until(condition, deadline_s, what):
    """Polls condition() until it returns a true value, which it returns; raises
    TimeoutError naming `what` when deadline_s passes first."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            raise TimeoutError("timed out after %.0f s waiting for %s" % (deadline_s, what))
        time.sleep(POLL_INTERVAL_S)


def port_range():
    """(first, last) from CONSENSUS_E2E_PORTS="FIRST-LAST", or None (kernel-chosen ports).
    Lets runs that share a machine keep to their own ports."""
    text = os.environ.get(PORT_RANGE_VARIABLE, "").strip()
    if not text:
        return None
    try:
        first, last = (int(part) for part in text.split("-", 1))
    except ValueError:
        raise ValueError("%s must look like 33100-33199, not %r" % (PORT_RANGE_VARIABLE, text))
    if not 0 < first <= last < 65536:
        raise ValueError("%s=%r is not a port range" % (PORT_RANGE_VARIABLE, text))
    return first, last


_next_range_port = None   # Where the next search in the port range starts.


def free_ports(count):
    """Returns count distinct loopback ports that were free when asked. All sockets are
    held until every port is chosen, so no port is handed out twice. The ports come
    from the kernel, or from the CONSENSUS_E2E_PORTS range when it is set; a range
    search starts after the last port it gave, so a member that just exited does not
    get its successor's port."""
    global _next_range_port
    sockets = []
    try:
        limits = port_range()
        if limits is None:
            for _ in range(count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind(("127.0.0.1", 0))
                sockets.append(sock)
        else:
            first, last = limits
            size = last - first + 1
            start = _next_range_port if _next_range_port is not None else first
            for offset in range(size):
                if len(sockets) == count:
                    break
                port = first + (start - first + offset) % size
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    sock.close()
                    continue
                sockets.append(sock)
                _next_range_port = port + 1 if port < last else first
            if len(sockets) < count:
                raise RuntimeError("only %d free ports in %s=%d-%d" % (
                    len(sockets), PORT_RANGE_VARIABLE, first, last))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Member:
    """One member process: its name, ports, data directory and log file. The
    process is None while the member is not running. Owned by its Cluster."""

    def __init__(self, name, client_port, peer_port, root):
        self.name = name
        self.client_url = "http://127.0.0.1:%d" % client_port
        self.peer_url = "http://127.0.0.1:%d" % peer_port
        self.data_dir = os.path.join(root, name + ".data")
        self.log_path = os.path.join(root, name + ".log")
        self.process = None
        self.removed = False
        self.initial_cluster = None    # The --initial-cluster of the first launch.
        self.initial_state = None      # The --initial-cluster-state of the first launch.

    @property
    def is_running(self):
        """True while the member's process has not exited."""
        return self.process is not None and self.process.poll() is None

    def __repr__(self):
        return "<member %s %s>" % (self.name, self.client_url)


# Every open cluster, so the exit and signal hooks can close them.
_open_clusters = set()
_open_clusters_lock = threading.Lock()
_hooks_installed = False


def _close_all_clusters():
    """Closes every open cluster (the atexit and signal hook)."""
    with _open_clusters_lock:
        clusters = list(_open_clusters)
    for cluster in clusters:
        cluster.close()


def _on_signal(number, frame):
    """Closes every cluster, then lets the signal do what it would have done."""
    _close_all_clusters()
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)


def _die_with_parent():
    """Runs in the child before exec: asks Linux to SIGKILL the member when the harness
    dies, so even a harness killed with SIGKILL (a CTest timeout) leaves no member
    behind. Launches happen on the main thread, whose exit is the process's exit."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _install_cleanup_hooks():
    """Closes every cluster at interpreter exit and on SIGINT, SIGTERM and SIGHUP."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all_clusters)
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _on_signal)


class Cluster:
    """A cluster of `size` member processes of `binary` on loopback.

    heartbeat_interval_ms and election_timeout_ms are passed as etcd's flags;
    snapshot_count, when not None, as --snapshot-count. extra_args go to every member.
    Nothing runs until start(). close() (or leaving the `with` block) kills every
    process by PID and removes the temporary folder, whatever happened before."""

    def __init__(self, binary, size=3, heartbeat_interval_ms=100, election_timeout_ms=1000,
                 snapshot_count=None, extra_args=(), token=None):
        if not os.access(binary, os.X_OK):
            raise FileNotFoundError("not an executable: %s" % binary)
        # Members run in the cluster's folder, so a relative path must be resolved here.
        self.binary = os.path.abspath(binary)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.election_timeout_ms = election_timeout_ms
        self.snapshot_count = snapshot_count
        self.extra_args = list(extra_args)
        self.root = tempfile.mkdtemp(prefix="consensus-e2e-")
        self.token = token or "e2e-" + os.path.basename(self.root)
        self.members = []
        self._next_number = 1
        self._closed = False
        _install_cleanup_hooks()
        with _open_clusters_lock:
            _open_clusters.add(self)
        for _ in range(size):
            self._new_member()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self.dump_logs()
        self.close()

    # Processes -----------------------------------------------------------------

    def _new_member(self):
        """Creates the next member (not started) on fresh ports."""
        client_port, peer_port = free_ports(PORTS_PER_MEMBER)
        member = Member("m%d" % self._next_number, client_port, peer_port, self.root)
        self._next_number += 1
        self.members.append(member)
        return member

    def new_member(self):
        """A member on fresh ports that is neither started nor added to the cluster
        (for a test of a member that joins without being added)."""
        return self._new_member()

    def initial_cluster(self, members=None):
        """The --initial-cluster value for members (default: all not removed)."""
        chosen = members if members is not None else self.live_members(running_only=False)
        return ",".join("%s=%s" % (m.name, m.peer_url) for m in chosen)

    def arguments(self, member, initial_cluster, state, token=None):
        """The command line of one member, with etcd's flag names; token overrides the
        cluster's --initial-cluster-token (to start a member of another cluster)."""
        arguments = [
            self.binary, "--name", member.name, "--data-dir", member.data_dir,
            "--listen-client-urls", member.client_url,
            "--advertise-client-urls", member.client_url,
            "--listen-peer-urls", member.peer_url,
            "--initial-advertise-peer-urls", member.peer_url,
            "--initial-cluster", initial_cluster,
            "--initial-cluster-state", state,
            "--initial-cluster-token", token or self.token,
            "--heartbeat-interval", str(self.heartbeat_interval_ms),
            "--election-timeout", str(self.election_timeout_ms),
            "--enable-v2=true",
        ]
        if self.snapshot_count is not None:
            arguments += ["--snapshot-count", str(self.snapshot_count)]
        return arguments + self.extra_args

    def launch(self, member, initial_cluster, state, token=None):
        """Starts the member's process (appending to its log); does not wait."""
        if member.is_running:
            raise RuntimeError("%s is already running" % member.name)
        log = open(member.log_path, "ab")
        try:
            member.process = subprocess.Popen(
                self.arguments(member, initial_cluster, state, token), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, cwd=self.root, start_new_session=True,
                preexec_fn=_die_with_parent)
        finally:
            log.close()
        member.initial_cluster = initial_cluster
        member.initial_state = state

    def start(self, deadline_s=START_DEADLINE_S):
        """Starts every member as a new cluster and waits until all are healthy."""
        initial_cluster = self.initial_cluster()
        for member in self.members:
            self.launch(member, initial_cluster, "new")
        for member in self.members:
            self.wait_healthy(member, deadline_s)
        for member in self.members:
            self.wait_published(member, deadline_s)

    def wait_published(self, member, deadline_s=START_DEADLINE_S):
        """Waits until `member` lists every started member with its name and client
        URLs. Members publish those through the log after they start (as etcd does),
        so a member can be healthy a moment before the member list is complete."""
        expected = len(self.members)

        def published():
            answer = request(member.client_url, "GET", "/v2/members", timeout_s=1.0)
            listed = (answer.json or {}).get("members", []) if answer.ok else []
            return (len(listed) == expected and
                    all(m.get("name") and m.get("clientURLs") for m in listed))
        wait_until(published, deadline_s, "%s to list every member as published" % member.name)

    def wait_healthy(self, member, deadline_s=START_DEADLINE_S):
        """Waits until GET /health says {"health":"true"}; raises if the process exits."""
        def healthy():
            if not member.is_running:
                raise RuntimeError("%s exited with status %s (log: %s)" % (
                    member.name, member.process.returncode if member.process else None,
                    member.log_path))
            answer = request(member.client_url, "GET", "/health", timeout_s=1.0)
            return answer.ok and (answer.json or {}).get("health") == "true"
        wait_until(healthy, deadline_s, "%s to be healthy" % member.name)

    def kill(self, member):
        """SIGKILLs the member's process by PID and reaps it."""
        if member.is_running:
            member.process.kill()
        if member.process is not None:
            member.process.wait()

    def stop(self, member, deadline_s=STOP_DEADLINE_S):
        """SIGTERMs the member and waits for it to exit; kills it after deadline_s.
        Returns the exit status."""
        if member.is_running:
            member.process.terminate()
            try:
                member.process.wait(timeout=deadline_s)
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait()
        return member.process.returncode if member.process else None

    def restart(self, member, wait=True, deadline_s=START_DEADLINE_S):
        """Starts a stopped or killed member again on its data directory, with the
        command line of its first launch (as an operator's unit file would)."""
        self.kill(member)
        self.launch(member, member.initial_cluster, member.initial_state)
        if wait:
            self.wait_healthy(member, deadline_s)

    # Membership ------------------------------------------------------------------

    def live_members(self, running_only=True):
        """Members not removed (and, by default, whose process is running)."""
        return [m for m in self.members
                if not m.removed and (m.is_running or not running_only)]

    def next_running_member(self, current, attempt):
        """A running member other than current, rotating over them with attempt (how
        a client fails over); None when no other member runs."""
        others = [m for m in self.live_members() if m is not current]
        return others[attempt % len(others)] if others else None

    def others(self, member):
        """The running members other than member."""
        return [m for m in self.live_members() if m is not member]

    def member_ids(self, via):
        """{name or peer URL: hex id} from GET /v2/members through member via."""
        answer = request(via.client_url, "GET", "/v2/members")
        if not answer.ok or not answer.json:
            raise RuntimeError("GET /v2/members through %s failed: %r" % (via.name, answer))
        ids = {}
        for entry in answer.json.get("members", []):
            for url in entry.get("peerURLs", []):
                ids[url] = entry["id"]
            if entry.get("name"):
                ids[entry["name"]] = entry["id"]
        return ids

    def add_member(self, deadline_s=START_DEADLINE_S, wait=True, token=None):
        """Adds a new member: POST /v2/members through the leader, then starts its
        process with --initial-cluster-state existing (and `token` instead of the
        cluster's --initial-cluster-token when given). Returns the new Member."""
        member = self._new_member()
        answer = self.change_membership(lambda leader: request_json(
            leader.client_url, "POST", "/v2/members", {"peerURLs": [member.peer_url]}))
        if answer.status != 201:
            self.members.remove(member)
            raise RuntimeError("POST /v2/members failed: %r" % answer)
        self.launch(member, self.initial_cluster(), "existing", token)
        if wait:
            self.wait_healthy(member, deadline_s)
        return member

    def remove_member(self, member):
        """Removes member from the cluster: DELETE /v2/members/<id> through the leader.
        The process is left running so the test can watch what it does."""
        leader = self.leader()
        member_id = self.member_ids(leader).get(member.peer_url)
        if member_id is None:
            raise RuntimeError("%s is not in the member list" % member.name)
        answer = self.change_membership(lambda current: request(
            current.client_url, "DELETE", "/v2/members/" + member_id))
        if answer.status != 204:
            raise RuntimeError("DELETE /v2/members/%s failed: %r" % (member_id, answer))
        member.removed = True

    def change_membership(self, send, deadline_s=MEMBERSHIP_DEADLINE_S):
        """Sends a membership change through the leader until it is not refused with a
        5xx or a transport error. etcd refuses a change that could break the active
        quorum with 500 "unhealthy cluster" [etcd: server/etcdserver/server.go
        mayAddMember, mayRemoveMember], so a fresh cluster needs a few seconds."""
        answers = []

        def accepted():
            answer = send(self.leader())
            answers.append(answer)
            return answer.status is not None and answer.status < 500
        try:
            wait_until(accepted, deadline_s, "a membership change to be accepted")
        except TimeoutError:
            pass
        return answers[-1]

    # Leadership ------------------------------------------------------------------

    def state_of(self, member):
        """The member's /v2/stats/self state ("StateLeader", ...) or None."""
        answer = request(member.client_url, "GET", "/v2/stats/self", timeout_s=1.0)
        return (answer.json or {}).get("state") if answer.ok else None

    def leader(self, deadline_s=LEADER_DEADLINE_S, among=None):
        """Waits until exactly one of the running members (or of `among`) reports
        StateLeader, and returns it."""
        def find():
            candidates = among if among is not None else self.live_members()
            leaders = [m for m in candidates if self.state_of(m) == "StateLeader"]
            return leaders[0] if len(leaders) == 1 else None
        return wait_until(find, deadline_s, "a single leader")

    def followers(self):
        """The running members that are not the current leader."""
        leader = self.leader()
        return [m for m in self.live_members() if m is not leader]

    # Cleanup ---------------------------------------------------------------------

    def dump_logs(self, out=sys.stderr):
        """Prints the tail of every member's log (called when a test fails)."""
        for member in self.members:
            try:
                with open(member.log_path, "rb") as handle:
                    handle.seek(0, os.SEEK_END)
                    handle.seek(max(0, handle.tell() - LOG_TAIL_BYTES))
                    tail = handle.read().decode("utf-8", "replace")
            except OSError:
                continue
            print("----- %s log tail (%s) -----\n%s" % (member.name, member.log_path, tail),
                  file=out)

    def close(self):
        """Kills every process of the cluster by PID and removes the temporary folder.
        Safe to call more than once, from a signal handler or at exit."""
        if self._closed:
            return
        self._closed = True
        for member in self.members:
            if member.process is not None and member.process.poll() is None:
                try:
                    member.process.kill()
                except OSError:
                    pass
            if member.process is not None:
                try:
                    member.process.wait(timeout=STOP_DEADLINE_S)
                except subprocess.TimeoutExpired:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)
        with _open_clusters_lock:
            _open_clusters.discard(self)


# Small v2 client helpers used by the scenarios -------------------------------------

def put(member, key, value, timeout_s=REQUEST_TIMEOUT_S, **query):
    """PUT /v2/keys<key> with value; returns the Response."""
    return request(member.client_url, "PUT", "/v2/keys" + key, query=query or None,
                   form={"value": value}, timeout_s=timeout_s)


def get(member, key, quorum=False, timeout_s=REQUEST_TIMEOUT_S, **query):
    """GET /v2/keys<key> (quorum=true when asked); returns the Response."""
    if quorum:
        query["quorum"] = "true"
    return request(member.client_url, "GET", "/v2/keys" + key, query=query or None,
                   timeout_s=timeout_s)
