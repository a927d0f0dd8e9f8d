// Snapshots of the engine's state, so that a start replays only the log's
// tail (docs/snapshot-format.md). A snapshot at `seq` holds the engine state
// after every record before `seq` — taken on the sequencer right after a
// durable batch, when every message's receipts are in the log.
//
// Files: DIR/snapshots/<20-digit seq>.snap, written to a temporary name,
// fsynced, renamed and the directory fsynced, so a crash leaves either the
// whole file or none. The two newest are kept.
//
// Errors: WriteSnapshot returns IOError (the caller logs it and goes on: a
// snapshot only saves start-up time; the log stays the truth). Loading never
// fails the start for a bad snapshot: it is skipped with a reason and an
// older one, or a full replay, is used.
//
// Thread safety: free functions; one writer at a time per directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "env/env.h"

namespace ftz::node {

struct SnapshotHeader {
  uint32_t schema = 0;       // engine::Engine::SnapshotSchema() when written
  bool clearance = false;    // the data directory's mode
  uint64_t seq = 0;          // records [0, seq) are in the state
  UnixMillis last_time = 0;  // the time of record seq - 1
};

// The file's bytes: header, body, CRC (docs/snapshot-format.md §1).
std::string EncodeSnapshotFile(const SnapshotHeader& h, std::string_view body);
// Corruption for a bad magic, length or CRC.
Status DecodeSnapshotFile(std::string_view file, SnapshotHeader* h, std::string_view* body);

// Writes DIR/snapshots/<seq>.snap durably and removes all but the `keep`
// newest snapshots.
Status WriteSnapshot(Env* env, const std::string& data_dir, const SnapshotHeader& h,
                     std::string_view body, size_t keep = 2);

// The sequence numbers of the snapshots present, newest first.
std::vector<uint64_t> ListSnapshots(Env* env, const std::string& data_dir);
// Removes the .tmp files of snapshots whose writing was cut by a crash
// (each as large as the engine's state). Call before any writer starts;
// a file that cannot be removed is reported, not an error.
void RemoveSnapshotLeftovers(Env* env, const std::string& data_dir);
std::string SnapshotPath(const std::string& data_dir, uint64_t seq);

}  // namespace ftz::node
