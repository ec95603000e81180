#!/usr/bin/env python3
"""Real member processes (consensusd, or etcd for comparison) in network namespaces,
started with etcd's flags, killed, paused and restarted on their data dirs."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from netns import Network

CLIENT_PORT = 2379
PEER_PORT = 2380


class Members:
    """N members, member i in host i of `network`. Owns their processes and data dirs."""

    def __init__(self, binary: str, network: Network, heartbeat_ms: int = 100,
                 election_ms: int = 1000, snapshot_count: int = 0):
        self.binary = binary
        self.network = network
        self.count = network.hosts
        self.heartbeat_ms = heartbeat_ms
        self.election_ms = election_ms
        self.snapshot_count = snapshot_count
        self.root = tempfile.mkdtemp(prefix="consensus-fault-")
        self.processes: dict[int, subprocess.Popen] = {}
        self.paused: set[int] = set()
        self.is_etcd = os.path.basename(binary).startswith("etcd")

    def name(self, i: int) -> str:
        return f"m{i}"

    def client_url(self, i: int) -> str:
        return f"http://{self.network.address(i)}:{CLIENT_PORT}"

    def peer_url(self, i: int) -> str:
        return f"http://{self.network.address(i)}:{PEER_PORT}"

    def data_dir(self, i: int) -> str:
        return os.path.join(self.root, self.name(i))

    def command(self, i: int) -> list[str]:
        cluster = ",".join(f"{self.name(j)}={self.peer_url(j)}" for j in range(self.count))
        args = [self.binary, "--name", self.name(i), "--data-dir", self.data_dir(i),
                "--listen-client-urls", self.client_url(i),
                "--advertise-client-urls", self.client_url(i),
                "--listen-peer-urls", self.peer_url(i),
                "--initial-advertise-peer-urls", self.peer_url(i),
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "fault-tier",
                "--heartbeat-interval", str(self.heartbeat_ms),
                "--election-timeout", str(self.election_ms), "--enable-v2=true"]
        if self.snapshot_count:
            args += ["--snapshot-count", str(self.snapshot_count)]
        return self.network.command_prefix(i) + args

    def start(self, i: int) -> None:
        log = open(os.path.join(self.root, f"{self.name(i)}.log"), "ab")
        self.processes[i] = subprocess.Popen(self.command(i), stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL)
        self.paused.discard(i)

    def start_all(self) -> None:
        for i in range(self.count):
            self.start(i)

    def is_running(self, i: int) -> bool:
        process = self.processes.get(i)
        return process is not None and process.poll() is None

    def kill(self, i: int) -> None:
        """SIGKILL: the member loses everything it had not synced."""
        process = self.processes.get(i)
        if process is not None and process.poll() is None:
            if i in self.paused:
                os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait()
        self.paused.discard(i)

    def pause(self, i: int) -> None:
        if self.is_running(i):
            os.kill(self.processes[i].pid, signal.SIGSTOP)
            self.paused.add(i)

    def resume(self, i: int) -> None:
        if i in self.paused and self.is_running(i):
            os.kill(self.processes[i].pid, signal.SIGCONT)
        self.paused.discard(i)

    def stop_all(self) -> None:
        for i in list(self.processes):
            self.kill(i)

    def cleanup(self, keep_logs_on_failure: bool = False) -> None:
        self.stop_all()
        if not keep_logs_on_failure:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- observation --------------------------------------------------------------

    def get_json(self, i: int, path: str, timeout: float = 1.0):
        with urllib.request.urlopen(self.client_url(i) + path, timeout=timeout) as response:
            return json.loads(response.read().decode())

    def leader(self, timeout: float = 1.0):
        """The member that says it is the leader, or None."""
        for i in range(self.count):
            if not self.is_running(i) or i in self.paused:
                continue
            try:
                if self.get_json(i, "/v2/stats/self", timeout).get("state") == "StateLeader":
                    return i
            except (OSError, ValueError, urllib.error.URLError):
                continue
        return None

    def wait_healthy(self, deadline_s: float) -> bool:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.leader() is not None:
                return True
            time.sleep(0.1)
        return False
