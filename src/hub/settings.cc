#include "hub/settings.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultEndpoint = "https://huggingface.co";
constexpr size_t kMaxTokenFileBytes = 4096;

std::string Trim(const std::string& text) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  auto begin = std::find_if_not(text.begin(), text.end(), space);
  auto end = std::find_if_not(text.rbegin(), std::string::const_reverse_iterator(begin), space).base();
  return std::string(begin, end);
}

fs::path HomeDir(const EnvLookup& env) {
  if (auto home = env("HOME")) return *home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  throw Error("cannot find the home folder for the Hugging Face cache: set HF_HUB_CACHE or HF_HOME",
              ErrorKind::kNotFound);
}

// os.path.expanduser for the leading "~/" that users put in these variables.
fs::path ExpandUser(const std::string& path, const EnvLookup& env) {
  if (path == "~") return HomeDir(env);
  if (path.rfind("~/", 0) == 0) return HomeDir(env) / path.substr(2);
  return path;
}

fs::path HfHome(const EnvLookup& env) {
  if (auto home = env("HF_HOME")) return ExpandUser(*home, env);
  if (auto xdg = env("XDG_CACHE_HOME")) return ExpandUser(*xdg, env) / "huggingface";
  return HomeDir(env) / ".cache" / "huggingface";
}

fs::path CacheDir(const HubOptions& options, const EnvLookup& env) {
  if (options.cache_dir && !options.cache_dir->empty()) return ExpandUser(options.cache_dir->string(), env);
  if (auto cache = env("HF_HUB_CACHE")) return ExpandUser(*cache, env);
  if (auto cache = env("HUGGINGFACE_HUB_CACHE")) return ExpandUser(*cache, env);
  return HfHome(env) / "hub";
}

std::string ReadTokenFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";  // no token file is the ordinary anonymous case
  std::string text(kMaxTokenFileBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return Trim(text);
}

std::string Token(const HubOptions& options, const EnvLookup& env) {
  std::string token;
  fs::path source;
  if (!options.token.empty()) {
    token = Trim(options.token);
  } else if (auto value = env("HF_TOKEN")) {
    token = Trim(*value);
  } else if (auto legacy = env("HUGGING_FACE_HUB_TOKEN")) {
    token = Trim(*legacy);
  } else {
    source = env("HF_TOKEN_PATH") ? ExpandUser(*env("HF_TOKEN_PATH"), env) : HfHome(env) / "token";
    token = ReadTokenFile(source);
  }
  // The token goes into an HTTP header: a line break would let it add headers of its own.
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw Error("the Hugging Face token" + (source.empty() ? std::string(" (HF_TOKEN)") : " in " + source.string()) +
                      " holds a control character; expected a single line such as hf_...",
                  ErrorKind::kInvalidArgument);
    }
  }
  return token;
}

std::string Endpoint(const HubOptions& options, const EnvLookup& env) {
  std::string endpoint = !options.endpoint.empty() ? options.endpoint : env("HF_ENDPOINT").value_or(kDefaultEndpoint);
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.rfind("https://", 0) != 0 && endpoint.rfind("http://", 0) != 0) {
    throw Error("hub endpoint '" + endpoint + "' (HF_ENDPOINT) must start with https:// or http://",
                ErrorKind::kInvalidArgument);
  }
  return endpoint;
}

}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool IsTrueValue(const std::string& value) {
  std::string upper = Trim(value);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "1" || upper == "ON" || upper == "YES" || upper == "TRUE";
}

HubSettings ResolveHubSettings(const HubOptions& options, const EnvLookup& env) {
  HubSettings settings;
  settings.endpoint = Endpoint(options, env);
  settings.cache_dir = CacheDir(options, env);
  if (options.offline.has_value()) {
    settings.offline = *options.offline;
  } else {
    const auto offline = env("HF_HUB_OFFLINE");
    const auto transformers_offline = env("TRANSFORMERS_OFFLINE");
    settings.offline = (offline && IsTrueValue(*offline)) || (transformers_offline && IsTrueValue(*transformers_offline));
  }
  const auto no_bars = env("HF_HUB_DISABLE_PROGRESS_BARS");
  settings.progress = options.progress && !(no_bars && IsTrueValue(*no_bars));
  // Offline runs never send the token, so a broken token file must not stop them.
  if (!settings.offline) settings.token = Token(options, env);
  return settings;
}

}  // namespace vit::hub
