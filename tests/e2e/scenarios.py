#!/usr/bin/env python3
"""End-to-end scenarios: real member processes on loopback, driven over HTTP.

Usage:
    python3 tests/e2e/scenarios.py --binary build/sanitize/src/consensusd SCENARIO
    python3 tests/e2e/scenarios.py --binary /usr/bin/etcd --all
    python3 tests/e2e/scenarios.py --list

Each scenario starts its own cluster (tests/e2e/cluster.py) and removes it afterwards.
It prints "PASS <scenario>" or "FAIL <scenario>: <what differed>" (with the tail of
every member's log) and exits 0 or 1. The same scenarios run against etcd 3.4
(`--binary /usr/bin/etcd`), which shows the expectations are etcd's behaviour.

Waiting is always a poll of a condition with a deadline, never a sleep.
"""

import argparse
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as harness  # noqa: E402
import conformance  # noqa: E402
import v3_scenarios  # noqa: E402
from cluster import Cluster, get, put, request, wait_until  # noqa: E402

CASES = conformance.DEFAULT_CASES                       # v2 and v3 cases
WRITES_PER_SCENARIO = 90          # Writes of the restart and watch scenarios.
WRITES_BEFORE_FAULT = 30          # Acknowledged writes before the leader is killed.
CATCH_UP_WRITES = 150             # Keys written before a member is added.
CATCH_UP_DEADLINE_S = 60.0        # The added member serves every key.
WATCH_DEADLINE_S = 60.0           # The watcher has seen the last acknowledged write.
WATCH_POLL_TIMEOUT_S = 3.0        # One long-poll; on timeout the same waitIndex is asked again.
WRITER_DEADLINE_S = 90.0          # The writer gives up on the remaining writes.
REMOVAL_DEADLINE_S = 30.0         # The removed member stops serving.
DEFAULT_SNAPSHOT_COUNT = 25       # Small, so an added member may catch up from a snapshot.


class ScenarioFailure(AssertionError):
    """A scenario saw behaviour that differs from etcd's."""


def check(condition, message):
    """Raises ScenarioFailure(message) unless condition holds."""
    if not condition:
        raise ScenarioFailure(message)


# --------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------

class Writer(threading.Thread):
    """Writes `count` distinct keys "<prefix>/k0000"... with values "v<n>" to the
    current leader, one after another. A write answered 2xx is acknowledged and
    remembered with its modifiedIndex; a write that fails (error, timeout, not-leader)
    is uncertain: it may or may not have committed, so it is remembered apart and the
    writer moves to the next key on the member that is leader now.

    With pause_after = N the writer stops after the N-th acknowledged write until
    resume(), so a fault lands at a known point of the stream and writes surely follow."""

    def __init__(self, cluster, prefix, count, pause_after=None):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = prefix
        self.count = count
        self.pause_after = pause_after
        self.acknowledged = {}     # key -> (value, modifiedIndex)
        self.uncertain = set()
        self.problem = None
        self.paused = threading.Event()
        self.resumed = threading.Event()

    def run(self):
        """The thread body; a failure is kept in self.problem."""
        try:
            self.write_all()
        except Exception as error:  # Reported by the scenario after join().
            self.problem = "%s: %s" % (type(error).__name__, error)

    def write_all(self):
        """Writes every key once, moving to the new leader after a failed write."""
        end = time.monotonic() + WRITER_DEADLINE_S
        target = self.cluster.leader()
        for number in range(self.count):
            check(time.monotonic() < end, "the writer ran out of time at write %d" % number)
            key, value = "%s/k%04d" % (self.prefix, number), "v%d" % number
            answer = put(target, key, value)
            if not answer.ok:
                self.uncertain.add(key)
                target = self.cluster.leader()
                continue
            self.acknowledged[key] = (value, answer.json["node"]["modifiedIndex"])
            if len(self.acknowledged) == self.pause_after:
                self.paused.set()
                check(self.resumed.wait(WRITER_DEADLINE_S), "the writer was never resumed")

    def wait_paused(self, deadline_s=WRITER_DEADLINE_S):
        """Waits until the writer pauses after pause_after acknowledged writes."""
        wait_until(lambda: self.paused.is_set() or self.problem or not self.is_alive(),
                   deadline_s, "%s acknowledged writes" % self.pause_after)
        check(self.problem is None, "writer failed: %s" % self.problem)
        check(self.paused.is_set(), "the writer ended before it paused")

    def resume(self):
        """Lets a paused writer go on."""
        self.resumed.set()

    def finish(self):
        """Joins the writer and fails the scenario if it broke."""
        self.join(WRITER_DEADLINE_S)
        check(not self.is_alive(), "the writer did not finish")
        check(self.problem is None, "writer failed: %s" % self.problem)


