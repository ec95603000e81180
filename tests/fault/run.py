#!/usr/bin/env python3
"""One fault-injection run: N real members in network namespaces, concurrent clients
recording a history, a nemesis injecting one kind of fault on a seeded schedule, then
healing and the checks:

  1. the history is linearizable (per key, indeterminate operations may or may not
     have happened) — this also catches acknowledged writes that were lost, since the
     final reads are part of the history;
  2. after healing, the cluster serves a write within RECOVERY_BOUND_S;
  3. all members converge to the same state (the same value for every key and the
     same store index, read locally from each member).

Ends with one line: PASS or FAIL (with the reason), the seed, and the operation and
fault counts. Exit 0 on PASS, 1 on FAIL, 3 when the checker ran out of budget.

  run.py --binary build/sanitize/src/consensusd --members 5 --fault mixed --seconds 30 --seed 7
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from linearizability import LINEARIZABLE, NOT_LINEARIZABLE, check_history  # noqa: E402
from members import Members  # noqa: E402
from nemesis import KINDS, Nemesis  # noqa: E402
from netns import Network, available  # noqa: E402
from workload import Client, History  # noqa: E402

RECOVERY_BOUND_S = 20.0
CONVERGENCE_BOUND_S = 20.0
KEYS = ["a", "b", "c", "d", "e"]
SKIPPED = 77  # CTest's SKIP_RETURN_CODE


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def write_succeeds(members: Members, deadline_s: float) -> float | None:
    """Seconds until a write through any member succeeds, or None."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        for i in range(members.count):
            request = urllib.request.Request(members.client_url(i) + "/v2/keys/fault-probe",
                                             data=b"value=x", method="PUT")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status in (200, 201):
                        return time.monotonic() - start
            except (OSError, urllib.error.URLError):
                pass
        time.sleep(0.2)
    return None


