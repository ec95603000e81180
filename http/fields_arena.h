#pragma once
/// FieldsArena and FieldsAllocator: the memory of one request's header fields.
///
/// Beast's basic_fields allocates every field, the method and the target separately;
/// with std::allocator that is a heap allocation and a free per field and request.
/// A session instead parses each request's header into its own arena, as Beast's
/// example/http/server/fast/http_server_fast.cpp does with its fields_alloc, so a
/// typical header costs no heap allocation at all.
///
/// Unlike that example's pool, which throws std::bad_alloc when full, the arena falls
/// back to the heap for what does not fit: a header may legally grow up to the
/// session's header_bytes_max (1 MiB), far beyond any sensible per-connection arena,
/// and such a request must still parse (or be refused with 431 by the parser's own
/// limit), never fail with an exception.
///
/// Ownership: the Session owns the arena and declares it before its parser, so the
/// arena outlives every allocation made from it. The arena rewinds once all its
/// allocations are freed, which happens when the session replaces its parser for
/// the next request.
///
/// Threading: one session's loop thread only; no locks.

#include <cstddef>
#include <memory>

namespace consensus::http {

/// Bytes of a session's arena. A request with a dozen fields takes about 1.5 KiB of
/// Beast's elements; anything larger spills to the heap.
inline constexpr std::size_t kFieldsArenaBytes = 4096;

class FieldsArena {
public:
    explicit FieldsArena(std::size_t capacity_bytes = kFieldsArenaBytes);

    FieldsArena(const FieldsArena&) = delete;
    FieldsArena& operator=(const FieldsArena&) = delete;

    /// `bytes` aligned for any scalar type: from the arena when it has room, otherwise
    /// from the heap. Never null; throws only what operator new throws.
    void* allocate(std::size_t bytes);
    /// Frees what allocate(bytes) returned. The arena rewinds when the last of its own
    /// allocations is freed.
    void deallocate(void* pointer, std::size_t bytes) noexcept;

    /// Bytes of the arena in use (heap spills are not counted).
    std::size_t used_bytes() const { return used_bytes_; }
    /// Allocations of the arena not yet freed (heap spills are not counted).
    std::size_t live_allocations() const { return live_allocations_; }

private:
    bool owns(const void* pointer) const;

    std::unique_ptr<std::max_align_t[]> storage_;
    std::size_t capacity_bytes_;
    std::size_t used_bytes_ = 0;  ///< Invariant: used_bytes_ <= capacity_bytes_.
    /// Invariant: live_allocations_ == 0 implies used_bytes_ == 0.
    std::size_t live_allocations_ = 0;
};

/// A standard allocator over a FieldsArena, for basic_fields<FieldsAllocator<char>>.
/// Copies share the arena; two allocators are equal when they share one.
template <class T>
class FieldsAllocator {
public:
    using value_type = T;

    explicit FieldsAllocator(FieldsArena* arena) noexcept : arena_(arena) {}
    template <class U>
    FieldsAllocator(const FieldsAllocator<U>& other) noexcept : arena_(other.arena()) {}

    T* allocate(std::size_t count) {
        static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned field type");
        return static_cast<T*>(arena_->allocate(count * sizeof(T)));
    }
    void deallocate(T* pointer, std::size_t count) noexcept {
        arena_->deallocate(pointer, count * sizeof(T));
    }

    FieldsArena* arena() const noexcept { return arena_; }

    template <class U>
    bool operator==(const FieldsAllocator<U>& other) const noexcept {
        return arena_ == other.arena();
    }
    template <class U>
    bool operator!=(const FieldsAllocator<U>& other) const noexcept {
        return arena_ != other.arena();
    }

private:
    FieldsArena* arena_;
};

}  // namespace consensus::http
