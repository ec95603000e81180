#pragma once
/// The replicated v3 state: the keyspace and the lease table, which a snapshot holds
/// and restores together (watchers are connections, not state, and stay outside).

#include "consensus/status.h"
#include "kv/v3_keyspace.h"
#include "kv/v3_leases.h"

namespace consensus::kv {

struct V3State {
    V3Keyspace keyspace;
    V3Leases leases;

    /// Each part's invariants, plus the link between them: a key is attached to lease L
    /// exactly when its live record carries L, and L exists. kInternal naming the first
    /// violation.
    [[nodiscard]] Status check_invariants() const;
};

}  // namespace consensus::kv
