// Engine: the deterministic state machine over the log. It applies inbound
// messages in log order and says what follows from each: the receipt owed to
// the sender and the documents whose state changed. The same records in the
// same order give the same outputs byte for byte: no clock (time comes with
// the record), no randomness, no I/O.
//
// This stage keeps the intake rules: duplicate business keys, and the appType
// life cycle (1 new, 2 change, 3 delete). The clearance rules (three-document
// match, limits, tax, lanes) plug in here next; state stays keyed by business
// key so the engine can be sharded by key.
//
// Thread safety: one thread (the sequencer) owns an Engine.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/documents.h"
#include "core/time.h"

namespace ftz::engine {

// A document whose state changed, for the read model and the statistics.
struct DocumentChange {
  MessageType type;
  std::string key;  // ceb::BlockKey
  size_t block;     // index in the message
  int status;       // returnStatus now in force
  std::string info;
  bool removed = false;  // appType 3 (delete) took it away
};

struct Outcome {
  ReceiptMessage receipt;    // one block per block of the message
  std::string cop_code;      // BaseTransfer.copCode: whom the receipt is for
  std::vector<DocumentChange> changes;
  size_t accepted = 0;       // blocks that changed state
  size_t refused = 0;
};

class Engine {
 public:
  // Applies a decoded, validated message that the log holds at `seq`.
  Outcome Apply(uint64_t seq, UnixMillis time, const Message& m);

  size_t DocumentCount() const;

 private:
  struct DocState {
    uint64_t seq = 0;      // where it was last declared
    std::string pre_no;    // e-port number assigned to lists (preNo)
  };
  std::string NextPreNo(UnixMillis time);

  // One key space per inbound message type (311, 411, ...).
  std::array<std::unordered_map<std::string, DocState>, 8> docs_;
  std::string pre_no_day_;
  uint64_t pre_no_serial_ = 0;
};

// Index of a message type's key space, 0..7.
int KeySpace(MessageType t);

}  // namespace ftz::engine
