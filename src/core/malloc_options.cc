// Linked into every program that links mimalloc (CMake: ftz_fast_malloc):
// mimalloc's options for a long-running server on this kind of machine, set
// before main. An operator keeps the last word: each is left alone when its
// MIMALLOC_* environment variable is set.
//
// Huge pages (MIMALLOC_LARGE_OS_PAGES): mimalloc asks the kernel for
// transparent huge pages (2 MiB; this machine's THP mode is `madvise`) for
// the memory it takes from the OS. The engine's state is gigabytes of small
// objects reached at random, and with 4 KiB pages nearly every lookup also
// misses the TLB: ftz-engine-bench --buyers 1000000 decided 3-29% more
// lists/s in 4 of 4 alternating pairs, for 7% more resident memory
// (docs/performance.md, session 9).
//
// Decommit delay (MIMALLOC_DECOMMIT_DELAY): memory freed and unused for this
// long is given back to the OS (madvise). mimalloc's 25 ms is shorter than
// the server's own rhythm (the ledger signs once a second, the read model
// commits every 2 ms, request buffers come and go), so pages went back and
// were faulted in again at once, and on a virtual machine a page fault costs
// several microseconds: 1 s gave 1-12% more single-document and 14-17% more
// 100-document documents/s, with less CPU per document (docs/performance.md,
// session 13). Memory freed for good still goes back, a second later.
#include <mimalloc.h>

#include <cstdlib>

namespace {

[[gnu::constructor]] void SetMallocOptions() {
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr) {
    mi_option_enable(mi_option_large_os_pages);
  }
  if (std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr) {
    mi_option_set(mi_option_decommit_delay, 1000);
  }
}

}  // namespace
