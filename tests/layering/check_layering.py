#!/usr/bin/env python3
"""Checks that every #include in a module crosses only allowed module edges.

Allowed edges (STYLE §3):
  common (include/consensus) <- everyone
  raft -> common                       (std only otherwise: no boost, leveldb, json)
  wal  -> raft, common, leveldb
  kv   -> common                       (never raft, wal, asio)
  node -> raft, wal, kv, common, boost
  http -> common, boost, nlohmann      (never raft, wal, kv, node)
  src/main.cc -> anything of ours
Usage: check_layering.py ROOT | --self-test. Exits 1 and lists violations.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')

# module -> (project prefixes it may include, third-party prefixes it may include or
# None for "any")
RULES = {
    "raft": ({"consensus/", "raft/"}, set()),
    "wal": ({"consensus/", "raft/", "wal/"}, {"leveldb/"}),
    "src/kv": ({"consensus/", "kv/"}, set()),
    "http": ({"consensus/", "http/"}, {"boost/", "nlohmann/"}),
    "src/node": ({"consensus/", "raft/", "wal/", "kv/", "node/"}, {"boost/", "openssl/"}),
}
PROJECT_PREFIXES = {"consensus/", "raft/", "wal/", "kv/", "http/", "node/"}
FORBIDDEN_THIRD_PARTY = {"boost/", "leveldb/", "nlohmann/", "openssl/", "catch2/"}


def violations_in(module, path, lines):
    allowed_project, allowed_third = RULES[module]
    found = []
    for number, line in enumerate(lines, 1):
        match = INCLUDE.match(line)
        if not match:
            continue
        target = match.group(1)
        prefix = target.split("/")[0] + "/" if "/" in target else ""
        if prefix in PROJECT_PREFIXES and prefix not in allowed_project:
            found.append(f"{path}:{number}: {module} must not include {target}")
        if prefix in FORBIDDEN_THIRD_PARTY and prefix not in allowed_third:
            found.append(f"{path}:{number}: {module} must not include {target}")
    return found


def check_tree(root):
    found = []
    checked = 0
    for module in RULES:
        base = os.path.join(root, module)
        for directory, _, files in os.walk(base):
            for name in files:
                if not name.endswith((".h", ".cc", ".hpp", ".cpp")):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    found += violations_in(module, os.path.relpath(path, root), f.readlines())
                checked += 1
    return checked, found


def self_test():
    bad = violations_in("http", "http/x.cc", ['#include "raft/raw_node.h"\n'])
    bad += violations_in("raft", "raft/x.cc", ["#include <boost/asio.hpp>\n"])
    bad += violations_in("src/kv", "src/kv/x.cc", ['#include "wal/wal.h"\n'])
    good = violations_in("src/node", "src/node/x.cc",
                         ['#include "raft/raw_node.h"\n', "#include <boost/asio.hpp>\n"])
    if len(bad) != 3 or good:
        print(f"self-test failed: bad={bad} good={good}")
        return 1
    print("self-test passed: 3 forbidden includes flagged, allowed ones accepted")
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    checked, found = check_tree(sys.argv[1])
    for line in found:
        print(line)
    if checked == 0:
        print("no source files found: wrong root?")
        return 1
    print(f"checked {checked} files, {len(found)} layering violations")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
