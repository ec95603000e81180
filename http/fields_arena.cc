#include "http/fields_arena.h"

#include <functional>
#include <new>

#include "consensus/assert.h"

namespace consensus::http {
namespace {

constexpr std::size_t kAlignment = alignof(std::max_align_t);

std::size_t round_up(std::size_t bytes) {
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

}  // namespace

FieldsArena::FieldsArena(std::size_t capacity_bytes)
    : storage_(new std::max_align_t[round_up(capacity_bytes) / kAlignment]),
      capacity_bytes_(round_up(capacity_bytes)) {}

bool FieldsArena::owns(const void* pointer) const {
    // std::less gives a total order even for pointers into different objects.
    const auto* bytes = static_cast<const unsigned char*>(pointer);
    const auto* begin = reinterpret_cast<const unsigned char*>(storage_.get());
    return !std::less<const unsigned char*>()(bytes, begin) &&
           std::less<const unsigned char*>()(bytes, begin + capacity_bytes_);
}

void* FieldsArena::allocate(std::size_t bytes) {
    std::size_t rounded = round_up(bytes == 0 ? 1 : bytes);
    if (rounded > capacity_bytes_ - used_bytes_) return ::operator new(bytes == 0 ? 1 : bytes);
    void* pointer = reinterpret_cast<unsigned char*>(storage_.get()) + used_bytes_;
    used_bytes_ += rounded;
    ++live_allocations_;
    return pointer;
}

void FieldsArena::deallocate(void* pointer, std::size_t bytes) noexcept {
    (void)bytes;
    if (pointer == nullptr) return;
    if (!owns(pointer)) {
        ::operator delete(pointer);
        return;
    }
    CONSENSUS_ASSERT(live_allocations_ > 0);
    // A bump arena frees nothing piecemeal: a field replaced while parsing keeps its
    // bytes until the whole header is released, which bounds the waste by one header.
    if (--live_allocations_ == 0) used_bytes_ = 0;
}

}  // namespace consensus::http
