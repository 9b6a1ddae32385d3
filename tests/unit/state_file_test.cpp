// --state's file: the last event ID per URL, read at start and replaced after each burst.
#include "tail/state_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using ssekit::EventIds;

namespace {

std::string temp_path() {
    char dir[] = "/tmp/ssekit-state-test-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    return std::string(dir) + "/state";
}

std::string contents(const std::string &path) {
    std::ostringstream s;
    s << std::ifstream(path, std::ios::binary).rdbuf();
    return s.str();
}

}  // namespace

TEST(StateFile, AMissingFileIsAFirstRun) {
    EventIds ids{{"stale", "x"}};
    ASSERT_TRUE(ssekit::load_event_ids("/nonexistent/state", ids));
    EXPECT_TRUE(ids.empty());
}

TEST(StateFile, SavedIdsReadBackExactly) {
    const std::string path = temp_path();
    const EventIds ids{{"http://h/a", "1795600394445-7"}, {"http://h/b", ""}, {"http://h/c", "with space\t\xff"}};
    ASSERT_TRUE(ssekit::save_event_ids(path, ids));
    EXPECT_EQ(contents(path), "http://h/a 1795600394445-7\nhttp://h/b \nhttp://h/c with space\t\xff\n");
    EventIds back;
    ASSERT_TRUE(ssekit::load_event_ids(path, back));
    EXPECT_EQ(back, ids);
    std::remove(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
}

TEST(StateFile, ALineWithoutASpaceIsRefusedWithItsNumber) {
    const std::string path = temp_path();
    std::ofstream(path) << "http://h/a 1\n\nnospace\n";
    EventIds ids;
    ssekit::Status s = ssekit::load_event_ids(path, ids);
    EXPECT_EQ(s.message(), path + ":3: not 'URL ID'");
    std::remove(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
}
