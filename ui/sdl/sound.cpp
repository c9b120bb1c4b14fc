#include "ui/sdl/sound.hpp"

#include <SDL2/SDL.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace civicbox::ui {

namespace {

constexpr int kRate = 48000;
constexpr double kLoud = 0.45 * 32767;  // well under full scale: small speakers distort

struct Tone {
  double hz;
  double ms;
  double level = 1.0;
  double second_harmonic = 0.0;  // low tones are barely heard on a small speaker without it
  double decay_ms = 0.0;         // 0: steady; else falls off like a struck key
  double fade_ms = 6.0;          // a tone that starts or stops abruptly clicks
};

void add_tone(std::vector<std::int16_t>& out, const Tone& tone, int rate) {
  const auto n = static_cast<std::size_t>(std::lround(rate * tone.ms / 1000.0));
  const double fade = std::min(rate * tone.fade_ms / 1000.0, static_cast<double>(n) / 2.0);
  const double step = 2.0 * std::numbers::pi * tone.hz / rate;
  const double mix = 1.0 + tone.second_harmonic;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    double envelope = 1.0;
    if (t < fade) envelope = 0.5 - 0.5 * std::cos(std::numbers::pi * t / fade);
    const double left = static_cast<double>(n - 1 - i);
    if (left < fade)
      envelope = std::min(envelope, 0.5 - 0.5 * std::cos(std::numbers::pi * left / fade));
    if (tone.decay_ms > 0) envelope *= std::exp(-t / (rate * tone.decay_ms / 1000.0));
    const double wave = (std::sin(step * t) + tone.second_harmonic * std::sin(2 * step * t)) / mix;
    out.push_back(static_cast<std::int16_t>(std::lround(kLoud * tone.level * envelope * wave)));
  }
}

void add_silence(std::vector<std::int16_t>& out, double ms, int rate) {
  out.insert(out.end(), static_cast<std::size_t>(std::lround(rate * ms / 1000.0)), 0);
}

Error audio_error(const std::string& what) {
  return make_error(ErrorCode::io, "no sound: " + what + ": " + SDL_GetError());
}

}  // namespace

std::vector<std::int16_t> synthesize(Cue cue, int rate) {
  std::vector<std::int16_t> out;
  if (rate <= 0) return out;
  switch (cue) {
    case Cue::tap:  // a soft, short tick: the finger was felt
      add_tone(out, {.hz = 1760, .ms = 30, .level = 0.6, .decay_ms = 12, .fade_ms = 2.5}, rate);
      break;
    case Cue::success:  // C6 then E6: up, done
      add_tone(out, {.hz = 1046.5, .ms = 120}, rate);
      add_tone(out, {.hz = 1318.5, .ms = 120}, rate);
      break;
    case Cue::failure:  // two low tones going down: no
      add_tone(out, {.hz = 300, .ms = 200, .second_harmonic = 0.4}, rate);
      add_tone(out, {.hz = 220, .ms = 200, .second_harmonic = 0.4}, rate);
      break;
    case Cue::attention:  // three short beeps: look at the screen
      for (int i = 0; i < 3; ++i) {
        if (i > 0) add_silence(out, 80, rate);
        add_tone(out, {.hz = 880, .ms = 80, .level = 0.8}, rate);
      }
      break;
  }
  return out;
}

Expected<std::unique_ptr<SoundPlayer>> SoundPlayer::open() {
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) return audio_error("starting SDL audio");
  SDL_AudioSpec want{};
  want.freq = kRate;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 1024;
  want.callback = nullptr;  // queued with SDL_QueueAudio
  // No obtained spec: SDL converts to whatever the card wants.
  const SDL_AudioDeviceID device = SDL_OpenAudioDevice(nullptr, 0, &want, nullptr, 0);
  if (device == 0) {
    Error error = audio_error("opening the audio device");
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
    return error;
  }
  std::unique_ptr<SoundPlayer> player(new SoundPlayer());
  player->device_ = device;
  for (const Cue cue : {Cue::tap, Cue::success, Cue::failure, Cue::attention}) {
    player->cues_[static_cast<std::size_t>(cue)] = synthesize(cue, kRate);
  }
  SDL_PauseAudioDevice(device, 0);
  return player;
}

SoundPlayer::~SoundPlayer() {
  if (device_ == 0) return;
  SDL_CloseAudioDevice(device_);
  SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

void SoundPlayer::play(Cue cue) {
  const auto& samples = cues_.at(static_cast<std::size_t>(cue));
  SDL_ClearQueuedAudio(device_);
  SDL_QueueAudio(device_, samples.data(),
                 static_cast<Uint32>(samples.size() * sizeof(std::int16_t)));
}

bool SoundPlayer::playing() const {
  return SDL_GetQueuedAudioSize(device_) > 0;
}

}  // namespace civicbox::ui
