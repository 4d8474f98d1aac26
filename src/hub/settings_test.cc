#include "hub/settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  return [values](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

TEST(HubSettings, CacheFolderPrecedence) {
  std::map<std::string, std::string> env = {{"HOME", "/home/u"}};
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).cache_dir, "/home/u/.cache/huggingface/hub");
  env["XDG_CACHE_HOME"] = "/xdg";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).cache_dir, "/xdg/huggingface/hub");
  env["HF_HOME"] = "~/hf";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).cache_dir, "/home/u/hf/hub");
  env["HUGGINGFACE_HUB_CACHE"] = "/legacy";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).cache_dir, "/legacy");
  env["HF_HUB_CACHE"] = "/hub";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).cache_dir, "/hub");
  HubOptions options;
  options.cache_dir = "/explicit";
  EXPECT_EQ(ResolveHubSettings(options, FakeEnv(env)).cache_dir, "/explicit");
}

TEST(HubSettings, EndpointAndOffline) {
  std::map<std::string, std::string> env = {{"HOME", "/nonexistent-home"}};
  HubSettings settings = ResolveHubSettings({}, FakeEnv(env));
  EXPECT_EQ(settings.endpoint, "https://huggingface.co");
  EXPECT_FALSE(settings.offline);
  env["HF_ENDPOINT"] = "http://127.0.0.1:8080/";
  env["HF_HUB_OFFLINE"] = "yes";
  settings = ResolveHubSettings({}, FakeEnv(env));
  EXPECT_EQ(settings.endpoint, "http://127.0.0.1:8080");
  EXPECT_TRUE(settings.offline);
  HubOptions options;
  options.offline = false;
  EXPECT_FALSE(ResolveHubSettings(options, FakeEnv(env)).offline);
  env["HF_ENDPOINT"] = "ftp://x";
  EXPECT_THROW(ResolveHubSettings({}, FakeEnv(env)), Error);
}

TEST(HubSettings, TruthyValues) {
  for (const char* yes : {"1", "ON", "yes", "True", " true "}) EXPECT_TRUE(IsTrueValue(yes)) << yes;
  for (const char* no : {"0", "off", "no", "", "2"}) EXPECT_FALSE(IsTrueValue(no)) << no;
}

TEST(HubSettings, TokenFromEnvironmentThenFile) {
  const fs::path home = fs::temp_directory_path() / ("vit_hub_settings_" + std::to_string(::getpid()));
  fs::create_directories(home);
  std::ofstream(home / "token") << "hf_from_file\n";
  std::map<std::string, std::string> env = {{"HF_HOME", home.string()}};
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).token, "hf_from_file");
  env["HUGGING_FACE_HUB_TOKEN"] = "hf_legacy";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).token, "hf_legacy");
  env["HF_TOKEN"] = " hf_env ";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).token, "hf_env");
  HubOptions options;
  options.token = "hf_option";
  EXPECT_EQ(ResolveHubSettings(options, FakeEnv(env)).token, "hf_option");
  // A token that would smuggle a second header line is refused.
  env["HF_TOKEN"] = "hf_a\r\nX-Evil: 1";
  EXPECT_THROW(ResolveHubSettings({}, FakeEnv(env)), Error);
  // Offline runs never read or send a token.
  env["HF_HUB_OFFLINE"] = "1";
  EXPECT_EQ(ResolveHubSettings({}, FakeEnv(env)).token, "");
  fs::remove_all(home);
}

}  // namespace
}  // namespace vit::hub
