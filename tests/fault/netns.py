#!/usr/bin/env python3
"""Test hosts in network namespaces, and the partitions between them.

Mechanism: each member runs in its own network namespace ("host") with one veth link
to a bridge in the root namespace. Hosts get addresses 10.213.<net>.<i>/24 (the
subnet exists only inside this machine, on the bridge this module creates); the root
namespace holds .254 on the bridge, so clients in the root namespace reach every
member directly. Partitions are iptables rules in each host's OUTPUT and INPUT chains
dropping packets to or from the cut-off hosts, so a cut can be one-way (asymmetric)
or two-way. Healing flushes those rules.

Every namespace, link and rule is named with the prefix "csf<net>" and removed by
cleanup(), which also runs at exit, on SIGTERM/SIGINT, and at the start of a run to
clear the leftovers of an interrupted earlier run. Needs root (CI runs as root) and
the iproute2 and iptables packages (scripts/setup installs them).
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess

SUBNET_PREFIX = "10.213"


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def available() -> tuple[bool, str]:
    """Whether namespaces can be made here, and if not, why (for a visible skip)."""
    if os.geteuid() != 0:
        return False, "needs root to create network namespaces"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return False, f"{tool} is not installed (scripts/setup installs it)"
    probe = f"csfprobe{os.getpid()}"
    result = _run("ip", "netns", "add", probe, check=False)
    if result.returncode != 0:
        return False, f"ip netns add failed: {result.stderr.strip()}"
    _run("ip", "netns", "del", probe, check=False)
    return True, ""


class Network:
    """N hosts on one bridge. net picks the third octet so concurrent runs don't clash."""

    def __init__(self, hosts: int, net: int = 1):
        self.hosts = hosts
        self.net = net
        self.prefix = f"csf{net}"
        self.bridge = f"{self.prefix}br"
        self._up = False

    def namespace(self, i: int) -> str:
        return f"{self.prefix}h{i}"

    def address(self, i: int) -> str:
        return f"{SUBNET_PREFIX}.{self.net}.{i + 1}"

    def setup(self) -> None:
        self.cleanup()
        atexit.register(self.cleanup)
        self._up = True
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{SUBNET_PREFIX}.{self.net}.254/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        for i in range(self.hosts):
            ns, veth = self.namespace(i), f"{self.prefix}v{i}"
            _run("ip", "netns", "add", ns)
            _run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _run("ip", "link", "set", veth, "master", self.bridge, "up")
            self.exec(i, "ip", "addr", "add", f"{self.address(i)}/24", "dev", "eth0")
            self.exec(i, "ip", "link", "set", "eth0", "up")
            self.exec(i, "ip", "link", "set", "lo", "up")

    def exec(self, i: int, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run("ip", "netns", "exec", self.namespace(i), *args, check=check)

    def command_prefix(self, i: int) -> list[str]:
        """Prefix that runs a program inside host i (exec keeps the program's PID)."""
        return ["ip", "netns", "exec", self.namespace(i)]

    # -- faults -----------------------------------------------------------------

    def cut(self, source: int, target: int) -> None:
        """Drops every packet from source to target (one way)."""
        self.exec(source, "iptables", "-A", "OUTPUT", "-d", self.address(target), "-j", "DROP")
        self.exec(target, "iptables", "-A", "INPUT", "-s", self.address(source), "-j", "DROP")

    def partition(self, groups: list[list[int]]) -> None:
        """Cuts every link between different groups, both ways."""
        for a, group in enumerate(groups):
            for b, other in enumerate(groups):
                if a != b:
                    for source in group:
                        for target in other:
                            self.cut(source, target)

    def heal(self) -> None:
        for i in range(self.hosts):
            self.exec(i, "iptables", "-F", check=False)

    def cleanup(self) -> None:
        """Removes every namespace and link of this network; safe to call repeatedly."""
        listing = _run("ip", "netns", "list", check=False).stdout.split("\n")
        for line in listing:
            name = line.split(" ")[0]
            if name.startswith(self.prefix + "h"):
                _run("ip", "netns", "del", name, check=False)
        _run("ip", "link", "del", self.bridge, check=False)
        self._up = False
