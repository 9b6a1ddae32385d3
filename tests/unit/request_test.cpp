// The request sse-tail sends: bodies as curl builds them, header files read at each connect.
#include "tail/request.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

using ssekit::load_body;
using ssekit::RequestBody;
using ssekit::RequestHeaders;

namespace {

// A file in the test's temporary directory, removed at the end.
class TempFile {
public:
    explicit TempFile(const std::string &content) {
        char name[] = "/tmp/ssekit-request-test-XXXXXX";
        int fd = ::mkstemp(name);
        ::close(fd);
        path_ = name;
        write(content);
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
    void write(const std::string &content) const { std::ofstream(path_, std::ios::binary | std::ios::trunc) << content; }
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

// A pipe holding `content`, read end returned (the caller closes it).
int pipe_with(const std::string &content) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    EXPECT_EQ(::write(fds[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fds[1]);
    return fds[0];
}

}  // namespace

TEST(LoadBody, NoDataNoBody) {
    std::optional<RequestBody> body = RequestBody{};
    ASSERT_TRUE(load_body({}, {}, -1, body));
    EXPECT_FALSE(body);
}

TEST(LoadBody, DataIsJoinedWithAmpersandsAndFilesLoseTheirLineBreaks) {
    TempFile form("b=2\r\n&c=3\n");
    std::optional<RequestBody> body;
    ASSERT_TRUE(load_body({"a=1\n", "@" + form.path()}, {}, -1, body));
    EXPECT_EQ(body->bytes, "a=1\n&b=2&c=3");  // a literal keeps its newline, as curl's -d does
    EXPECT_EQ(body->content_type, "");       // libcurl's form type
}

TEST(LoadBody, JsonIsConcatenatedAsIsFromStdinToo) {
    int fd = pipe_with("\"x\"\n}\n");
    std::optional<RequestBody> body;
    ASSERT_TRUE(load_body({}, {"{\"a\":", "@-"}, fd, body));
    ::close(fd);
    EXPECT_EQ(body->bytes, "{\"a\":\"x\"\n}\n");
    EXPECT_EQ(body->content_type, "application/json");
}

TEST(LoadBody, AMissingFileIsNamed) {
    std::optional<RequestBody> body;
    ssekit::Status s = load_body({}, {"@/nonexistent/req.json"}, -1, body);
    EXPECT_EQ(s.message(), "--json: /nonexistent/req.json: No such file or directory");
}

TEST(LoadBody, TheWholeBodyIsBounded) {
    std::string half(ssekit::kMaxBodyBytes / 2 + 1, 'x');
    std::optional<RequestBody> body;
    ssekit::Status s = load_body({}, {half, half}, -1, body);
    EXPECT_FALSE(s);
    EXPECT_EQ(s.message(), "the request body is larger than 64 MiB");
}

TEST(ResendsByDefault, OnlyAGetWithoutBodyIsASubscription) {
    EXPECT_TRUE(ssekit::resends_by_default("", false));
    EXPECT_TRUE(ssekit::resends_by_default("GET", false));
    EXPECT_FALSE(ssekit::resends_by_default("", true));
    EXPECT_FALSE(ssekit::resends_by_default("POST", false));
    EXPECT_FALSE(ssekit::resends_by_default("GET", true));
}

TEST(RequestHeaders, FilesAreReadAtEachCallInOrder) {
    TempFile file("Authorization: Bearer one\r\n\nX-B: 2\n");
    RequestHeaders headers({"X-A: 1", "@" + file.path(), "X-C: 3"});
    std::string problem;
    EXPECT_EQ(headers.read(problem),
              (std::vector<std::string>{"X-A: 1", "Authorization: Bearer one", "X-B: 2", "X-C: 3"}));
    EXPECT_EQ(problem, "");
    file.write("Authorization: Bearer two");  // rotated
    EXPECT_EQ(headers.read(problem), (std::vector<std::string>{"X-A: 1", "Authorization: Bearer two", "X-C: 3"}));
}

TEST(RequestHeaders, ABadFileKeepsItsLastGoodLines) {
    TempFile file("Authorization: Bearer one\n");
    RequestHeaders headers({"@" + file.path()});
    std::string problem;
    headers.read(problem);
    file.write("Authorization Bearer broken\n");
    EXPECT_EQ(headers.read(problem), std::vector<std::string>{"Authorization: Bearer one"});
    EXPECT_EQ(problem, "-H @" + file.path() + ": --header must look like 'Name: value': Authorization Bearer broken");
}

TEST(RequestHeaders, AMissingFileGivesNoLinesAndSaysWhy) {
    RequestHeaders headers({"@/nonexistent/headers"});
    std::string problem;
    EXPECT_TRUE(headers.read(problem).empty());
    EXPECT_EQ(problem, "-H @/nonexistent/headers: /nonexistent/headers: No such file or directory");
}
