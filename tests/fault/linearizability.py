#!/usr/bin/env python3
"""Linearizability checking of key-value histories (Wing & Gong's search with Lowe's
memoisation, as Knossos and Porcupine do it).

A history is a list of Operation records, one per client request: when it was invoked,
when it returned (None when the outcome is unknown: a timeout or a dropped
connection), what it asked for and what it got. The checker splits the history by key
(linearizability is compositional [Herlihy & Wing 1990, Theorem 1]) and, per key,
searches for a total order of the operations that

  1. respects real time: if A returned before B was invoked, A comes before B;
  2. is legal for a single register: every read sees the latest write before it, a
     compare-and-swap succeeds exactly when the value matches;
  3. contains every completed operation, and any subset of the indeterminate ones (an
     operation that timed out may or may not have taken effect, at any time after it
     was invoked).

The search explores "linearize one more operation" steps depth first. A step may pick
any pending operation invoked before the earliest return of the completed operations
not yet linearized (otherwise real time would be violated). A configuration is the set
of linearized operations plus the register value; configurations already explored are
remembered, which is what makes the search practical on histories of thousands of
operations. When the step budget runs out, the verdict is "unknown", never a hang.
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from typing import Iterable, Optional

# Operation kinds of the register model.
READ = "read"        # output: the value read, or None for "key not found"
WRITE = "write"      # input: the value written
CAS = "cas"          # input: (expected, new); output: True (swapped) or False (compare failed)
DELETE = "delete"    # removes the key

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN = "unknown"

DEFAULT_STEP_BUDGET = 2_000_000


@dataclasses.dataclass
class Operation:
    """One client request. `returned` is None when its outcome is unknown."""
    process: int
    key: str
    kind: str
    invoked: float
    returned: Optional[float]
    input: object = None
    output: object = None
    id: int = -1

    @property
    def is_indeterminate(self) -> bool:
        return self.returned is None


@dataclasses.dataclass
class Verdict:
    result: str                   # LINEARIZABLE, NOT_LINEARIZABLE or UNKNOWN
    key: Optional[str] = None     # the first key that failed (or ran out of budget)
    explanation: str = ""
    steps: int = 0


def apply_operation(state, op: Operation):
    """The sequential register: returns (legal, next_state) for `op` applied in `state`.
    state is the current value, or None when the key does not exist."""
    if op.kind == READ:
        return op.output == state, state
    if op.kind == WRITE:
        return True, op.input
    if op.kind == DELETE:
        return True, None
    if op.kind == CAS:
        expected, new = op.input
        if op.is_indeterminate:
            # Unknown outcome: if it happened, it swapped exactly when the value
            # matched; a non-matching CAS changes nothing either way.
            return True, (new if state == expected else state)
        if op.output:
            return state == expected, new
        return state != expected, state
    raise ValueError(f"unknown operation kind {op.kind!r}")


def check_key(ops: list[Operation], initial=None, budget: int = DEFAULT_STEP_BUDGET,
              deadline: float = math.inf) -> Verdict:
    """Checks the operations of one key. `initial` is the register's value before the
    history (None: the key does not exist). `deadline` is a time.monotonic() value
    after which the search gives up with UNKNOWN (proving a history illegal means
    exhausting the search, which can take long)."""
    ops = sorted(ops, key=lambda o: o.invoked)
    count = len(ops)
    if count == 0:
        return Verdict(LINEARIZABLE)
    returned = [o.returned if o.returned is not None else math.inf for o in ops]
    completed_mask = 0
    for i, o in enumerate(ops):
        if not o.is_indeterminate:
            completed_mask |= 1 << i

    # Completed operations by return time: the earliest one not yet linearized bounds
    # which operations may go next [Wing & Gong 1993]. Along a search path the
    # linearized set only grows, so each frame resumes its parent's cursor.
    by_return = sorted((i for i in range(count) if not ops[i].is_indeterminate),
                       key=lambda i: returned[i])

    def candidates(mask: int, cursor: int) -> tuple[list[int], int]:
        while cursor < len(by_return) and (mask >> by_return[cursor]) & 1:
            cursor += 1
        horizon = returned[by_return[cursor]] if cursor < len(by_return) else math.inf
        first = (~mask & (mask + 1)).bit_length() - 1  # lowest operation not linearized
        completed, indeterminate = [], []
        for i in range(first, count):
            if ops[i].invoked > horizon:
                break
            if not (mask >> i) & 1:
                (indeterminate if ops[i].is_indeterminate else completed).append(i)
        # The search pops from the end: try completed operations first, earliest
        # return first (usually the right order), and operations of unknown outcome
        # last, since leaving them out is often what makes a history legal.
        completed.sort(key=lambda i: returned[i], reverse=True)
        return indeterminate[::-1] + completed, cursor

    # Depth-first search over (linearized set, state, must_observe). Each stack frame
    # remembers the candidates still to try from its configuration.
    #
    # must_observe prunes operations of unknown outcome: a blind write (or delete)
    # whose outcome is unknown only matters if some read or compare-and-swap observes
    # it, so the search only places one immediately before such an observer. This
    # loses no history: in any legal order, an unknown-outcome blind write followed
    # by another blind write (or by nothing) can be dropped without changing what any
    # operation observed, and dropping an operation of unknown outcome is always
    # allowed. Without this, every subset of hundreds of timed-out writes is a
    # distinct configuration and the search never ends.
    explored = set()
    steps = 0
    deepest = 0
    first_candidates, first_cursor = candidates(0, 0)
    stack = [(0, initial, first_candidates, first_cursor, False)]
    explored.add((0, _freeze(initial), False))
    while stack:
        mask, state, pending, cursor, must_observe = stack[-1]
        if mask & completed_mask == completed_mask:
            return Verdict(LINEARIZABLE, steps=steps)
        if not pending:
            stack.pop()
            continue
        i = pending.pop()
        blind = ops[i].kind in (WRITE, DELETE)
        if must_observe and blind:
            continue
        unknown_outcome = ops[i].is_indeterminate
        if unknown_outcome and ops[i].kind == CAS and state != ops[i].input[0]:
            # A compare-and-swap of unknown outcome that would not match changes
            # nothing: placing it is the same as leaving it out.
            continue
        steps += 1
        if steps > budget:
            return Verdict(UNKNOWN, explanation=f"step budget {budget} exhausted", steps=steps)
        if steps % 4096 == 0 and time.monotonic() > deadline:
            return Verdict(UNKNOWN, explanation="time limit reached", steps=steps)
        legal, next_state = apply_operation(state, ops[i])
        if not legal:
            continue
        next_mask = mask | (1 << i)
        # An unknown-outcome operation that changed the value only matters if the next
        # operation observes it (see must_observe above).
        next_must_observe = unknown_outcome and ops[i].kind in (WRITE, DELETE, CAS)
        memo_key = (next_mask, _freeze(next_state), next_must_observe)
        if memo_key in explored:
            continue
        explored.add(memo_key)
        deepest = max(deepest, bin(next_mask & completed_mask).count("1"))
        next_candidates, next_cursor = candidates(next_mask, cursor)
        stack.append((next_mask, next_state, next_candidates, next_cursor, next_must_observe))

    return Verdict(NOT_LINEARIZABLE, steps=steps,
                   explanation=_explain(ops, completed_mask, deepest))


def check_history(ops: Iterable[Operation], initial: Optional[dict] = None,
                  budget: int = DEFAULT_STEP_BUDGET, seconds: float = math.inf) -> Verdict:
    """Checks a whole history, key by key. The verdict is the first failing key's, an
    unknown if any key ran out of budget (steps per key, or `seconds` in all) and none
    failed, else linearizable."""
    deadline = time.monotonic() + seconds
    by_key: dict[str, list[Operation]] = {}
    for number, op in enumerate(ops):
        if op.id < 0:
            op.id = number
        by_key.setdefault(op.key, []).append(op)
    initial = initial or {}
    total_steps = 0
    unknown = None
    for key in sorted(by_key):
        verdict = check_key(by_key[key], initial.get(key), budget, deadline)
        total_steps += verdict.steps
        if verdict.result == NOT_LINEARIZABLE:
            verdict.key = key
            verdict.steps = total_steps
            return verdict
        if verdict.result == UNKNOWN and unknown is None:
            unknown = verdict
            unknown.key = key
    if unknown is not None:
        unknown.steps = total_steps
        return unknown
    return Verdict(LINEARIZABLE, steps=total_steps)


def _freeze(value):
    """Register states must be hashable for the memo."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


def _explain(ops: list[Operation], completed_mask: int, deepest: int) -> str:
    completed = [o for i, o in enumerate(ops) if (completed_mask >> i) & 1]
    return (f"no legal order of {len(ops)} operations ({len(completed)} completed); "
            f"at most {deepest} completed operations could be linearized")


def load_history(path: str) -> list[Operation]:
    """Reads a history written as JSON lines, one Operation's fields per line."""
    ops = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                fields = json.loads(line)
                if fields.get("kind") == CAS and isinstance(fields.get("input"), list):
                    fields["input"] = tuple(fields["input"])
                ops.append(Operation(**fields))
    return ops


def main(argv: list[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("history", help="JSON-lines history file")
    parser.add_argument("--budget", type=int, default=DEFAULT_STEP_BUDGET)
    args = parser.parse_args(argv)
    verdict = check_history(load_history(args.history), budget=args.budget)
    where = f" (key {verdict.key})" if verdict.key else ""
    print(f"{verdict.result}{where}: {verdict.explanation or 'ok'}; {verdict.steps} steps")
    return {LINEARIZABLE: 0, NOT_LINEARIZABLE: 1, UNKNOWN: 3}[verdict.result]


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
