#!/usr/bin/env python3
"""The nemesis: injects one kind of fault at a time on a seeded schedule, and heals it.

Fault kinds:
  kill            SIGKILL a random member, restart it on its data dir later
  kill-leader     SIGKILL the current leader, restart it later
  pause           SIGSTOP a random member (the leader half the time), SIGCONT later
  partition       a random majority/minority split, both directions cut
  isolate-leader  the leader alone on one side
  asymmetric      the leader can receive but not send (its outbound packets dropped)
  kill-minority   SIGKILL a whole minority at once (2 of 5: the cluster must keep serving)
  cut-kill-leader cut the leader's outbound traffic for 0.5-1 s while it still serves
                  clients, then SIGKILL it: a crash with writes in flight (what exposes a
                  leader that acknowledges writes before a majority has them)
  mixed           any of the above, chosen per round
"""
from __future__ import annotations

import random
import threading

from members import Members
from netns import Network

KINDS = ["kill", "kill-leader", "pause", "partition", "isolate-leader", "asymmetric",
         "kill-minority", "cut-kill-leader"]


class Nemesis(threading.Thread):
    def __init__(self, kind: str, members: Members, network: Network, seed: int,
                 stop: threading.Event, log):
        super().__init__(daemon=True)
        if kind != "mixed" and kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {KINDS + ['mixed']}")
        self.kind = kind
        self.members = members
        self.network = network
        self.random = random.Random(seed)
        self.stop_event = stop
        self.log = log
        self.faults = 0
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.wait(self.random.uniform(1.0, 2.5)):
                kind = self.random.choice(KINDS) if self.kind == "mixed" else self.kind
                heal = self.inject(kind)
                self.faults += 1
                self.stop_event.wait(self.random.uniform(2.0, 4.0))
                heal()
                self.log(f"nemesis: healed {kind}")
        except Exception as error:  # reported by the runner as a harness failure
            self.error = error

    def _random_member(self) -> int:
        return self.random.randrange(self.members.count)

    def _leader_or_random(self) -> int:
        leader = self.members.leader()
        return leader if leader is not None else self._random_member()

    def inject(self, kind: str):
        """Injects one fault now; returns the function that heals it."""
        n = self.members.count
        if kind in ("kill", "kill-leader"):
            victim = self._leader_or_random() if kind == "kill-leader" else self._random_member()
            self.log(f"nemesis: {kind} m{victim}")
            self.members.kill(victim)
            return lambda: self.members.start(victim)
        if kind == "cut-kill-leader":
            victim = self._leader_or_random()
            self.log(f"nemesis: cut-kill-leader m{victim}")
            for other in range(n):
                if other != victim:
                    self.network.cut(victim, other)
            self.stop_event.wait(self.random.uniform(0.5, 1.0))
            self.members.kill(victim)
            self.network.heal()
            return lambda: self.members.start(victim)
        if kind == "kill-minority":
            victims = self.random.sample(range(n), (n - 1) // 2)
            self.log(f"nemesis: kill-minority {['m%d' % v for v in victims]}")
            for victim in victims:
                self.members.kill(victim)
            return lambda: [self.members.start(v) for v in victims]
        if kind == "pause":
            victim = self._leader_or_random() if self.random.random() < 0.5 else self._random_member()
            self.log(f"nemesis: pause m{victim}")
            self.members.pause(victim)
            return lambda: self.members.resume(victim)
        if kind == "partition":
            shuffled = list(range(n))
            self.random.shuffle(shuffled)
            minority = shuffled[: (n - 1) // 2 or 1]
            majority = shuffled[len(minority):]
            self.log(f"nemesis: partition {minority} | {majority}")
            self.network.partition([minority, majority])
            return self.network.heal
        if kind == "isolate-leader":
            leader = self._leader_or_random()
            others = [i for i in range(n) if i != leader]
            self.log(f"nemesis: isolate leader m{leader}")
            self.network.partition([[leader], others])
            return self.network.heal
        if kind == "asymmetric":
            leader = self._leader_or_random()
            self.log(f"nemesis: asymmetric: m{leader} cannot send")
            for other in range(n):
                if other != leader:
                    self.network.cut(leader, other)
            return self.network.heal
        raise ValueError(kind)