class Watcher(threading.Thread):
    """The etcd v2 client's watch loop: GET <prefix>?wait=true&recursive=true&waitIndex=N,
    then N = event's modifiedIndex + 1, forever. When its member fails (connection
    refused or reset, or an error status) it reconnects to another running member with
    the same waitIndex. A long-poll that times out is simply asked again."""

    def __init__(self, cluster, prefix, first_index, member):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = prefix
        self.wait_index = first_index
        self.member = member
        self.events = []           # (modifiedIndex, action, key, value)
        self.reconnects = 0
        self.problem = None
        self.stopping = threading.Event()

    def run(self):
        """The watch loop; stops on stop() or on a cleared history (self.problem)."""
        while not self.stopping.is_set():
            answer = get(self.member, self.prefix, timeout_s=WATCH_POLL_TIMEOUT_S, wait="true",
                         recursive="true", waitIndex=str(self.wait_index))
            if answer.ok and answer.json and "node" in answer.json:
                node = answer.json["node"]
                self.events.append((node["modifiedIndex"], answer.json["action"], node["key"],
                                    node.get("value")))
                self.wait_index = node["modifiedIndex"] + 1
            elif answer.error and "timed out" in answer.error and self.member.is_running:
                continue
            elif answer.status == 400 and (answer.json or {}).get("errorCode") == 401:
                self.problem = "the history was cleared before waitIndex %d" % self.wait_index
                return
            else:
                self.reconnect()

    def reconnect(self):
        """Moves to the next running member other than the current one."""
        following = self.cluster.next_running_member(self.member, self.reconnects)
        if following is not None:
            self.member = following
            self.reconnects += 1
        self.stopping.wait(harness.POLL_INTERVAL_S)

    @property
    def last_index(self):
        """The modifiedIndex of the last event seen, or 0."""
        return self.events[-1][0] if self.events else 0

    def stop(self):
        """Ends the loop after the current long-poll and joins the thread."""
        self.stopping.set()
        self.join(WATCH_POLL_TIMEOUT_S + harness.REQUEST_TIMEOUT_S)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

def check_reads(member, acknowledged, what):
    """Every acknowledged write reads back through member with quorum=true."""
    for key, (value, _) in sorted(acknowledged.items()):
        answer = get(member, key, quorum=True)
        check(answer.ok, "%s: quorum GET %s through %s answered %r" % (
            what, key, member.name, answer))
        actual = answer.json["node"].get("value")
        check(actual == value, "%s: %s through %s is %r, acknowledged %r" % (
            what, key, member.name, actual, value))


def listing(member, prefix):
    """{key: (value, modifiedIndex)} of every file under prefix (recursive, quorum)."""
    answer = get(member, prefix, quorum=True, recursive="true")
    check(answer.ok, "GET %s recursive through %s answered %r" % (prefix, member.name, answer))
    files = {}
    pending = [answer.json["node"]]
    while pending:
        node = pending.pop()
        if node.get("dir"):
            pending += node.get("nodes", [])
        else:
            files[node["key"]] = (node.get("value"), node["modifiedIndex"])
    return files


def member_peer_urls(member):
    """The peer URLs of every member in GET /v2/members through member."""
    answer = request(member.client_url, "GET", "/v2/members")
    check(answer.ok and answer.json is not None,
          "GET /v2/members through %s answered %r" % (member.name, answer))
    return sorted(url for entry in answer.json["members"] for url in entry["peerURLs"])


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def run_conformance(member, multi_member):
    """Runs every case of the corpus (v2 keys and the v3 gateway) against member and
    fails on any failed step."""
    options = conformance.Options(member.client_url, multi_member=multi_member)
    summary = conformance.run_corpus(options, [CASES], max_time_s=600)
    check(summary.ok, "%d conformance steps failed:\n%s" % (
        summary.failed, "\n".join(summary.failures)))


