# The member's test binary (included from tests/node/CMakeLists.txt). The unit tests of
# the registry, codecs, member table, metrics, Ready cycle and bootstrap always build;
# the applier's tests join once src/kv/ exists, and the in-process member tests once
# the running member is part of consensus_node (see src/node/member_sources.cmake).
set(member_test_sources
  member_pending_requests_test.cc
  member_membership_test.cc
  member_ready_loop_test.cc
  member_bootstrap_test.cc
  member_join_test.cc
  member_id_generator_test.cc)
get_property(member_test_has_applier GLOBAL PROPERTY CONSENSUS_NODE_HAS_APPLIER)
if(member_test_has_applier)
  list(APPEND member_test_sources member_applier_test.cc)
endif()
get_property(member_test_has_member GLOBAL PROPERTY CONSENSUS_NODE_HAS_MEMBER)
if(member_test_has_member)
  list(APPEND member_test_sources member_integration_test.cc)
endif()
consensus_add_tests(member_test
  LABELS node
  SOURCES ${member_test_sources}
  LIBS consensus_node)
