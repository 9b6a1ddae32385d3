// sse-pub's standard-input reader, as pub_input.hpp and sse-pub(1) describe it.
#include "pub/pub_input.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

using namespace ssekit;

namespace {

// A pipe whose write end the test controls.
struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
        close_write();
    }
    void write(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::write(w, s.data(), s.size());
            ASSERT_GT(n, 0);
            s.remove_prefix(static_cast<size_t>(n));
        }
    }
    void close_write() {
        if (w >= 0) ::close(w);
        w = -1;
    }
};

std::vector<std::string> all_data(InputReader &reader, Status *end = nullptr) {
    std::vector<std::string> out;
    std::vector<InputEvent> batch;
    for (;;) {
        Status st = reader.next_batch(batch);
        for (auto &e : batch) out.push_back(e.req.data);
        if (!st) {
            if (end) *end = st;
            return out;
        }
        if (batch.empty()) return out;
    }
}

std::vector<std::string> read_all(std::string_view input, InputMode mode, Status *end = nullptr) {
    Pipe p;
    // Writes larger than the pipe buffer need a writer thread.
    std::thread writer([&] {
        p.write(input);
        p.close_write();
    });
    InputReader reader(p.r, mode);
    auto out = all_data(reader, end);
    writer.join();
    return out;
}

}  // namespace

TEST(PubInput, LineModeSendsOneEventPerLine) {
    EXPECT_EQ(read_all("one\ntwo\nthree\n", InputMode::lines), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(PubInput, LineModeStripsCrlfAndSkipsBlankLines) {
    EXPECT_EQ(read_all("a\r\n\n\r\nb\n\n", InputMode::lines), (std::vector<std::string>{"a", "b"}));
}

TEST(PubInput, LastLineWithoutNewlineIsAnEvent) {
    EXPECT_EQ(read_all("a\nlast", InputMode::lines), (std::vector<std::string>{"a", "last"}));
}

TEST(PubInput, EmptyInputHasNoEvents) {
    EXPECT_TRUE(read_all("", InputMode::lines).empty());
}

TEST(PubInput, LinesKeepTheirSpacesAndColons) {
    EXPECT_EQ(read_all("  data: x \n", InputMode::lines), (std::vector<std::string>{"  data: x "}));
}

TEST(PubInput, WholeModeIsOneEventWithoutTheFinalNewline) {
    EXPECT_EQ(read_all("line 1\nline 2\n", InputMode::whole), (std::vector<std::string>{"line 1\nline 2"}));
    EXPECT_EQ(read_all("x\r\n", InputMode::whole), (std::vector<std::string>{"x"}));
    EXPECT_EQ(read_all("keep\n\n", InputMode::whole), (std::vector<std::string>{"keep\n"}));
}

TEST(PubInput, BytesModeKeepsEveryByteOfTheInput) {
    // -s --base64: a binary file round-trips, its final newline and any CR, NUL included.
    const std::string bin("a\r\n\0\xff\n", 6);
    EXPECT_EQ(read_all(bin, InputMode::bytes), std::vector<std::string>{bin});
    EXPECT_EQ(read_all("", InputMode::bytes), std::vector<std::string>{""});
}

TEST(PubInput, JsonModeReadsEventFields) {
    Pipe p;
    p.write(R"({"data":"d","event":"e","id":"7","retry":100,"topic":"t2"})" "\n\n" R"({"data":{"k":[1,2]}})" "\n");
    p.close_write();
    InputReader reader(p.r, InputMode::json);
    std::vector<InputEvent> batch;
    ASSERT_TRUE(reader.next_batch(batch).is_ok());
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].req.data, "d");
    EXPECT_EQ(batch[0].req.type, "e");
    EXPECT_EQ(batch[0].req.id, "7");
    EXPECT_EQ(batch[0].req.retry, 100u);
    EXPECT_EQ(batch[0].req.topic, "t2");
    EXPECT_EQ(batch[0].line, 1u);
    EXPECT_EQ(batch[1].req.data, R"({"k":[1,2]})");
    EXPECT_EQ(batch[1].line, 3u);
}

TEST(PubInput, BadJsonLineComesAfterTheGoodEventsBeforeIt) {
    Pipe p;
    p.write("{\"data\":\"ok\"}\nnot json\n{\"data\":\"never\"}\n");
    p.close_write();
    InputReader reader(p.r, InputMode::json);
    std::vector<InputEvent> batch;
    ASSERT_TRUE(reader.next_batch(batch).is_ok());
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].req.data, "ok");
    Status st = reader.next_batch(batch);
    EXPECT_EQ(st.code(), Status::Code::invalid_argument);
    EXPECT_EQ(st.message().rfind("line 2: ", 0), 0u) << st.message();
    EXPECT_TRUE(batch.empty());
}