def scenario_conformance_single(options):
    """Every conformance step passes against a single member."""
    with new_cluster(options, size=1) as cluster:
        cluster.start()
        run_conformance(cluster.leader(), multi_member=False)


def scenario_conformance_follower(options):
    """Every conformance step (except single-member ones) passes through a follower of
    a 3-member cluster."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        run_conformance(cluster.followers()[0], multi_member=True)


def scenario_restart_reads_acknowledged_writes(options):
    """A member killed with SIGKILL and restarted on its data dir reads back every
    acknowledged write, and so does the whole cluster after every member is killed."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        old_leader = cluster.leader()
        writer = Writer(cluster, "/restart", WRITES_PER_SCENARIO, WRITES_BEFORE_FAULT)
        writer.start()
        writer.wait_paused()
        cluster.kill(old_leader)
        writer.resume()
        writer.finish()
        check(len(writer.acknowledged) > WRITES_BEFORE_FAULT,
              "no write was acknowledged after the leader was killed")
        cluster.restart(old_leader)
        check_reads(old_leader, writer.acknowledged, "after the leader's restart")
        for member in cluster.live_members():
            cluster.kill(member)
        for member in cluster.members:
            cluster.restart(member, wait=False)
        for member in cluster.members:
            cluster.wait_healthy(member)
        check_reads(old_leader, writer.acknowledged, "after every member restarted")


def scenario_watch_across_leader_failover(options):
    """A chained recursive v2 watch sees every change exactly once and in order while
    the leader it is connected to is killed in the middle of a stream of writes."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        leader = cluster.leader()
        start = put(leader, "/watch/start", "0")
        check(start.ok, "the first write answered %r" % start)
        first_index = start.json["node"]["modifiedIndex"] + 1
        watcher = Watcher(cluster, "/watch", first_index, leader)
        writer = Writer(cluster, "/watch", WRITES_PER_SCENARIO, WRITES_BEFORE_FAULT)
        watcher.start()
        writer.start()
        try:
            writer.wait_paused()
            cluster.kill(leader)
            writer.resume()
            writer.finish()
            check(len(writer.acknowledged) > WRITES_BEFORE_FAULT,
                  "no write was acknowledged after the leader was killed")
            last = max(index for _, index in writer.acknowledged.values())
            wait_until(lambda: watcher.last_index >= last or watcher.problem or
                       not watcher.is_alive(), WATCH_DEADLINE_S,
                       "the watcher to see index %d" % last)
        finally:
            watcher.stop()
        check(watcher.problem is None, "watcher: %s" % watcher.problem)
        check(watcher.reconnects >= 1, "the watcher never had to reconnect")
        check_watch_history(watcher.events, writer.acknowledged, listing(cluster.leader(), "/watch"),
                            first_index)


def check_watch_history(events, acknowledged, files, first_index):
    """Events ((index, action, key, value) tuples) are in index order, unique, cover
    every acknowledged write ({key: (value, index)}) and are exactly the files
    ({key: (value, index)}) the store holds from first_index on. Each key is written
    once, so one key in two events is a duplicate delivery."""
    indices = [index for index, _, _, _ in events]
    check(indices == sorted(set(indices)),
          "watch events are not strictly increasing: %s" % indices)
    seen = {key: (value, index) for index, _, key, value in events}
    check(len(seen) == len(events), "a key was reported twice")
    for key, written in sorted(acknowledged.items()):
        check(seen.get(key) == written, "watch saw %s as %r, acknowledged %r" % (
            key, seen.get(key), written))
    stored = {key: entry for key, entry in files.items() if entry[1] >= first_index}
    check(seen == stored, "watch events differ from the store: only watched %s, only stored %s"
          % (sorted(set(seen) - set(stored)), sorted(set(stored) - set(seen))))


def scenario_added_member_catches_up(options):
    """A member added at runtime (after more writes than --snapshot-count) catches up:
    it serves every key, quorum reads through it work, and writes through it land."""
    with new_cluster(options, size=3, snapshot_count=options.snapshot_count) as cluster:
        cluster.start()
        leader = cluster.leader()
        acknowledged = {}
        for number in range(CATCH_UP_WRITES):
            key, value = "/catchup/k%04d" % number, "v%d" % number
            answer = put(leader, key, value)
            check(answer.ok, "write %s answered %r" % (key, answer))
            acknowledged[key] = (value, answer.json["node"]["modifiedIndex"])
        added = cluster.add_member()
        last_key = max(acknowledged)
        wait_until(lambda: get(added, last_key).ok, CATCH_UP_DEADLINE_S,
                   "the added member to serve %s locally" % last_key)
        check_reads(added, acknowledged, "through the added member")
        check(len(member_peer_urls(added)) == 4, "the added member does not list 4 members")
        answer = put(added, "/catchup/through-added", "x")
        check(answer.ok, "a write through the added member answered %r" % answer)
        check_reads(cluster.leader(), {"/catchup/through-added": ("x", 0)},
                    "a write through the added member")


def scenario_removed_member_stops_serving(options):
    """A removed member stops serving (its process exits or its requests fail) and the
    remaining members keep serving reads and writes."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        leader = cluster.leader()
        check(put(leader, "/removal/before", "1").ok, "the first write failed")
        victim = cluster.followers()[0]
        cluster.remove_member(victim)

        def stopped_serving():
            if not victim.is_running:
                return "its process exited with status %s" % victim.process.returncode
            answer = put(victim, "/removal/probe", "x", timeout_s=2.0)
            return None if answer.ok else "a write through it answered %r" % answer
        how = wait_until(stopped_serving, REMOVAL_DEADLINE_S, "%s to stop serving" % victim.name)
        print("removed member %s stopped serving: %s" % (victim.name, how), flush=True)
        remaining = cluster.live_members()
        check(len(remaining) == 2, "expected 2 remaining members, have %s" % remaining)
        leader = cluster.leader(among=remaining)
        other = [m for m in remaining if m is not leader][0]
        check(put(leader, "/removal/after", "2").ok, "a write after the removal failed")
        check_reads(other, {"/removal/before": ("1", 0), "/removal/after": ("2", 0)},
                    "after the removal")
        check(victim.peer_url not in member_peer_urls(leader),
              "the removed member is still listed")


