#!/usr/bin/env python3
"""Hand-made histories the linearizability checker must classify correctly."""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from linearizability import (CAS, DELETE, LINEARIZABLE, NOT_LINEARIZABLE, READ, UNKNOWN,  # noqa: E402
                             WRITE, Operation, check_history)


def op(process, kind, invoked, returned, input=None, output=None, key="x"):
    return Operation(process=process, key=key, kind=kind, invoked=invoked,
                     returned=returned, input=input, output=output)


class LinearizableHistories(unittest.TestCase):
    def test_sequential_write_then_read(self):
        history = [op(0, WRITE, 0, 1, "a"), op(1, READ, 2, 3, output="a")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_concurrent_read_may_see_old_or_new_value(self):
        for seen in (None, "a"):
            history = [op(0, WRITE, 0, 10, "a"), op(1, READ, 1, 2, output=seen)]
            self.assertEqual(check_history(history).result, LINEARIZABLE, seen)

    def test_indeterminate_write_may_have_happened(self):
        history = [op(0, WRITE, 0, None, "a"), op(1, READ, 5, 6, output="a")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_indeterminate_write_may_not_have_happened(self):
        history = [op(0, WRITE, 0, None, "a"), op(1, READ, 5, 6, output=None)]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_cas_chain_with_failed_compare(self):
        history = [op(0, WRITE, 0, 1, "1"),
                   op(1, CAS, 2, 3, ("1", "2"), True),
                   op(2, CAS, 4, 5, ("1", "3"), False),
                   op(0, READ, 6, 7, output="2")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_keys_are_checked_independently(self):
        history = [op(0, WRITE, 0, 1, "a", key="x"), op(1, WRITE, 0, 1, "b", key="y"),
                   op(0, READ, 2, 3, output="a", key="x"), op(1, READ, 2, 3, output="b", key="y")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_delete_makes_reads_see_not_found(self):
        history = [op(0, WRITE, 0, 1, "a"), op(0, DELETE, 2, 3), op(1, READ, 4, 5, output=None)]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_unknown_write_explains_a_failed_compare(self):
        # Only the timed-out write of "V" explains why the CAS expecting "A" failed.
        history = [op(0, WRITE, 0, 1, "A"), op(1, WRITE, 2, None, "V"),
                   op(2, CAS, 3, 4, ("A", "B"), False)]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_chain_of_unknown_write_and_unknown_cas_observed_by_a_read(self):
        history = [op(0, WRITE, 0, 1, "A"), op(1, WRITE, 2, None, "V"),
                   op(2, CAS, 3, None, ("V", "W")), op(3, READ, 5, 6, output="W")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_two_unknown_writes_each_observed_in_turn(self):
        history = [op(0, WRITE, 0, 1, "A"), op(1, WRITE, 2, None, "V"),
                   op(2, WRITE, 2.5, None, "U"), op(3, READ, 5, 6, output="V"),
                   op(3, READ, 7, 8, output="U")]
        self.assertEqual(check_history(history).result, LINEARIZABLE)

    def test_many_unknown_writes_do_not_exhaust_the_search(self):
        # Hundreds of timed-out writes nobody observed, interleaved with reads: the
        # pruning of unobserved writes keeps this a quick "linearizable".
        history, t = [], 0
        for i in range(300):
            history.append(op(0, WRITE, t, t + 1, f"v{i}"))
            history.append(op(1 + i, WRITE, t + 0.5, None, f"lost{i}"))
            history.append(op(0, READ, t + 2, t + 3, output=f"v{i}"))
            t += 4
        verdict = check_history(history, budget=200_000)
        self.assertEqual(verdict.result, LINEARIZABLE)


class NonLinearizableHistories(unittest.TestCase):
    def test_stale_read_after_acknowledged_write(self):
        # The read began after the write of "b" was acknowledged, yet saw "a".
        history = [op(0, WRITE, 0, 1, "a"), op(0, WRITE, 2, 3, "b"),
                   op(1, READ, 4, 5, output="a")]
        verdict = check_history(history)
        self.assertEqual(verdict.result, NOT_LINEARIZABLE)
        self.assertEqual(verdict.key, "x")

    def test_lost_write(self):
        # An acknowledged write that no later read ever reflects.
        history = [op(0, WRITE, 0, 1, "a"), op(1, READ, 2, 3, output=None)]
        self.assertEqual(check_history(history).result, NOT_LINEARIZABLE)

    def test_duplicated_cas(self):
        # Two clients both succeed in swapping "1" for their value: only one can.
        history = [op(0, WRITE, 0, 1, "1"),
                   op(1, CAS, 2, 5, ("1", "2"), True),
                   op(2, CAS, 3, 6, ("1", "3"), True)]
        self.assertEqual(check_history(history).result, NOT_LINEARIZABLE)

    def test_read_of_a_value_never_written(self):
        history = [op(0, WRITE, 0, 1, "a"), op(1, READ, 2, 3, output="zzz")]
        self.assertEqual(check_history(history).result, NOT_LINEARIZABLE)

    def test_failed_cas_while_value_matched(self):
        history = [op(0, WRITE, 0, 1, "1"), op(1, CAS, 2, 3, ("1", "2"), False)]
        self.assertEqual(check_history(history).result, NOT_LINEARIZABLE)

    def test_read_goes_back_in_time(self):
        # Two sequential reads by one client see "b" then the older "a".
        history = [op(0, WRITE, 0, 1, "a"), op(1, WRITE, 2, 10, "b"),
                   op(2, READ, 3, 4, output="b"), op(2, READ, 5, 6, output="a")]
        self.assertEqual(check_history(history).result, NOT_LINEARIZABLE)


class Budget(unittest.TestCase):
    def test_exhausted_budget_reports_unknown_not_a_verdict(self):
        # Many concurrent writes and reads: with a tiny budget the search cannot
        # finish, and must say so.
        rng = random.Random(7)
        history = []
        for i in range(40):
            history.append(op(i, WRITE, 0, 100, str(i)))
        for i in range(40):
            history.append(op(100 + i, READ, 1, 100, output=str(rng.randrange(40))))
        verdict = check_history(history, budget=50)
        self.assertEqual(verdict.result, UNKNOWN)

    def test_large_sequential_history_is_fast(self):
        # 3000 sequential operations are checked without running out of budget.
        history = []
        t = 0
        for i in range(1000):
            history.append(op(0, WRITE, t, t + 1, str(i)))
            history.append(op(1, READ, t + 2, t + 3, output=str(i)))
            history.append(op(2, CAS, t + 4, t + 5, (str(i), str(i) + "'"), True))
            t += 6
        history.append(op(1, READ, t, t + 1, output="999'"))
        self.assertEqual(check_history(history).result, LINEARIZABLE)


if __name__ == "__main__":
    unittest.main()
