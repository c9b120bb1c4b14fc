// One lock for every user of SDL2_ttf in the process (the printer's text renderer, the screen's
// fonts): FreeType's library object is shared by every font, so no two threads may call SDL_ttf
// at the same time, whichever part of the box they belong to.
#pragma once

#include <mutex>

namespace civicbox {

std::mutex& sdl_ttf_mutex();

}  // namespace civicbox