def log_since(member, offset):
    """The member's log from byte `offset` on (what its latest launch wrote)."""
    with open(member.log_path, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def log_size(member):
    """The current size of the member's log, 0 before its first launch."""
    try:
        return os.path.getsize(member.log_path)
    except OSError:
        return 0


def wait_exited(member, what):
    """Waits until member's process exits; returns its exit status."""
    wait_until(lambda: not member.is_running, REMOVAL_DEADLINE_S, "%s to %s" % (member.name, what))
    return member.process.returncode


def scenario_member_joins_after_removal(options):
    """A new member joins after another was removed: its --initial-cluster lists the two
    remaining members and itself, which is not the membership the cluster was formed
    with, yet it learns the cluster's id from its peers, catches up and serves a key
    written before it was added."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        leader = cluster.leader()
        check(put(leader, "/join/before", "1").ok, "the first write failed")
        removed = cluster.followers()[0]
        cluster.remove_member(removed)
        cluster.kill(removed)
        joined = cluster.add_member()
        check(removed.peer_url not in joined.initial_cluster,
              "the joining member's --initial-cluster still lists the removed member")
        wait_until(lambda: get(joined, "/join/before").ok, CATCH_UP_DEADLINE_S,
                   "the joined member to serve /join/before locally")
        check_reads(joined, {"/join/before": ("1", 0)}, "through the joined member")
        check(len(member_peer_urls(joined)) == 3, "the joined member does not list 3 members")
        answer = put(joined, "/join/through-joined", "2")
        check(answer.ok, "a write through the joined member answered %r" % answer)
        check_reads(cluster.leader(), {"/join/through-joined": ("2", 0)},
                    "a write through the joined member")


def scenario_removed_member_exits_when_restarted(options):
    """A member removed while it was down never applies its own removal; restarted on
    its data dir, it is told by its peers that it was removed, logs etcd's line "the
    member has been permanently removed from the cluster" and exits with status 0."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        removed = cluster.followers()[0]
        cluster.stop(removed)
        cluster.remove_member(removed)
        check(put(cluster.leader(), "/removed/after", "1").ok, "a write after the removal failed")
        offset = log_size(removed)
        cluster.restart(removed, wait=False)
        status = wait_exited(removed, "exit after its restart")
        check(status == 0, "the removed member exited with status %s, want 0" % status)
        log = log_since(removed, offset)
        check("the member has been permanently removed from the cluster" in log,
              "the removed member's log does not say it was removed")
        remaining = cluster.live_members()
        check(len(remaining) == 2, "expected 2 remaining members, have %s" % remaining)
        check_reads(remaining[0], {"/removed/after": ("1", 0)}, "after the restart of the removed")


def scenario_joining_member_refused_unless_added(options):
    """A member started with --initial-cluster-state existing refuses to start (one
    line, exit status 2) when the cluster never added it, and when it was added but
    its --initial-cluster-token is another cluster's; the cluster keeps serving."""
    with new_cluster(options, size=3) as cluster:
        cluster.start()
        stranger = cluster.new_member()
        cluster.launch(stranger, cluster.initial_cluster(), "existing")
        status = wait_exited(stranger, "refuse to join")
        stranger.removed = True
        check(status == 2, "the member never added exited with status %s, want 2" % status)
        check("member not added to the cluster: use member add first" in log_since(stranger, 0),
              "the member never added does not say why it stopped")

        foreign = cluster.add_member(wait=False, token="another-cluster")
        status = wait_exited(foreign, "refuse to join")
        check(status == 2, "the member of another cluster exited with status %s, want 2" % status)
        check("belongs to another cluster" in log_since(foreign, 0),
              "the member of another cluster does not say why it stopped")
        check(put(cluster.leader(), "/refused/after", "1").ok,
              "a write after the refused joins failed")


SCENARIOS = {
    "conformance_single": scenario_conformance_single,
    "conformance_follower": scenario_conformance_follower,
    "restart_reads_acknowledged_writes": scenario_restart_reads_acknowledged_writes,
    "watch_across_leader_failover": scenario_watch_across_leader_failover,
    "added_member_catches_up": scenario_added_member_catches_up,
    "removed_member_stops_serving": scenario_removed_member_stops_serving,
    "member_joins_after_removal": scenario_member_joins_after_removal,
    "removed_member_exits_when_restarted": scenario_removed_member_exits_when_restarted,
    "joining_member_refused_unless_added": scenario_joining_member_refused_unless_added,
    "v3_watch_across_leader_failover": lambda options:
        v3_scenarios.scenario_v3_watch_across_leader_failover(options, new_cluster, check),
}


def new_cluster(options, size, snapshot_count=None):
    """A Cluster of the binary under test with the command line's timing flags."""
    return Cluster(options.binary, size=size, heartbeat_interval_ms=options.heartbeat_interval,
                   election_timeout_ms=options.election_timeout, snapshot_count=snapshot_count)


def run_scenario(name, options):
    """Runs one scenario; prints PASS or FAIL and returns True when it passed."""
    started = time.monotonic()
    try:
        SCENARIOS[name](options)
    except (ScenarioFailure, TimeoutError, RuntimeError) as error:
        print("FAIL %s: %s" % (name, error), flush=True)
        return False
    except Exception:
        print("FAIL %s: unexpected error\n%s" % (name, traceback.format_exc()), flush=True)
        return False
    print("PASS %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
    return True


def parse_arguments(argv):
    """The command line of the scenario runner."""
    parser = argparse.ArgumentParser(description="End-to-end scenarios on a local cluster.")
    parser.add_argument("--binary", help="member executable: consensusd or /usr/bin/etcd")
    parser.add_argument("--snapshot-count", type=int, default=DEFAULT_SNAPSHOT_COUNT,
                        help="--snapshot-count of added_member_catches_up (default %(default)s)")
    parser.add_argument("--heartbeat-interval", type=int, default=100, help="milliseconds")
    parser.add_argument("--election-timeout", type=int, default=1000, help="milliseconds")
    parser.add_argument("--all", action="store_true", help="run every scenario")
    parser.add_argument("--list", action="store_true", help="print the scenario names")
    parser.add_argument("scenarios", nargs="*", help="scenario names (see --list)")
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error("unknown scenario %s (see --list)" % ", ".join(unknown))
    return arguments


def main(argv=None):
    """Runs the chosen scenarios; returns 0 when all passed, 1 otherwise, 2 on bad usage."""
    arguments = parse_arguments(argv)
    if arguments.list:
        print("\n".join(SCENARIOS))
        return 0
    names = list(SCENARIOS) if arguments.all else arguments.scenarios
    if not arguments.binary or not names:
        print("scenarios: give --binary and a scenario name (or --all); see --list",
              file=sys.stderr)
        return 2
    results = [run_scenario(name, arguments) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