def member_state(members: Members, i: int):
    """(store index, {key: value}) as member i sees it locally, or None."""
    try:
        with urllib.request.urlopen(members.client_url(i) + "/v2/keys/fault?recursive=true",
                                    timeout=2) as response:
            body = json.loads(response.read().decode())
            index = int(response.headers.get("X-Etcd-Index", "0"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    values = {n["key"]: n.get("value") for n in body.get("node", {}).get("nodes", [])}
    return index, values


def converged(members: Members, deadline_s: float) -> tuple[bool, str]:
    end = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < end:
        states = [member_state(members, i) for i in range(members.count)]
        if all(s is not None for s in states):
            if all(s[1] == states[0][1] for s in states):
                # Values agree; indices may differ only while a member still applies.
                if all(s[0] == states[0][0] for s in states):
                    return True, ""
            last = "; ".join(f"m{i}: index {s[0]} {s[1]}" for i, s in enumerate(states))
        else:
            last = "a member did not answer a local read"
        time.sleep(0.3)
    return False, last


def final_reads(members: Members, history: History, clients: int, timeout: float) -> None:
    """Every key read once more through a quorum read, so lost writes show up."""
    stop = threading.Event()
    reader = Client(clients, [members.client_url(i) for i in range(members.count)], KEYS,
                    history, 0, stop, timeout, 0)
    for key in KEYS:
        for _ in range(3):
            before = history.counts["ok"]
            reader._read(key, members.client_url(reader.random.randrange(members.count)) +
                         "/v2/keys/fault/" + key)
            if history.counts["ok"] > before:
                break


def run(args) -> int:
    ok, why = available()
    if not ok:
        print(f"SKIP fault tier: {why}")
        return SKIPPED if args.allow_skip else 1
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    network = Network(args.members, net=args.net)
    members = Members(args.binary, network, snapshot_count=args.snapshot_count)
    history = History()
    stop = threading.Event()
    failure = None
    nemesis = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        network.setup()
        members.start_all()
        if not members.wait_healthy(30):
            failure = "cluster never elected a leader"
            return report(False, failure, seed, args, history, 0)
        urls = [members.client_url(i) for i in range(members.count)]
        clients = [Client(p, urls, KEYS, history, rng.randrange(1 << 30), stop, args.timeout,
                          args.think_ms / 1000.0)
                   for p in range(args.clients)]
        for client in clients:
            client.start()
        nemesis = Nemesis(args.fault, members, network, rng.randrange(1 << 30), stop, log)
        nemesis.start()
        time.sleep(args.seconds)
        stop.set()
        nemesis.join()
        for client in clients:
            client.join(args.timeout + 5)
        if nemesis.error is not None:
            failure = f"nemesis failed: {nemesis.error!r}"
        # Heal everything: network, paused and dead members.
        network.heal()
        for i in range(members.count):
            members.resume(i)
            if not members.is_running(i):
                members.start(i)
        recovery = write_succeeds(members, RECOVERY_BOUND_S)
        if failure is None and recovery is None:
            failure = f"no write succeeded within {RECOVERY_BOUND_S:.0f}s after healing"
        final_reads(members, history, args.clients, args.timeout)
        if failure is None:
            same, detail = converged(members, CONVERGENCE_BOUND_S)
            if not same:
                failure = f"members did not converge: {detail}"
        verdict = check_history(history.operations, budget=args.budget,
                                seconds=args.check_seconds)
        if verdict.result != LINEARIZABLE:
            dump = f"/tmp/consensus-fault-history-{seed}.jsonl"
            with open(dump, "w") as f:
                for op in history.operations:
                    f.write(json.dumps(op.__dict__) + "\n")
            log(f"history kept in {dump} (check again: linearizability.py {dump})")
        if failure is None and verdict.result == NOT_LINEARIZABLE:
            failure = f"history not linearizable on key {verdict.key}: {verdict.explanation}"
        if failure is None and verdict.result != LINEARIZABLE:
            return report(None, f"checker: {verdict.explanation}", seed, args, history,
                          nemesis.faults, recovery)
        return report(failure is None, failure, seed, args, history, nemesis.faults, recovery)
    finally:
        stop.set()
        members.cleanup(keep_logs_on_failure=failure is not None)
        if failure is not None:
            print(f"member logs kept in {members.root}")
        network.cleanup()


def report(passed, reason, seed, args, history, faults, recovery=None) -> int:
    counts = history.counts
    word = {True: "PASS", False: "FAIL", None: "UNKNOWN"}[passed]
    recovered = f" recovery={recovery:.1f}s" if recovery is not None else ""
    because = f" ({reason})" if reason else ""
    print(f"{word}{because} fault={args.fault} members={args.members} seed={seed} "
          f"ops={sum(counts.values())} ok={counts['ok']} indeterminate={counts['info']} "
          f"failed={counts['fail']} faults={faults}{recovered}")
    if passed is False:
        print(f"replay: {sys.argv[0]} --binary {args.binary} --members {args.members} "
              f"--fault {args.fault} --seconds {args.seconds} --seed {seed}")
    return {True: 0, False: 1, None: 3}[passed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="consensusd (or etcd) to test")
    parser.add_argument("--members", type=int, default=3, choices=[3, 5])
    parser.add_argument("--fault", default="mixed", choices=KINDS + ["mixed"])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=1.5, help="per-request timeout")
    parser.add_argument("--think-ms", type=float, default=20,
                        help="mean pause between one client's requests")
    parser.add_argument("--snapshot-count", type=int, default=0)
    parser.add_argument("--budget", type=int, default=5_000_000, help="checker step budget")
    parser.add_argument("--check-seconds", type=float, default=120,
                        help="wall-clock limit of the checker (then the verdict is UNKNOWN)")
    parser.add_argument("--net", type=int, default=1, help="third octet of the test subnet")
    parser.add_argument("--allow-skip", action="store_true",
                        help="exit 77 (skipped) with a SKIP line where namespaces can't be made")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
