// Linked into every program that links mimalloc (CMake: ftz_fast_malloc).
// mimalloc then asks the kernel for transparent huge pages (2 MiB; this
// machine's THP mode is `madvise`) for the memory it takes from the OS. The
// engine's state is gigabytes of small objects reached at random, and with
// 4 KiB pages nearly every lookup also misses the TLB: ftz-engine-bench
// --buyers 1000000 decided 3-29% more lists/s in 4 of 4 alternating pairs,
// for 7% more resident memory (docs/performance.md, session 9). An operator
// keeps the last word: MIMALLOC_LARGE_OS_PAGES=0 turns it off.
//
// Memory freed inside a segment is decommitted after mimalloc's
// decommit_delay, 25 ms by default. The server frees and allocates the same
// sizes all the time (request bodies, decoded messages, receipts), so with
// 2 MiB pages it gave memory back and faulted it in again, zeroed, a few
// hundred times a second; one second lets a busy server keep what it reuses
// and still returns what a burst left (docs/performance.md, session 18).
// MIMALLOC_DECOMMIT_DELAY overrides it.
#include <mimalloc.h>

#include <cstdlib>

namespace {

[[gnu::constructor]] void PreferLargePages() {
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr) {
    mi_option_enable(mi_option_large_os_pages);
  }
  mi_option_set_default(mi_option_decommit_delay, 1000);  // the environment still wins
}

}  // namespace
