#!/usr/bin/env python3
"""Concurrent clients doing reads, writes and compare-and-swaps on a few keys through
the etcd v2 API, against random members, recording a history for the checker.

Outcome rules (what the client may conclude from an answer):
- 200/201 to a write or a successful CAS: ok, it took effect.
- 412 (errorCode 101) or 404 (errorCode 100) to a CAS: ok, the compare failed, nothing
  changed.
- 200 to a quorum GET: ok with the value; 404 errorCode 100: ok, "not found".
- A refused connection: the request never reached a member, so it failed.
- Anything else (timeout, reset connection, 5xx): the write is indeterminate, since it
  may still commit later; a failed read is dropped, since it changed nothing.
"""
from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from linearizability import CAS, READ, WRITE, Operation


class History:
    def __init__(self):
        self._lock = threading.Lock()
        self.operations: list[Operation] = []
        self.counts = {"ok": 0, "fail": 0, "info": 0}

    def record(self, op: Operation, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1
            if outcome != "fail":
                self.operations.append(op)


class NotSent(Exception):
    """The connection was refused: the member never saw the request."""


def _request(url: str, method: str, form: dict | None, timeout: float):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read().decode() or "{}")
        except ValueError:
            return error.code, {}
    except urllib.error.URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):
            raise NotSent() from error
        raise


class Client(threading.Thread):
    """One client process of the history: one request at a time."""

    def __init__(self, process: int, urls: list[str], keys: list[str], history: History,
                 seed: int, stop: threading.Event, timeout: float, think_s: float):
        super().__init__(daemon=True)
        self.process = process
        self.urls = urls
        self.keys = keys
        self.history = history
        self.random = random.Random(seed)
        self.stop_event = stop
        self.timeout = timeout
        self.think_s = think_s
        self.counter = 0
        # The last value this client saw per key: CAS expects it, so swaps contend.
        self.last_seen: dict[str, str] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.one_operation()
            if self.think_s > 0:
                self.stop_event.wait(self.random.uniform(0, 2 * self.think_s))

    def one_operation(self) -> None:
        key = self.random.choice(self.keys)
        url = self.random.choice(self.urls) + "/v2/keys/fault/" + key
        choice = self.random.random()
        self.counter += 1
        value = f"{self.process}-{self.counter}"
        if choice < 0.4:
            self._read(key, url)
        elif choice < 0.75:
            self._write(key, url, value)
        else:
            self._cas(key, url, self.last_seen.get(key, "absent"), value)

    def _op(self, key: str, kind: str, input=None) -> Operation:
        return Operation(process=self.process, key=key, kind=kind, invoked=time.monotonic(),
                         returned=None, input=input)

    def _read(self, key: str, url: str) -> None:
        op = self._op(key, READ)
        try:
            status, body = _request(url + "?quorum=true", "GET", None, self.timeout)
        except (NotSent, OSError):
            self.history.record(op, "fail")
            return
        op.returned = time.monotonic()
        if status == 200 and "node" in body:
            op.output = body["node"].get("value")
            self.last_seen[key] = op.output
            self.history.record(op, "ok")
        elif status == 404 and body.get("errorCode") == 100:
            op.output = None
            self.history.record(op, "ok")
        else:
            self.history.record(op, "fail")

    def _write(self, key: str, url: str, value: str) -> None:
        op = self._op(key, WRITE, value)
        try:
            status, _ = _request(url, "PUT", {"value": value}, self.timeout)
        except NotSent:
            self.history.record(op, "fail")
            return
        except OSError:
            self.history.record(op, "info")
            return
        if status in (200, 201):
            op.returned = time.monotonic()
            self.last_seen[key] = value
            self.history.record(op, "ok")
        else:
            self.history.record(op, "info")

    def _cas(self, key: str, url: str, expected: str, value: str) -> None:
        op = self._op(key, CAS, (expected, value))
        query = urllib.parse.urlencode({"prevValue": expected})
        try:
            status, body = _request(url + "?" + query, "PUT", {"value": value}, self.timeout)
        except NotSent:
            self.history.record(op, "fail")
            return
        except OSError:
            self.history.record(op, "info")
            return
        if status in (200, 201):
            op.returned, op.output = time.monotonic(), True
            self.last_seen[key] = value
            self.history.record(op, "ok")
        elif status in (404, 412) and body.get("errorCode") in (100, 101):
            op.returned, op.output = time.monotonic(), False
            self.history.record(op, "ok")
        else:
            self.history.record(op, "info")
