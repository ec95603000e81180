#!/usr/bin/env python3
"""Unit tests of the scenario checks in scenarios.py that judge a recorded history.

A scenario is only as good as its verdict, so each check is fed a correct history
and histories with one defect each, and must reject every defect.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios  # noqa: E402

FIRST_INDEX = 10


def event(index, key, value):
    """A watch event as the Watcher records it."""
    return (index, "set", key, value)


GOOD_EVENTS = [event(10, "/w/k0", "v0"), event(11, "/w/k1", "v1"), event(12, "/w/k2", "v2")]
GOOD_ACKNOWLEDGED = {"/w/k0": ("v0", 10), "/w/k2": ("v2", 12)}   # k1 was uncertain.
GOOD_FILES = {"/w/start": ("0", 9), "/w/k0": ("v0", 10), "/w/k1": ("v1", 11),
              "/w/k2": ("v2", 12)}


class WatchHistoryCheckTest(unittest.TestCase):
    """check_watch_history accepts a correct history and rejects each defect."""

    def test_accepts_a_complete_ordered_history(self):
        """watch check: accepts every change once and in order when an uncertain write committed."""
        scenarios.check_watch_history(GOOD_EVENTS, GOOD_ACKNOWLEDGED, GOOD_FILES, FIRST_INDEX)

    def test_rejects_each_defect(self):
        """watch check: rejects a history when it is reordered, duplicated, lossy or wrong."""
        table = [
            ("reordered", [GOOD_EVENTS[1], GOOD_EVENTS[0], GOOD_EVENTS[2]], GOOD_FILES),
            ("duplicated", GOOD_EVENTS + [GOOD_EVENTS[2]], GOOD_FILES),
            ("same key twice", GOOD_EVENTS + [event(13, "/w/k2", "v2")], GOOD_FILES),
            ("acknowledged write missing", GOOD_EVENTS[:2], GOOD_FILES),
            ("wrong value", [GOOD_EVENTS[0], GOOD_EVENTS[1], event(12, "/w/k2", "x")],
             GOOD_FILES),
            ("uncommitted change reported", GOOD_EVENTS,
             {k: v for k, v in GOOD_FILES.items() if k != "/w/k1"}),
            ("stored change never reported", [GOOD_EVENTS[0], GOOD_EVENTS[2]], GOOD_FILES),
        ]
        for name, events, files in table:
            with self.subTest(defect=name):
                with self.assertRaises(scenarios.ScenarioFailure):
                    scenarios.check_watch_history(events, GOOD_ACKNOWLEDGED, files, FIRST_INDEX)


def list_for_ctest():
    """Prints "<test id>\\t<CTest name>" per test; the name is the first docstring line."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    for case in suite:
        for test in case:
            test_id = test.id().split(".", 1)[1]
            print("%s\t%s" % (test_id, (test.shortDescription() or test_id).rstrip(".")))


if __name__ == "__main__":
    if sys.argv[1:] == ["--list-ctest"]:
        list_for_ctest()
    else:
        unittest.main()
