// Success and failure also as a sound, for those who do not look at the screen at the right
// moment or cannot read it: short tones made here (no sound files), played through SDL's audio
// (ALSA or PulseAudio on the box; SDL_AUDIODRIVER=disk in tests writes the samples to a file).
// A box without a sound card plays nothing and says so once in the log (open() returns the error;
// the caller logs it and carries on without a SoundPlayer).
//
// Contract: play() and playing() may be called from any thread (SDL locks the device's queue).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/error.hpp"
#include "ui/view.hpp"

namespace civicbox::ui {

// The samples (mono, signed 16-bit, `rate` Hz) of one cue: tap a 30 ms click, success two rising
// tones, failure two low falling tones, attention three short beeps (the idle countdown).
std::vector<std::int16_t> synthesize(Cue cue, int rate = 48000);

class SoundPlayer {
 public:
  // Errors: io (no audio device); callers carry on silently.
  static Expected<std::unique_ptr<SoundPlayer>> open();
  ~SoundPlayer();
  SoundPlayer(const SoundPlayer&) = delete;
  SoundPlayer& operator=(const SoundPlayer&) = delete;
  // Queues the cue in place of whatever is still playing (a stale sound would lag behind the
  // screen); never blocks the UI.
  void play(Cue cue);
  // Whether samples are still waiting to be heard (to let the last cue finish before exit).
  [[nodiscard]] bool playing() const;

 private:
  SoundPlayer() = default;
  std::uint32_t device_ = 0;
  std::array<std::vector<std::int16_t>, 4> cues_;  // synthesised once, by Cue
};

}  // namespace civicbox::ui