TEST(PubInput, JsonLineNeedsData) {
    Status st;
    read_all("{\"event\":\"x\"}\n", InputMode::json, &st);
    EXPECT_NE(st.message().find("line 1: \"data\" is missing"), std::string::npos) << st.message();
}

TEST(PubInput, JsonIdWithNewlineIsRefused) {
    Status st;
    read_all(R"({"data":"x","id":"a\nb"})" "\n", InputMode::json, &st);
    EXPECT_EQ(st.code(), Status::Code::invalid_argument);
    EXPECT_EQ(st.message().rfind("line 1: ", 0), 0u) << st.message();
}

TEST(PubInput, ALoneLineIsReturnedWithoutWaitingForMore) {
    // The writer stays open: the reader must hand out the line it has, not wait for EOF or a timer.
    Pipe p;
    p.write("first\n");
    InputReader reader(p.r, InputMode::lines);
    std::vector<InputEvent> batch;
    ASSERT_TRUE(reader.next_batch(batch).is_ok());
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].req.data, "first");
    p.write("second\nthird\n");
    ASSERT_TRUE(reader.next_batch(batch).is_ok());
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[1].req.data, "third");
}

TEST(PubInput, APartialLineWaitsForItsEnd) {
    Pipe p;
    p.write("hal");
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the reader block first
        p.write("f\n");
    });
    InputReader reader(p.r, InputMode::lines);
    std::vector<InputEvent> batch;
    ASSERT_TRUE(reader.next_batch(batch).is_ok());
    writer.join();
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].req.data, "half");
}

TEST(PubInput, BatchesAreBoundedAndNothingIsLost) {
    std::string input;
    for (int i = 0; i < 25000; ++i) input += "event " + std::to_string(i) + "\n";
    Pipe p;
    std::thread writer([&] {
        p.write(input);
        p.close_write();
    });
    InputLimits limits;
    limits.max_events = 1000;
    InputReader reader(p.r, InputMode::lines, limits);
    std::vector<InputEvent> batch;
    std::size_t n = 0, batches = 0;
    for (;;) {
        ASSERT_TRUE(reader.next_batch(batch).is_ok());
        if (batch.empty()) break;
        ASSERT_LE(batch.size(), 1000u);
        for (auto &e : batch) ASSERT_EQ(e.req.data, "event " + std::to_string(n++));
        ++batches;
    }
    writer.join();
    EXPECT_EQ(n, 25000u);
    EXPECT_GE(batches, 25u);
    EXPECT_EQ(reader.events_read(), 25000u);
}

TEST(PubInput, ByteBoundKeepsBatchesSmallButTakesAnOversizedLineAlone) {
    Pipe p;
    std::string big(3000, 'x');
    p.write("a\n" + big + "\nb\n");
    p.close_write();
    InputLimits limits;
    limits.max_bytes = 1000;
    InputReader reader(p.r, InputMode::lines, limits);
    std::vector<InputEvent> batch;
    std::vector<std::size_t> sizes;
    for (;;) {
        ASSERT_TRUE(reader.next_batch(batch).is_ok());
        if (batch.empty()) break;
        sizes.push_back(batch.size());
    }
    std::size_t total = 0;
    for (auto s : sizes) total += s;
    EXPECT_EQ(total, 3u);
    EXPECT_GE(sizes.size(), 2u);
}

TEST(PubInput, TooLongLineIsRefused) {
    InputLimits limits;
    limits.max_event_bytes = 1000;
    Pipe p;
    p.write(std::string(5000, 'y'));  // fits in the pipe buffer: no writer thread needed
    p.close_write();
    InputReader reader(p.r, InputMode::lines, limits);
    std::vector<InputEvent> batch;
    Status st = reader.next_batch(batch);
    EXPECT_EQ(st.code(), Status::Code::too_large);
}

TEST(PubInput, TooLongLineIsRefusedEvenWhenItsNewlineCameInTheSameRead) {
    InputLimits limits;
    limits.max_event_bytes = 1000;
    Pipe p;
    p.write("short\n" + std::string(5000, 'y') + "\nafter\n");  // one read takes all of it
    p.close_write();
    InputReader reader(p.r, InputMode::lines, limits);
    std::vector<InputEvent> batch;
    ASSERT_TRUE(reader.next_batch(batch).is_ok());  // the good line before goes out first
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].req.data, "short");
    Status st = reader.next_batch(batch);
    EXPECT_EQ(st.code(), Status::Code::too_large);
    EXPECT_TRUE(st.message().starts_with("line 2 is longer than")) << st.message();
}
