// The per-session arena of request header fields: bump allocation, spilling to the
// heap when full, rewinding once everything is freed, and Beast's fields on top.
#include "http/fields_arena.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>

#include <boost/beast/http/fields.hpp>

namespace consensus::http {
namespace {

bool is_aligned(const void* pointer) {
    return reinterpret_cast<std::uintptr_t>(pointer) % alignof(std::max_align_t) == 0;
}

TEST_CASE("fields arena: allocations are aligned and counted when they fit", "[http]") {
    FieldsArena arena(1024);
    void* first = arena.allocate(10);
    void* second = arena.allocate(1);
    CHECK(is_aligned(first));
    CHECK(is_aligned(second));
    CHECK(first != second);
    CHECK(arena.live_allocations() == 2);
    CHECK(arena.used_bytes() == 2 * alignof(std::max_align_t));
    arena.deallocate(first, 10);
    CHECK(arena.live_allocations() == 1);
    CHECK(arena.used_bytes() == 2 * alignof(std::max_align_t));
    arena.deallocate(second, 1);
    CHECK(arena.live_allocations() == 0);
    CHECK(arena.used_bytes() == 0);
}

TEST_CASE("fields arena: a request that does not fit comes from the heap when full", "[http]") {
    FieldsArena arena(256);
    void* inside = arena.allocate(200);
    void* spilled = arena.allocate(100);
    void* oversized = arena.allocate(4096);
    CHECK(is_aligned(spilled));
    CHECK(arena.live_allocations() == 1);
    // The heap blocks are usable and freed through the arena without touching its count.
    std::memset(spilled, 0x5a, 100);
    std::memset(oversized, 0x5a, 4096);
    CHECK(static_cast<unsigned char*>(oversized)[4095] == 0x5a);
    arena.deallocate(spilled, 100);
    arena.deallocate(oversized, 4096);
    CHECK(arena.live_allocations() == 1);
    arena.deallocate(inside, 200);
    CHECK(arena.used_bytes() == 0);
    // Rewound: the whole arena is available again.
    void* again = arena.allocate(240);
    CHECK(again == inside);
    arena.deallocate(again, 240);
}

TEST_CASE("fields arena: Beast's fields keep their values when they spill past the arena",
          "[http]") {
    FieldsArena arena(512);
    {
        boost::beast::http::basic_fields<FieldsAllocator<char>> fields{
            FieldsAllocator<char>(&arena)};
        for (int i = 0; i < 50; ++i) {
            fields.insert("X-Field-" + std::to_string(i), std::string(40, char('a' + i % 26)));
        }
        CHECK(arena.live_allocations() > 0);
        for (int i = 0; i < 50; ++i) {
            std::string name = "X-Field-" + std::to_string(i);
            CHECK(std::string(fields[name]) == std::string(40, char('a' + i % 26)));
        }
    }
    CHECK(arena.live_allocations() == 0);
    CHECK(arena.used_bytes() == 0);
}

TEST_CASE("fields allocator: copies are equal when they share an arena", "[http]") {
    FieldsArena one;
    FieldsArena two;
    FieldsAllocator<char> a(&one);
    FieldsAllocator<int> b(a);
    CHECK(a == b);
    CHECK(a != FieldsAllocator<char>(&two));
}

}  // namespace
}  // namespace consensus::http
