# The member's sources, appended to CONSENSUS_NODE_MEMBER_SOURCES (included by
# src/node/CMakeLists.txt). The registry, codecs, member table, metrics, Ready-cycle
# helpers and bootstrap need only the common vocabulary, raft's types and the flags.
# The running member (applier, member, service) also needs wal/, src/kv/ and the
# peer transport, so it joins the library only once those exist; that keeps the tree
# configuring and building while they are written. The global property
# CONSENSUS_NODE_HAS_MEMBER tells src/ and tests/ whether it joined.
list(APPEND CONSENSUS_NODE_MEMBER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pending_requests.cc
  ${CMAKE_CURRENT_LIST_DIR}/entry_codec.cc
  ${CMAKE_CURRENT_LIST_DIR}/membership.cc
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/ready_loop.cc
  ${CMAKE_CURRENT_LIST_DIR}/bootstrap.cc
  ${CMAKE_CURRENT_LIST_DIR}/id_generator.cc
)

# The applier needs only src/kv/ besides the above.
if(TARGET consensus_kv AND EXISTS ${PROJECT_SOURCE_DIR}/src/kv/store.h)
  list(APPEND CONSENSUS_NODE_MEMBER_SOURCES ${CMAKE_CURRENT_LIST_DIR}/applier.cc)
  set_property(GLOBAL PROPERTY CONSENSUS_NODE_HAS_APPLIER ON)
else()
  set_property(GLOBAL PROPERTY CONSENSUS_NODE_HAS_APPLIER OFF)
endif()

list(FIND CONSENSUS_NODE_TRANSPORT_SOURCES peer_transport.cc consensus_node_transport_index)
if(TARGET consensus_kv AND TARGET consensus_wal
   AND NOT consensus_node_transport_index EQUAL -1
   AND EXISTS ${PROJECT_SOURCE_DIR}/src/kv/store.h
   AND EXISTS ${PROJECT_SOURCE_DIR}/wal/wal.h)
  list(APPEND CONSENSUS_NODE_MEMBER_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/member.cc
    ${CMAKE_CURRENT_LIST_DIR}/disk_writer.cc
    ${CMAKE_CURRENT_LIST_DIR}/service_impl.cc
    ${CMAKE_CURRENT_LIST_DIR}/service_v3.cc
  )
  set_property(GLOBAL PROPERTY CONSENSUS_NODE_HAS_MEMBER ON)
else()
  set_property(GLOBAL PROPERTY CONSENSUS_NODE_HAS_MEMBER OFF)
endif()
